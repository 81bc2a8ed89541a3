"""Zero-shot prompted evaluation of a local causal LM with lm-evaluation-harness 0.4.13.

    python -m benchmarks.prompted.lmeval_run --model DIR --tasks xcopa,xnli,pawsx \
        [--languages all | en,de,zh | xnli=en,de,zh ...] --out FILE.jsonl \
        [--batch-size 1] [--data-dir D] [--limit N]

Runs lm-eval's *official* task definitions -- ``xcopa_<lang>`` (test split), ``xnli_<lang>``
(validation split) and ``paws_<lang>`` (validation split = PAWS-X dev) -- through
``lm_eval.simple_evaluate(model="hf", ...)`` on CPU, 0-shot, with ``log_samples=True``.

Only the data source is changed. For every task a small YAML is written to a temporary folder
(given to a ``TaskManager`` as its only include_path) that ``include:``s the installed official
YAML (so prompts, ``!function`` helpers from its utils.py, process_docs, target_delimiter and
metrics are lm-eval's own) and overrides just ``dataset_path: json``, ``dataset_name: null``,
``dataset_kwargs.data_files`` and the splits that have no local data:

* xcopa: the shared jsonl files already have the hub (cambridgeltl/xcopa) columns; used as is.
* xnli: the XTREME TSV (no header, string labels) is converted to a temporary jsonl with the
  hub (facebook/xnli) columns premise, hypothesis, label (entailment=0, neutral=1,
  contradiction=2); no local train split, so ``training_split: null``.
* pawsx: the XTREME dev TSV is converted to a temporary jsonl with the hub
  (google-research-datasets/paws-x) columns id (= row number; the original ids are not in the
  file), sentence1, sentence2, label; ``training_split`` and ``test_split`` are set to null so
  lm-eval evaluates the validation (dev) split.

Writes one JSON line per evaluated document to --out and a summary to --out + ".meta.json".
No network: the HF offline variables are set before anything is imported. lm-eval's "hf" model
needs `accelerate` (part of the lm_eval[hf] extra) installed.
"""
from __future__ import annotations

import os

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import lm_eval  # noqa: E402
import yaml  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

from benchmarks.prompted.make_causal_lm import default_data_dir  # noqa: E402

LM_EVAL_TASKS = Path(lm_eval.__file__).parent / "tasks"
XNLI_LABELS = {"entailment": 0, "neutral": 1, "contradiction": 2}  # facebook/xnli ClassLabel
# family -> (official yaml pattern, lm-eval task name pattern, evaluated split)
FAMILIES = {
    "xcopa": ("xcopa/default_{}.yaml", "xcopa_{}", "test"),
    "xnli": ("xnli/xnli_{}.yaml", "xnli_{}", "validation"),
    "pawsx": ("paws-x/paws_{}.yaml", "paws_{}", "validation"),
}


def official_languages(family: str) -> list[str]:
    pattern = FAMILIES[family][0]
    prefix, suffix = pattern.split("{}")
    return sorted(p.name[len(Path(prefix).name):-len(suffix)]
                  for p in LM_EVAL_TASKS.glob(pattern.format("*")))


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:  # XTREME wrote these with csv.writer
        return list(csv.reader(fh, delimiter="\t"))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return path


def task_overrides(family: str, lang: str, data: Path, tmp: Path) -> tuple[dict, int]:
    """YAML keys that swap the hub dataset for local files; also the number of source rows."""
    if family == "xcopa":
        files = {s: data / "xcopa" / "data" / lang / f"{f}.{lang}.jsonl"
                 for s, f in (("test", "test"), ("validation", "val"))}
        n = sum(1 for line in files["test"].open(encoding="utf-8") if line.strip())
        return {"data_files": {k: str(v) for k, v in files.items()}}, n
    rows = read_tsv(data / family / f"dev-{lang}.tsv")
    if family == "xnli":
        docs = [{"premise": p, "hypothesis": h, "label": XNLI_LABELS[y]} for p, h, y in rows]
        extra = {"training_split": None}
    else:
        docs = [{"id": i, "sentence1": s1, "sentence2": s2, "label": int(y)}
                for i, (s1, s2, y) in enumerate(rows)]
        extra = {"training_split": None, "test_split": None}
    path = write_jsonl(tmp / f"{family}-{lang}.validation.jsonl", docs)
    return {"data_files": {"validation": str(path)}, **extra}, len(docs)


def write_task_yaml(family: str, lang: str, data: Path, tmp: Path) -> tuple[str, int]:
    pattern, name_pattern, _ = FAMILIES[family]
    kw, n_source = task_overrides(family, lang, data, tmp)
    cfg = {"include": str(LM_EVAL_TASKS / pattern.format(lang)), "task": name_pattern.format(lang),
           "dataset_path": "json", "dataset_name": None,
           "dataset_kwargs": {"data_files": kw.pop("data_files"), "cache_dir": str(tmp / "hf_cache")},
           **kw}
    (tmp / "tasks" / f"{cfg['task']}.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True),
                                                       encoding="utf-8")
    return cfg["task"], n_source


def parse_languages(specs: list[str], families: list[str]) -> dict[str, list[str]]:
    """`--languages` values: "all", "en,de" (every task) or "xnli=en,de" (one task)."""
    chosen = {f: "all" for f in families}
    for spec in specs:
        fam, _, langs = spec.rpartition("=")
        for f in [fam] if fam else families:
            chosen[f] = langs
    out = {}
    for f in families:
        avail = official_languages(f)
        want = avail if chosen[f] == "all" else chosen[f].split(",")
        out[f] = [lang for lang in want if lang in avail]
        if not out[f]:
            raise SystemExit(f"no language of {chosen[f]!r} is an official {f} task ({avail})")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--tasks", default="xcopa,xnli,pawsx")
    ap.add_argument("--languages", action="append", default=[],
                    help='"all", "en,de,zh" or "TASK=en,de,zh"; repeatable')
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--limit", type=int, default=None, help="docs per task (for smoke tests)")
    args = ap.parse_args(argv)

    families = args.tasks.split(",")
    languages = parse_languages(args.languages, families)
    with tempfile.TemporaryDirectory(prefix="xbench-lmeval-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "tasks").mkdir()
        tasks, n_source = {}, {}
        for fam in families:
            for lang in languages[fam]:
                name, n_source[name] = write_task_yaml(fam, lang, args.data_dir, tmp)
                tasks[name] = (fam, lang)
        manager = TaskManager(include_path=str(tmp / "tasks"), include_defaults=False)
        t0 = time.perf_counter()
        res = lm_eval.simple_evaluate(
            model="hf", model_args=f"pretrained={args.model},dtype=float32", tasks=list(tasks),
            num_fewshot=0, batch_size=args.batch_size, device="cpu", limit=args.limit,
            log_samples=True, task_manager=manager)
        wall = time.perf_counter() - t0

    per_task = {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for name, (fam, lang) in tasks.items():
            samples = sorted(res["samples"][name], key=lambda s: s["doc_id"])
            for s in samples:
                rec = {"task": fam, "lm_eval_task": name, "language": lang,
                       "split": FAMILIES[fam][2], "doc_id": s["doc_id"], "doc": s["doc"],
                       "arguments": [list(a) for a in s["arguments"]],
                       "lls": [float(r[0]) for r in s["filtered_resps"]],
                       "is_greedy": [bool(r[1]) for r in s["filtered_resps"]],
                       "acc": int(s["acc"])}
                if "acc_norm" in s:
                    rec["acc_norm"] = int(s["acc_norm"])
                fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
            r = res["results"][name]
            per_task[name] = {"acc": r["acc,none"], "acc_stderr": r.get("acc_stderr,none"),
                              "n_docs": len(samples), "n_source_rows": n_source[name]}
    meta = {"lm_eval_version": lm_eval.__version__, "model": str(args.model),
            "batch_size": args.batch_size, "limit": args.limit, "num_fewshot": 0,
            "wall_seconds": round(wall, 2),  # the simple_evaluate call (model + data loading included)
            "n_docs": sum(t["n_docs"] for t in per_task.values()), "tasks": per_task}
    Path(f"{args.out}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()

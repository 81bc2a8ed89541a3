"""Per-item parity of xbench's prompted evaluation with lm-evaluation-harness.

    python -m benchmarks.prompted.compare --model DIR --lmeval FILE.jsonl [--data-dir D] [--out RESULTS.json]

``FILE.jsonl`` comes from ``benchmarks.prompted.lmeval_run`` (the same model, lm-eval's official task
definitions on the shared files). This script evaluates the same tasks and languages with xbench
(``xbench.evaluate``, the Python face of ``xbench eval``) and compares item by item: the prompt
and continuation texts, every answer's log-likelihood, the predictions of acc (and acc_norm where
lm-eval reports it), and the accuracies.

Tolerance: 1e-4, or one float32 spacing of lm-eval's value where that is larger. lm-eval sums the
token log-probabilities in float32, so a value beyond 1024 in magnitude is itself only known to
1.2e-4; the answers beyond 1e-4 are counted separately.

XCOPA is run twice. lm-eval reads each language's published ``question`` field; xbench's ``xcopa``
takes the question of the aligned English COPA item instead (the published field disagrees for 346
test items, 250 of them Thai). A second run with a variant spec (written to a temporary
XBENCH_TASK_PATH: the shipped spec with ``question_from_english`` unset, ``override: true``)
reproduces lm-eval; it is reported as ``xcopa (published questions)``, the shipped spec as ``xcopa``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-4


def allowed(ll: float) -> float:
    import numpy as np

    return max(TOLERANCE, float(np.spacing(np.float32(abs(ll)))))
XBENCH_TASK = {"xcopa": ("xcopa", "test"), "xnli": ("xnli", "validation"), "pawsx": ("pawsx", "validation")}
PUBLISHED = "xcopa (published questions)"


def variant_spec_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="xbench-parity-"))
    (folder / "xcopa.yaml").write_text(
        f"include: {REPO / 'tasks' / 'xtreme_r' / 'xcopa.yaml'}\n"
        "override: true\n"
        "options: {question_from_english: null}\n", encoding="utf-8")
    return folder


def read_lmeval(path: Path) -> dict:
    docs = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        docs[(row["task"], row["language"])].append(row)
    return {k: sorted(v, key=lambda r: r["doc_id"]) for k, v in docs.items()}


def run_xbench(model: str, tasks: dict[str, list[str]], data_dir: Path, out: Path, limit: int | None) -> float:
    import xbench

    names = ",".join(tasks)
    split = ",".join(f"{t}={XBENCH_TASK[t][1]}" for t in tasks)
    started = time.perf_counter()
    xbench.evaluate(model, names, languages=tasks, split=split, data_dir=data_dir, output=out, progress=False,
                    record=False, overwrite=True, limit=limit)
    return time.perf_counter() - started


def xbench_items(out: Path, task: str, split: str, lang: str) -> list[dict]:
    path = out / "seed-1" / "items" / task / f"{split}-{lang}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if "skipped" not in r]


def compare_cell(ours: list[dict], theirs: list[dict]) -> dict:
    """Item by item, in file order (lm-eval's doc_id order; both skip the same empty pairs)."""
    worst, text_mismatch, pred_diff, norm_diff, bad = 0.0, 0, 0, 0, []
    answers = over = over_allowed = 0
    worst_rel = 0.0
    n = min(len(ours), len(theirs))
    for a, b in zip(ours, theirs):
        args = [[a["prompt"], c["continuation"]] for c in a["choices"]]
        if args != b["arguments"]:
            text_mismatch += 1
            if len(bad) < 3:
                bad.append({"xbench": args, "lm_eval": b["arguments"]})
            continue
        diffs = [abs(c["loglikelihood"] - ll) for c, ll in zip(a["choices"], b["lls"])]
        worst = max(worst, *diffs)
        worst_rel = max(worst_rel, *(d / max(abs(ll), 1e-12) for d, ll in zip(diffs, b["lls"])))
        answers += len(diffs)
        over += sum(d > TOLERANCE for d in diffs)
        over_allowed += sum(d > allowed(ll) for d, ll in zip(diffs, b["lls"]))
        pred_diff += a["correct"] != bool(b["acc"])
        if "acc_norm" in b:
            norm_diff += (a["prediction_norm"] == a["reference"]) != bool(b["acc_norm"])
    acc_ours = sum(r["correct"] for r in ours) / max(len(ours), 1)
    acc_theirs = sum(r["acc"] for r in theirs) / max(len(theirs), 1)
    return {"items_xbench": len(ours), "items_lm_eval": len(theirs), "compared": n,
            "text_mismatches": text_mismatch, "max_abs_loglik_diff": worst, "max_rel_loglik_diff": worst_rel,
            "answers": answers,
            "answers_over_1e-4": over, "answers_over_tolerance": over_allowed, "acc_item_differences": pred_diff,
            "acc_norm_item_differences": norm_diff, "acc_xbench": acc_ours, "acc_lm_eval": acc_theirs,
            "examples_of_mismatch": bad,
            "parity": (len(ours) == len(theirs) and not text_mismatch and not over_allowed and not pred_diff
                       and not norm_diff and acc_ours == acc_theirs)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--lmeval", type=Path, required=True, help="per-document output of benchmarks.prompted.lmeval_run")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_SHARED_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--work", type=Path, help="xbench run folders (default: a temporary folder)")
    ap.add_argument("--out", type=Path, help="write the comparison as JSON here")
    ap.add_argument("--limit", type=int, help="items per language (the --limit the lm-eval run used)")
    args = ap.parse_args(argv)

    from xbench.registry import reset_registry

    theirs = read_lmeval(args.lmeval)
    languages: dict[str, list[str]] = defaultdict(list)
    for family, lang in sorted(theirs):
        languages[family].append(lang)
    work = args.work or Path(tempfile.mkdtemp(prefix="xbench-parity-run-"))
    seconds = run_xbench(args.model, dict(languages), args.data_dir, work / "shipped", args.limit)
    runs = {name: work / "shipped" for name in languages}
    if "xcopa" in languages:  # the same model and data, XCOPA with the published question fields
        os.environ["XBENCH_TASK_PATH"] = str(variant_spec_dir())
        reset_registry()
        run_xbench(args.model, {"xcopa": languages["xcopa"]}, args.data_dir, work / "published", args.limit)
        runs[PUBLISHED] = work / "published"

    report = {"model": args.model, "lm_eval_file": str(args.lmeval), "tolerance": TOLERANCE,
              "xbench_seconds": round(seconds, 1), "cells": []}
    for family, lang in sorted(theirs):
        task, split = XBENCH_TASK[family]
        for name in ([PUBLISHED, task] if family == "xcopa" else [task]):
            row = {"task": name, "lm_eval_task": theirs[(family, lang)][0]["lm_eval_task"], "language": lang,
                   **compare_cell(xbench_items(runs[name], task, split, lang), theirs[(family, lang)])}
            report["cells"].append(row)
    header = (f"{'xbench task':27} {'lm-eval task':12} {'items':>11} {'text≠':>5} {'max|Δll|':>9} {'>1e-4':>6} "
              f"{'>tol':>5} {'acc≠':>5} {'norm≠':>5} {'acc xbench':>10} {'acc lm-eval':>11}  parity")
    print(header)
    for r in report["cells"]:
        print(f"{r['task']:27} {r['lm_eval_task']:12} {r['items_xbench']:>5}/{r['items_lm_eval']:<5} {r['text_mismatches']:>5} "
              f"{r['max_abs_loglik_diff']:>9.2e} {r['answers_over_1e-4']:>6} {r['answers_over_tolerance']:>5} "
              f"{r['acc_item_differences']:>5} {r['acc_norm_item_differences']:>5} "
              f"{r['acc_xbench']:>10.4f} {r['acc_lm_eval']:>11.4f}  {'yes' if r['parity'] else 'NO'}")
    parity = [r for r in report["cells"] if r["task"] != "xcopa"]
    report["all_parity"] = all(r["parity"] for r in parity)
    print(f"\nparity on every lm-eval-defined cell ({len(parity)}): {'yes' if report['all_parity'] else 'NO'}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if report["all_parity"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

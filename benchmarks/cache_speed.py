"""Measure 5: the preprocessing cache: the second run's data preparation vs the first.

    python -m benchmarks.cache_speed --cells panx:train:en:5000,xnli:validation:de:2490 --repeats 3

Data preparation = what ``xbench eval`` does before any forward pass: read the files into canonical
examples (``xbench.data.load_split``) and tokenise them into features (``encode_cached``, the on-disk
cache under ``XBENCH_HOME``). Each run is a fresh process (nothing kept in memory); the first uses an
empty ``XBENCH_HOME``, the second the one the first filled. Checked: both give the same features.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Recorder, load, median, progress, run_process
from benchmarks.encoder_eval import model_path


def prepare(cells: str, model: str, data_dir: Path, profile: Path | None = None) -> dict:
    """(child process) Time load + encode of every cell; a digest of the features.

    Timed (``prepare_s``): per cell ``load_split`` and the examples as a list (what the runner does),
    the task type object and ``encode_cached``. Not timed: imports and the tokenizer (start-up), and
    the digest of the features that checks the cache gave the same ones (the benchmark's own work)."""
    from transformers import AutoTokenizer

    from xbench.data import load_split
    from xbench.data.canonical import task_type_class
    from xbench.evaluation.features import encode_cached
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    started = time.perf_counter()
    import datasets  # noqa: F401  (its import is start-up, not data preparation)

    tokenizer = AutoTokenizer.from_pretrained(model_path(model))
    catalog = Catalog(get_registry())
    plan = []
    for cell in cells.split(","):
        name, split, lang, limit = cell.split(":")
        task = catalog.task(name)
        doc = task.for_language(lang)
        plan.append((task, split, lang, int(limit) or None, doc, task_type_class(doc["type"])))  # (imports it)
    from xbench.gcpause import freeze_startup

    freeze_startup()  # as the evaluation runner does once its model libraries and tokenizer are loaded
    setup = time.perf_counter() - started
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    load_s, encode_s, outputs = 0.0, 0.0, []
    started = time.perf_counter()
    for task, split, lang, limit, doc, tt_class in plan:
        t0 = time.perf_counter()
        loaded = load_split(task, split, lang, data_dir=data_dir, limit=limit)
        examples = loaded.dataset.to_list()
        t1 = time.perf_counter()
        tt = tt_class(doc, tokenizer, max_length=128)
        outputs.append(encode_cached(tt, loaded, examples, task.version))
        load_s, encode_s = load_s + t1 - t0, encode_s + time.perf_counter() - t1
    prepare_s = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, color=False))
    digest = hashlib.sha256()
    for features in outputs:
        digest.update(json.dumps(features, sort_keys=True, default=str).encode())
    return {"prepare_s": prepare_s, "load_s": load_s, "encode_s": encode_s, "setup_s": setup,
            "features": sum(map(len, outputs)), "digest": digest.hexdigest()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", default="panx:train:en:5000,xnli:validation:de:0")
    ap.add_argument("--model", default="minilm-l6")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_DATA_DIR", "../shared/data")))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=Path, help="(with --child) write a pyinstrument profile of the timed part here")
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(prepare(args.cells, args.model, args.data_dir, args.profile)))
        return
    rec = Recorder(args.out)
    runs = {"first": [], "second": []}
    cmd = [sys.executable, "-m", "benchmarks.cache_speed", "--child", "--cells", args.cells, "--model", args.model,
           "--data-dir", str(args.data_dir)]
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            home = Path(tmp) / "home"
            shutil.rmtree(home, ignore_errors=True)
            for kind in ("first", "second"):
                before = load()
                _, out = run_process(cmd, env={**os.environ, "XBENCH_HOME": str(home)})
                got = json.loads(out.strip().splitlines()[-1])
                runs[kind].append({"wall": got["prepare_s"], "load_s": got["load_s"], "encode_s": got["encode_s"],
                                   "features": got["features"], "digest": got["digest"], "load": before})
                progress(f"cache_speed repeat {r + 1}: {kind} {got['prepare_s']:.2f}s")
    same = len({run["digest"] for k in runs for run in runs[k]}) == 1
    medians = {k: median(v) for k, v in runs.items()}
    medians.update({f"{k}_{part}": median(v, part) for k, v in runs.items() for part in ("load_s", "encode_s")})
    ratio = medians["first"] / medians["second"]
    rec.write("cache_speed", cells=args.cells, runs=runs, medians=medians, ratios={"first_vs_second": ratio},
              checks={"same_features": same}, goals={"second >= 20x faster": ratio >= 20})
    assert same, "the cached features differ from the computed ones"


if __name__ == "__main__":
    main()

"""Prompted XCOPA (11 languages x 500 test items), xbench vs lm-evaluation-harness, side by side.

    python -m benchmarks.prompted.speed --model DIR [--repeats 3] [--lmeval-batch-size 1] [--out FILE.jsonl]

Each repeat runs both tools as a user would, one after the other as separate processes (the order
alternates between repeats), on the same model and files: lm-eval 0.4.13 through
``benchmarks.prompted.lmeval_run`` (its official ``xcopa_<lang>`` tasks, ``--batch-size`` as given;
its default is 1) and ``xbench eval`` (``--batch-size auto``, fresh output folder, nothing reused).
xbench runs XCOPA with the published question fields (the variant spec of ``compare``), so that both
tools score exactly the same prompts and their per-item predictions can be checked to be identical.

Reported per run: wall seconds of the whole command (start-up and model loading included), the
tool's own evaluation seconds, the 1-minute load average before it started, and whether the two
tools' predictions agree on every item. Medians over the repeats and their ratio are printed last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.prompted.compare import REPO, variant_spec_dir

LANGS = "et ht id it qu sw ta th tr vi zh".split()


def timed(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_lmeval(model: str, data_dir: Path, out: Path, batch_size: int, env: dict) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.prompted.lmeval_run", "--model", model, "--tasks", "xcopa",
           "--out", str(out), "--batch-size", str(batch_size), "--data-dir", str(data_dir)]
    wall = timed(cmd, env)
    meta = json.loads(Path(str(out) + ".meta.json").read_text())
    preds = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        preds[(row["language"], row["doc_id"])] = max(range(len(row["lls"])), key=lambda i: (row["lls"][i], -i))
    return {"wall": wall, "eval": meta.get("seconds") or meta.get("wall_seconds"), "preds": preds}


def run_xbench(model: str, data_dir: Path, out: Path, env: dict) -> dict:
    cmd = [sys.executable, "-m", "xbench", "eval", "--model", model, "--tasks", "xcopa", "--languages",
           ",".join(LANGS), "--data-dir", str(data_dir), "--output", str(out), "--overwrite", "--format", "json"]
    wall = timed(cmd, env)
    results = json.loads((out / "results.json").read_text())
    preds = {}
    for lang in LANGS:
        rows = (out / "seed-1" / "items" / "xcopa" / f"test-{lang}.jsonl").read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(rows):
            preds[(lang, i)] = json.loads(line)["prediction"]
    return {"wall": wall, "eval": results["config"]["seconds"], "preds": preds}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lmeval-batch-size", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_SHARED_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--out", type=Path, help="append one JSON line per run here")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="xbench-speed-"))
    env = dict(os.environ, XBENCH_TASK_PATH=str(variant_spec_dir()), PYTHONPATH=str(REPO),
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    rows = []
    for rep in range(args.repeats):
        order = ["lm-eval", "xbench"] if rep % 2 == 0 else ["xbench", "lm-eval"]
        got = {}
        for tool in order:
            load = os.getloadavg()[0]
            if tool == "lm-eval":
                got[tool] = run_lmeval(args.model, args.data_dir, work / f"lmeval-{rep}.jsonl", args.lmeval_batch_size, env)
            else:
                got[tool] = run_xbench(args.model, args.data_dir, work / f"xbench-{rep}", env)
            got[tool]["load_before"] = load
        same = got["lm-eval"]["preds"] == got["xbench"]["preds"]
        for tool in order:
            row = {"repeat": rep, "tool": tool, "wall_s": round(got[tool]["wall"], 1), "eval_s": got[tool]["eval"],
                   "load_before": round(got[tool]["load_before"], 2), "items": len(got[tool]["preds"]),
                   "identical_predictions": same, "lmeval_batch_size": args.lmeval_batch_size,
                   "date": time.strftime("%Y-%m-%d %H:%M")}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                with args.out.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
    med = {t: statistics.median(r["wall_s"] for r in rows if r["tool"] == t) for t in ("lm-eval", "xbench")}
    print(f"median wall: lm-eval {med['lm-eval']:.1f} s, xbench {med['xbench']:.1f} s, "
          f"xbench is {med['lm-eval'] / med['xbench']:.2f}x faster; identical predictions in every repeat: "
          f"{all(r['identical_predictions'] for r in rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

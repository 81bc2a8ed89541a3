"""The benchmark suite: every measure of BENCHMARKS.md, one command.

    python -m benchmarks.run --quick              # ~8 minutes on an idle 2-core machine
    python -m benchmarks.run                      # the full sizes (much longer; mpnet-base if installed)
    python -m benchmarks.run --quick --dry-run    # the plan: each step's exact command
    python -m benchmarks.run --only encoder_eval,cache_speed
    python -m benchmarks.run --prompted --prompted-model DIR   # also measure 3 (lm-evaluation-harness)
    python -m benchmarks.run --demo               # also time the README main job (~10-15 minutes)

Each step is its own process writing JSON lines (command, git hash, machine, date, load averages, runs,
medians, ratios, goals) to ``benchmarks/results/<mode>-<UTC time>.jsonl``; at the end
``benchmarks.report`` turns that file into BENCHMARKS.md and its plot (``BENCHMARKS-growth.png``, next to it).
A failing step is recorded as failed and the suite goes on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, Recorder, progress

RESULTS = REPO / "benchmarks" / "results"

# name -> (measure, module, quick arguments, full arguments)
STEPS = {
    "startup": ("4", "benchmarks.startup", ["--repeats", "3"], ["--repeats", "5"]),
    "cache_speed": ("5", "benchmarks.cache_speed", ["--repeats", "3"],
                    ["--repeats", "5", "--cells", "panx:train:en:20000,xnli:validation:de:0,xnli:validation:zh:0"]),
    "encoder_eval": ("1", "benchmarks.encoder_eval",
                     ["--models", "minilm-l6", "--languages", "de,fr,zh", "--limit", "300", "--repeats", "3"],
                     ["--models", "minilm-l6,mpnet-base", "--compile", "--limit", "0", "--repeats", "3", "--languages",
                      "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"]),
    "finetune_speed": ("2", "benchmarks.finetune_speed", ["--examples", "640", "--repeats", "3"],
                       ["--examples", "3200", "--repeats", "3"]),
    "optimizer_step": ("2", "benchmarks.optimizer_step", ["--steps", "20", "--repeats", "3"],
                       ["--steps", "20", "--repeats", "5"]),
    "retrieval_mining": ("6", "benchmarks/retrieval/bench_mining.py", ["--sizes", "10000", "--repeats", "3"],
                         ["--sizes", "10000", "50000", "200000", "--repeats", "3"]),
    "tatoeba": ("6", "benchmarks.tatoeba", ["--languages", "de,fr,es,it,nl,pt", "--limit", "300", "--repeats", "3"],
                ["--repeats", "3"]),
    "growth": ("7", "benchmarks.growth",
               ["--eval-sizes", "100,300,1000", "--lengths", "32,64,128,256", "--train-sizes", "160,320,640",
                "--repeats", "3"],
               ["--eval-sizes", "100,300,1000,2490", "--lengths", "32,64,128,256,512",
                "--train-sizes", "320,640,1280,2560", "--repeats", "3"]),
}
OPTIONAL = ("prompted", "demo")


def step_command(name: str, quick: bool, args, out: Path) -> list[str]:
    if name == "prompted":
        return [sys.executable, "-m", "benchmarks.prompted.speed", "--model", str(args.prompted_model),
                "--repeats", "3", "--out", str(out)]
    if name == "demo":
        return [sys.executable, "-m", "benchmarks.demo_time", "--data-dir", str(args.data_dir), "--out", str(out)]
    _, module, quick_args, full_args = STEPS[name]
    head = [sys.executable, module] if module.endswith(".py") else [sys.executable, "-m", module]
    extra = [] if name in ("startup", "retrieval_mining") else ["--data-dir", str(args.data_dir)]
    return head + (quick_args if quick else full_args) + extra + ["--out", str(out)]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the small sizes (~8 min on an idle 2-core machine)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    ap.add_argument("--only", help=f"comma-separated steps: {', '.join(STEPS)}")
    ap.add_argument("--prompted", action="store_true", help="also run measure 3 (benchmarks/prompted/speed.py)")
    ap.add_argument("--prompted-model", type=Path, help="the causal LM folder for --prompted")
    ap.add_argument("--demo", action="store_true", help="also time the README main job")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_DATA_DIR", REPO.parent / "shared" / "data")))
    ap.add_argument("--out", type=Path, help="the JSON-lines file (default benchmarks/results/<mode>-<time>.jsonl)")
    ap.add_argument("--no-report", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = ap.parse_args(argv)
    names = args.only.split(",") if args.only else list(STEPS)
    unknown = [n for n in names if n not in STEPS and n not in OPTIONAL]
    if unknown:
        ap.error(f"--only: unknown step(s) {', '.join(unknown)} (steps: {', '.join(STEPS)}, {', '.join(OPTIONAL)})")
    if args.prompted:
        if args.prompted_model is None:
            ap.error("--prompted needs --prompted-model DIR (a causal LM: see benchmarks/prompted/RESULTS.md)")
        names.append("prompted")
    if args.demo:
        names.append("demo")
    mode = "quick" if args.quick else "full"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"{mode}-{stamp}.jsonl"
    plan = [(n, step_command(n, args.quick, args, out)) for n in names]
    if args.dry_run:
        print(f"mode: {mode}; results: {out}")
        for n, cmd in plan:
            measure = STEPS[n][0] if n in STEPS else {"prompted": "3", "demo": "2"}[n]
            print(f"[measure {measure}] {n}: {shlex.join(cmd)}")
        print(f"then: {shlex.join([sys.executable, '-m', 'benchmarks.report', str(out)])}")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    rec = Recorder(out)
    started = time.perf_counter()
    for n, cmd in plan:
        progress(f"step {n}: {shlex.join(cmd)}")
        t0 = time.perf_counter()
        if n == "retrieval_mining":  # its lines carry no run context: wrap them
            with tempfile.TemporaryDirectory() as tmp:
                raw = Path(tmp) / "mining.jsonl"
                cmd = cmd[:-1] + [str(raw)]
                proc = subprocess.run(cmd, cwd=REPO)
                for line in (raw.read_text().splitlines() if raw.is_file() else []):
                    rec.write("retrieval_mining", **json.loads(line))
        else:
            proc = subprocess.run(cmd, cwd=REPO)
        rec.write("step", step=n, mode=mode, step_command=shlex.join(cmd), seconds=time.perf_counter() - t0,
                  ok=proc.returncode == 0, returncode=proc.returncode)
    rec.write("suite", mode=mode, seconds=time.perf_counter() - started, steps=names)
    progress(f"suite finished in {time.perf_counter() - started:.0f}s; results: {out}")
    if not args.no_report:
        from benchmarks.report import write_report

        write_report([out])


if __name__ == "__main__":
    main()

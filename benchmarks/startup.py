"""Measure 4: start-up and registry: ``xbench --help`` and ``xbench tasks list``, cold and warm, and the
spec index at 100 / 1,000 / 5,000 generated specs (``benchmarks/spec_index/generate.py``).

    python -m benchmarks.startup --repeats 5

Every time is a whole process. *cold*: a fresh ``XBENCH_HOME`` (no index cache) and a fresh
``PYTHONPYCACHEPREFIX`` (no compiled bytecode: Python compiles every module again, as on the first run
after an install; the operating system's file cache stays warm). *warm*: the same command again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Recorder, load, median, progress, run_process, xbench_cmd

HERE = Path(__file__).resolve().parent
COMMANDS = {"help": ("--help",), "tasks_list": ("tasks", "list", "--format", "json")}


def cold_warm(cmd: list[str], env: dict, repeats: int, tmp: Path) -> dict:
    runs = {"cold": [], "warm": []}
    for r in range(repeats):
        home, pyc = tmp / f"home{r}", tmp / f"pyc{r}"
        e = {**env, "XBENCH_HOME": str(home), "PYTHONPYCACHEPREFIX": str(pyc)}
        for kind in ("cold", "warm"):
            before = load()
            wall, _ = run_process(cmd, env=e)
            runs[kind].append({"wall": wall, "load": before})
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(pyc, ignore_errors=True)
    return runs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    rec = Recorder(args.out)
    # PYTHONDONTWRITEBYTECODE (set in some sandboxes and CI images) would keep the cold run from writing the
    # bytecode the warm run is meant to reuse: every "warm" run would compile every module again
    env = {k: v for k, v in os.environ.items() if k not in ("XBENCH_TASK_PATH", "PYTHONDONTWRITEBYTECODE")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, cmd_args in COMMANDS.items():
            runs = cold_warm(xbench_cmd(*cmd_args), env, args.repeats, tmp)
            medians = {k: median(v) for k, v in runs.items()}
            progress(f"startup {name}: cold {medians['cold']:.2f}s warm {medians['warm']:.2f}s")
            goals = {"warm < 0.3 s": medians["warm"] < 0.3} if name == "help" else {}
            rec.write("startup", command_name="xbench " + " ".join(cmd_args), runs=runs, medians=medians, goals=goals)
        for n in (int(s) for s in args.sizes.split(",")):
            specs = tmp / f"specs{n}"
            subprocess.run([sys.executable, str(HERE / "spec_index" / "generate.py"), str(n), str(specs)], check=True,
                           stdout=subprocess.DEVNULL)
            runs = cold_warm(xbench_cmd(*COMMANDS["tasks_list"]), {**env, "XBENCH_TASK_PATH": str(specs)},
                             args.repeats, tmp)
            medians = {k: median(v) for k, v in runs.items()}
            progress(f"spec index {n}: cold {medians['cold']:.2f}s warm {medians['warm']:.2f}s")
            goals = {"warm < 0.5 s": medians["warm"] < 0.5} if n == 5000 else {}
            rec.write("spec_index", specs=n, runs=runs, medians=medians, goals=goals)


if __name__ == "__main__":
    main()

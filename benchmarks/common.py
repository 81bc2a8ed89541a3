"""What every benchmark script shares: the machine and run context recorded with each result, timing,
alternating repeats, and JSON-lines output.

Each result line holds the exact command, the git hash (``+dirty`` with uncommitted changes), the
machine, the UTC date and the 1/5/15-minute load averages before and after, so a number is never
separated from where and how it was measured. Ratios are taken between variants run alternately in
one process (the least bad comparison on a shared machine); absolute seconds are context only.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSONL = REPO / "benchmarks" / "results" / "latest.jsonl"


def step_arguments(doc: str, *, model: str | None = "minilm-l6", repeats: int | None = 3):
    """The parser every step starts from: --model (an alias), --repeats, --data-dir, --out."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    if model is not None:
        ap.add_argument("--model", default=model)
    if repeats is not None:
        ap.add_argument("--repeats", type=int, default=repeats)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_DATA_DIR", "../shared/data")))
    ap.add_argument("--out", type=Path)
    return ap


def installed_model(rec, step: str, alias: str) -> str | None:
    """The alias's folder; when its package is not installed, the step is recorded as skipped and None."""
    from benchmarks.encoder_eval import model_path

    base = model_path(alias)
    if base is None:
        rec.write(step, model=alias, skipped=f"model alias {alias} is not installed")
    return base


def git_hash() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    info = {"system": platform.system(), "arch": platform.machine(), "cpu": cpu_model(),
            "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "python": platform.python_version()}
    try:
        import torch

        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads(),
                    cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    except ImportError:
        pass
    return info


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def command() -> str:
    return shlex.join([Path(sys.executable).name, "-m", module_of(sys.argv[0])] + sys.argv[1:])


def module_of(path: str) -> str:
    p = Path(path).resolve()
    try:
        rel = p.relative_to(REPO).with_suffix("")
        return ".".join(rel.parts)
    except ValueError:
        return path


class Recorder:
    """Appends result lines to a JSON-lines file; every line carries the run context."""

    def __init__(self, path: Path | str | None):
        self.path = Path(path) if path else DEFAULT_JSONL
        self.context = {"command": command(), "git": git_hash(), "machine": machine(),
                        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        self.load_before = load()

    def write(self, bench: str, **fields) -> dict:
        line = {"bench": bench, **fields, **self.context, "load_before": self.load_before, "load_after": load()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self.load_before = load()
        return line


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, process CPU seconds, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def alternate(variants: dict, repeats: int, *, on_run=None) -> dict[str, list[dict]]:
    """Run each variant (name -> zero-argument callable returning seconds or a dict with ``wall``)
    ``repeats`` times, the order rotating every repeat so that no variant always goes first. Each run
    is ``{"wall": s, "load": [1, 5, 15 min]}`` plus what the callable returned."""
    names = list(variants)
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            before = load()
            got = variants[name]()
            run = dict(got) if isinstance(got, dict) else {"wall": got}
            run["load"] = before
            runs[name].append(run)
            if on_run:
                on_run(name, r, run)
    return runs


def median(runs: list[dict], key: str = "wall") -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def run_process(cmd: list[str], env: dict | None = None, cwd=None) -> tuple[float, str]:
    """(wall seconds, stdout) of a whole process; its stderr is shown only if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed ({shlex.join(cmd)}):\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


def xbench_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "xbench", *args]


def progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

"""Job targets for the executor tests. Ray workers import this module as ``executors.job_targets``:
the ray executor hands the driver's ``tests/`` folder (pytest's ``pythonpath``) to them."""

import os
import time
from pathlib import Path

from xbench.errors import UserError

HERE = "executors.job_targets"


def record(folder: str, name: str, seconds: float = 0.0) -> str:
    """Append one line "start end pid" to FOLDER/NAME.runs: one line per run, times to order jobs by.
    FOLDER/NAME.started marks that it began."""
    start = time.time()
    (Path(folder) / f"{name}.started").touch()
    # short steps, like a training loop: Ray cancels a running task when it next runs Python code
    while time.time() - start < seconds:
        time.sleep(0.02)
    end = time.time()
    with open(Path(folder) / f"{name}.runs", "a") as f:
        f.write(f"{start!r} {end!r} {os.getpid()}\n")
    return name


def runs(folder: Path, name: str) -> list[tuple[float, float, int]]:
    path = folder / f"{name}.runs"
    if not path.exists():
        return []
    return [(float(a), float(b), int(c)) for a, b, c in (line.split() for line in path.read_text().splitlines())]


def fail_user(message: str, after: str | None = None) -> None:
    """Raise UserError(message), once the file ``after`` exists if given (10 s at most)."""
    deadline = time.time() + 10
    while after and not os.path.exists(after) and time.time() < deadline:
        time.sleep(0.02)
    raise UserError(message)


def fail_bug(message: str) -> None:
    raise ValueError(message)


def environ(names: list[str]) -> dict:
    return {name: os.environ.get(name) for name in names}


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()

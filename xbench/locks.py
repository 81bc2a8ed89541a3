"""An exclusive lock on a file, so concurrent runs (processes, Ray workers on a shared filesystem)
never train the same checkpoint or write the same job twice: the second waits, then finds the work
done. ``flock`` locks are released by the kernel when a process dies, so a killed run leaves no
stale lock behind."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path | str):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

"""Keep freed CPU memory in the process for reuse (glibc), so large activations are not page-faulted anew.

A transformer forward on CPU allocates activation tensors of several MB per layer (a 1,024-token batch
of a 768-wide model: 12 MB for each MLP intermediate). glibc serves allocations above its mmap
threshold with fresh ``mmap`` pages and gives them back on free, and trims the top of the heap once
enough is free, so every batch faults in the same memory again. With the threshold at its maximum and
trimming effectively off, freed blocks are reused: measured here on a GPT-2-small-shape forward, 0.80
→ 0.66 ms per token (1.2×), bitwise-identical outputs. This is what the PyTorch CPU tuning guide gets
from swapping in jemalloc/tcmalloc, without an ``LD_PRELOAD``. Cost: the process keeps its peak heap
until it exits, which an evaluation or training process does soon anyway.

Applied once, when the engine picks a CPU device; ``XBENCH_CPU_ALLOCATOR=default`` leaves glibc as is.
Other C libraries (musl, macOS, Windows) are left untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024       # glibc's upper limit for this setting on 64-bit systems
TRIM_THRESHOLD = 1024 * 1024 * 1024     # return heap memory to the system only past 1 GiB free

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for reuse (idempotent); whether the settings are in effect."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if os.environ.get("XBENCH_CPU_ALLOCATOR", "").strip().lower() == "default":
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # only glibc has it (and mallopt with these parameters)
    except (OSError, AttributeError):
        return None
    return libc

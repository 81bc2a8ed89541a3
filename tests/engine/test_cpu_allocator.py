"""The CPU allocator tuning: after it, a large freed block is reused instead of mmapped anew (glibc)."""

import subprocess
import sys

import pytest

from xbench.engine.cpu_allocator import _glibc

PROBE = r"""
import ctypes, os, sys
from xbench.engine.device import pick_device

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "cpu":
    pick_device("cpu")
before = libc.mallinfo2().hblkhd
block = libc.malloc(16 * 1024 * 1024)      # the size of one MLP activation of a 1k-token batch
during = libc.mallinfo2().hblkhd
libc.free(block)
print(during - before)                       # bytes served by a fresh mmap for this block
"""


def mmapped_bytes(mode: str, env_extra: dict | None = None) -> int:
    import os

    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(_glibc() is None, reason="not a glibc system: the tuning is a no-op there")
def test_picking_the_cpu_makes_large_blocks_come_from_the_reused_heap():
    assert mmapped_bytes("none") >= 16 * 1024 * 1024          # glibc's default: a fresh mapping
    assert mmapped_bytes("cpu") == 0                           # tuned: served from the heap
    assert mmapped_bytes("cpu", {"XBENCH_CPU_ALLOCATOR": "default"}) >= 16 * 1024 * 1024  # opt-out kept


def test_tuning_is_idempotent_and_reports_its_state(monkeypatch):
    from xbench.engine import cpu_allocator

    monkeypatch.delenv("XBENCH_CPU_ALLOCATOR", raising=False)
    monkeypatch.setattr(cpu_allocator, "_applied", None)
    first = cpu_allocator.keep_freed_memory()
    assert first is (_glibc() is not None)
    monkeypatch.setenv("XBENCH_CPU_ALLOCATOR", "default")   # decided once per process: no flip-flop
    assert cpu_allocator.keep_freed_memory() is first

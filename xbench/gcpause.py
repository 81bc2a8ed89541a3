"""Keeping the cyclic garbage collector from rescanning long-lived objects.

``gc_paused``: reading a cache of thousands of entries (the spec index) creates ~10^5 containers that
all survive; each full collection on the way rescans everything alive, and a warm ``xbench tasks
list`` spent a third of its time in them. Such data holds no reference cycles, so nothing is lost by
collecting afterwards instead. Nested pauses and a collector the caller disabled are respected.

``freeze_startup``: once the model libraries are imported, their objects move to the permanent
generation (see there).

``skip_exit_collections``: at the end of a command, the same for what the command built (see there).
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_frozen = False


def freeze_startup() -> None:
    """Once per process, after the model libraries are imported (torch, transformers, datasets: ~10^6
    objects that live as long as the process): move everything alive into the collector's permanent
    generation. The first full collection after those imports otherwise scans them all (~0.15-0.2 s,
    paid inside whatever runs next: a cached split's loading was mostly that), and every later one
    again. Only once: objects frozen are never collected, so freezing again later could pin garbage."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def skip_exit_collections() -> None:
    """When a command has finished: freeze what is alive, so that the interpreter's shutdown does not
    run its full collections over it (~0.13 s of a warm ``xbench tasks list`` at 5,000 specs, a quarter
    of the process). The objects are still freed by reference counting as the modules are torn down,
    and ``atexit``/``weakref.finalize`` cleanups still run; only cyclic garbage is left to the exit."""
    gc.freeze()

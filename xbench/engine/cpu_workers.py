"""Run evaluation batches concurrently on a multi-core CPU: a few batches at once, fewer threads each.

One forward at a time with all cores leaves them idle whenever the forward is not in a large matrix
product: Python between the layers, small element-wise ops that do not parallelise, softmax and
LayerNorm over short rows. Two batches at once, each with half the threads, fill those gaps with the
other batch's work (PyTorch releases the GIL inside its ops). Measured on 2 cores against one batch
at a time with 2 threads: MiniLM-L6 over all 15 XNLI languages 1.05x (1.08-1.10x before the [CLS]-only
last layer, xbench.models.first_position, took some of the same slack), mpnet-base 1.04x (its forward is
nearly all large matrix products), identical labels (BENCHMARKS.md, §1). Each
batch is still computed whole, so the batches, and the outputs up to float rounding, do not depend on
how many run at once.

``XBENCH_CPU_WORKERS=N`` sets how many batches run at once (``1``: one at a time, as before); the
default is 2 when PyTorch has at least 2 intra-op threads, each worker taking an equal share of them.
"""

from __future__ import annotations

import collections
import os
import threading
from collections.abc import Callable, Sequence

from xbench.errors import UserError

DEFAULT_WORKERS = 2  # what was measured (2 cores); each further worker holds another batch's activations


def plan_workers(intra_op_threads: int, setting: str | None = None) -> tuple[int, int]:
    """(batches run at once, intra-op threads for each) for a process with ``intra_op_threads``."""
    if setting is None or not setting.strip():
        workers = DEFAULT_WORKERS
    else:
        try:
            workers = int(setting)
        except ValueError:
            workers = 0
        if workers < 1:
            raise UserError(f"XBENCH_CPU_WORKERS={setting!r}: not a positive whole number "
                            "(fix: unset it, or set 1 for one batch at a time, 2 for two)")
    workers = max(1, min(workers, intra_op_threads))
    return workers, max(1, intra_op_threads // workers)


def workers_for_this_process() -> tuple[int, int]:
    import torch

    return plan_workers(torch.get_num_threads(), os.environ.get("XBENCH_CPU_WORKERS"))


def run_concurrently(batches: Sequence[list[int]], compute: Callable[[list[int]], list], *, workers: int,
                     threads_each: int, on_done: Callable[[int], None] = lambda n: None) -> dict[int, object]:
    """{position: output} for every position of ``batches``; ``compute(batch)`` gives one output per
    position. Batches are taken in order by ``workers`` threads, each with ``threads_each`` intra-op
    threads; the first error stops the others after their current batch and is raised here."""
    import torch

    pending = collections.deque(batches)
    results: dict[int, object] = {}
    errors: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()

    def work():
        torch.set_num_threads(threads_each)  # per thread: this worker's share of the cores
        while not stop.is_set():
            try:
                idx = pending.popleft()
            except IndexError:
                return
            try:
                out = compute(idx)
            except BaseException as e:  # re-raised in the calling thread
                errors.append(e)
                stop.set()
                return
            with lock:
                results.update(zip(idx, out))
                on_done(len(idx))

    before = torch.get_num_threads()
    threads = [threading.Thread(target=work, name=f"xbench-cpu-worker-{k}", daemon=True) for k in range(workers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop.set()  # also on Ctrl-C in the calling thread: workers end after their current batch
        torch.set_num_threads(before)  # threads started later inherit the process's setting again
    if errors:
        raise errors[0]
    return results

"""Batched inference over features, on one device or sharded across processes.

Features that are identical (same token ids and fields, whatever their example) are run once and
their output shared. The distinct ones are sorted by length (longest first) and padded per batch.
``batch_size="auto"`` cuts the sorted order by a budget of padded tokens (``batching.token_batches``:
large batches for short inputs, little padding); on GPUs the budget starts large and a batch that
runs out of memory is split in half and retried. A fixed ``batch_size=N`` gives batches of N items.
On a multi-core CPU, two batches run at once with half the threads each (``cpu_workers``), and in fp32
the linear layers run with oneDNN-packed weights (``xbench.models.packed_linear``).
When ``torch.distributed`` is initialised (``accelerate launch -m xbench eval …`` or torchrun), each
rank takes every world_size-th feature of the sorted order; the outputs are gathered and put back in
feature order on every rank, so results do not depend on the number of processes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from tqdm.auto import tqdm

from xbench.engine.batching import count_batches, token_batches
from xbench.engine.cpu_workers import run_concurrently, workers_for_this_process
from xbench.engine.device import autocast

CPU_AUTO_BATCH = 32
GPU_AUTO_START = 256
TOKENS_PER_ITEM = 128  # auto's token budget = the item count above x this (XTREME's max length)
PER_FEATURE = ("example_index", "labels")  # fields that do not reach the model's input


def distributed_info() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def run_batches(model, features: list[dict], collate: Callable, to_outputs: Callable, *, batch_size,
                device, precision: str = "fp32", desc: str = "", progress: bool = True) -> list:
    """Per-feature outputs in feature order. ``to_outputs(model_output, batch) -> list`` gives one
    output per feature of the batch, without its padding."""
    import torch

    distinct, copies = distinct_features(features)
    lengths = [feature_length(features[i]) for i in distinct]
    rank, world = distributed_info()
    # longest first: an out-of-memory error shows at once and the ETA is pessimistic
    order = sorted(range(len(distinct)), key=lambda i: (-lengths[i], i))
    plan = plan_batches(order[rank::world], lengths, batch_size, device)
    model.eval()
    bar = tqdm(total=sum(map(len, plan)), desc=desc, unit="ex", disable=not progress or rank != 0, leave=False,
               dynamic_ncols=True)

    def compute(idx: list[int]) -> list:
        batch = {k: v.to(device) for k, v in collate([features[distinct[i]] for i in idx]).items() if k != "labels"}
        with torch.inference_mode(), autocast(device, precision):  # per thread: entered in each worker
            return to_outputs(model(**batch), batch)

    workers, threads_each = workers_for_this_process() if device.type == "cpu" else (1, 0)
    with cpu_fp32_kernels(model, device, precision):
        if workers > 1 and len(plan) > 1:
            results = run_concurrently(plan, compute, workers=workers, threads_each=threads_each,
                                       on_done=bar.update)
        else:
            results = run_in_turn(plan, compute, batch_size, on_done=bar.update)
    bar.close()
    if world > 1:
        results = gather(results)
    return [results[copies[i]] for i in range(len(features))]


def cpu_fp32_kernels(model, device, precision: str):
    """On CPU in fp32, the model with oneDNN-packed linear layers (``xbench.models.packed_linear``);
    elsewhere the model as it is."""
    if device.type != "cpu" or precision != "fp32":
        return contextlib.nullcontext(model)
    from xbench.models.packed_linear import packed_linears

    return packed_linears(model)


def run_in_turn(plan: list[list[int]], compute: Callable, batch_size, *, on_done: Callable) -> dict:
    """{position: output}, one batch at a time. On a GPU out-of-memory error under ``auto``, the batch
    is split in half and retried, and no later batch is larger than the halves."""
    import torch

    results: dict[int, object] = {}
    stack = plan[::-1]  # the next batch is popped from the end
    cap = None  # after an out-of-memory error: the most items a batch may hold from then on
    while stack:
        idx = stack.pop()
        if cap is not None and len(idx) > cap:
            stack += [idx[i:i + cap] for i in range(0, len(idx), cap)][::-1]
            continue
        try:
            out = compute(idx)
        except torch.cuda.OutOfMemoryError:
            if batch_size != "auto" or len(idx) == 1:
                raise
            out = None
        if out is None:  # out of memory; past the handler, whose traceback held the batch's tensors
            torch.cuda.empty_cache()
            cap = len(idx) // 2  # the same items in two halves, retried in order
            stack.append(idx)
            continue
        results.update(zip(idx, out))
        on_done(len(idx))
    return results


def plan_batches(order: list[int], lengths: list[int], batch_size, device) -> list[list[int]]:
    """The batches (lists of positions in ``lengths``) for a fixed size or ``auto``."""
    if batch_size != "auto":
        return count_batches(order, int(batch_size))
    items = resolve_batch_size(batch_size, device)
    return token_batches(order, lengths, items * TOKENS_PER_ITEM, max_items=max(items, 16 * CPU_AUTO_BATCH))


def distinct_features(features: list[dict]) -> tuple[list[int], list[int]]:
    """(positions of the first occurrence of each distinct model input, and for every feature the
    index of its distinct input in that list). Fields that never reach the model (``PER_FEATURE``)
    are ignored; any other field counts, so features are merged only when all their data agree."""
    first: dict = {}
    distinct, copies = [], []
    for pos, f in enumerate(features):
        key = tuple((k, frozen(v)) for k, v in f.items() if k not in PER_FEATURE)
        try:
            slot = first.get(key)
        except TypeError:  # a value that cannot be compared (e.g. an array): the feature stays on its own
            key, slot = None, None
        if slot is None:
            slot = len(distinct)
            if key is not None:
                first[key] = slot
            distinct.append(pos)
        copies.append(slot)
    return distinct, copies


def frozen(value):
    if isinstance(value, list | tuple):
        if not value or not isinstance(value[0], list | tuple | dict):
            return tuple(value)  # token ids: the common case, without a call per element
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    return value


def gather(results: dict) -> dict:
    """All ranks' outputs merged (indices are disjoint; de-duplicated by index)."""
    import torch.distributed as dist

    parts = [None] * dist.get_world_size()
    dist.all_gather_object(parts, results)
    merged = {}
    for part in parts:
        merged.update(part)
    return merged


def feature_length(f: dict) -> int:
    ids = f["input_ids"]
    return sum(map(len, ids)) if ids and isinstance(ids[0], list) else len(ids)


def resolve_batch_size(batch_size, device) -> int:
    if batch_size != "auto":
        return int(batch_size)
    return GPU_AUTO_START if device.type == "cuda" else CPU_AUTO_BATCH

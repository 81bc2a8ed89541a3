"""Batch plans: length-grouped training batches, and token-budget evaluation batches.

Training groups similar lengths inside shuffled mega-batches, so batches stay random but padding
stays small. Evaluation sorts all features by length and cuts the sorted order by a budget of padded
tokens (``token_batches``): short inputs get large batches, long ones small, and a batch is closed
early when padding would waste more than a small share of it.
"""

from __future__ import annotations

import random


def train_batches(lengths: list[int], batch_size: int, rng: random.Random, mega: int = 50) -> list[list[int]]:
    """Shuffle, sort by length within mega-batches of ``mega`` batches, then shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    span = batch_size * mega
    for start in range(0, len(order), span):
        chunk = sorted(order[start:start + span], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def count_batches(order: list[int], size: int) -> list[list[int]]:
    """Consecutive slices of ``size`` items (a fixed ``--batch-size N``)."""
    return [order[i:i + size] for i in range(0, len(order), size)]


def token_batches(order: list[int], lengths: list[int], max_tokens: int, *, max_items: int = 512,
                  max_waste: float = 0.02, min_tokens: int = 1024) -> list[list[int]]:
    """Slices of ``order`` (longest first) whose padded size (items x longest) stays within
    ``max_tokens``; once a batch reaches ``min_tokens`` padded tokens, it is also closed before
    padding would exceed ``max_waste`` of it. Padding is pure extra work, and on CPU the matrix
    products already run near peak at about a thousand rows, so a smaller batch costs less there
    than a padded one."""
    batches, current, width, real = [], [], 0, 0
    for i in order:
        n = lengths[i]
        if current:
            w = max(width, n)
            padded = w * (len(current) + 1)
            wasteful = padded >= min_tokens and padded - real - n > max_waste * padded
            if padded > max_tokens or len(current) >= max_items or wasteful:
                batches.append(current)
                current, width, real = [], 0, 0
        current.append(i)
        width, real = max(width, n), real + n
    if current:
        batches.append(current)
    return batches

"""What every metric module shares: the per-item decomposition that bootstrap works through,
the aggregates over summed statistics, and argument checks that raise one-line user errors.

A metric here is ``fn(predictions, references, *, language=None, options=None) -> float`` in [0, 1].
Each built-in metric carries a ``decomposition`` attribute: ``item_stats`` turns the inputs into a
float array of shape (n_items, k) of sufficient statistics, and ``aggregate`` maps statistics summed
over any multiset of items, shape (..., k), to metric values, shape (...). The metric's value is the
aggregate of the column sums over all items, so a bootstrap resample only needs different sums.

Every metric has a code ``version`` (``metric_version``): an integer that is part of the key under
which a finished cell is reused, so bumping it when a metric's code changes what it computes from
the same inputs (its value or its bootstrap statistics) recomputes the cells scored with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xbench.errors import UserError


@dataclass(frozen=True)
class Decomposition:
    """A metric as per-item sufficient statistics plus an aggregate over their sums."""

    metric: str
    unit: str  # what one item (one row of item_stats) is: "sentence", "question", ...
    columns: tuple[str, ...]
    item_stats: Callable[..., np.ndarray]
    aggregate: Callable[[np.ndarray], np.ndarray]
    # True when each item is one 0/1 outcome (columns: correct, count = 1) and the metric is their
    # mean: paired comparisons may then use the exact McNemar test (xbench.analysis.stats).
    per_item_binary: bool = False
    version: int = 1  # bump when the same inputs give other values or other per-item statistics

    def score(self, predictions: Sequence, references: Sequence, *, language: str | None = None,
              options: Mapping | None = None) -> float:
        stats = self.item_stats(predictions, references, language=language, options=options)
        return float(self.aggregate(stats.sum(axis=0)))


def decomposed_by(decomposition: Decomposition):
    """Attach ``decomposition`` to the metric function it computes (read by xbench.metrics.bootstrap)."""
    def attach(fn):
        fn.decomposition = decomposition
        fn.version = decomposition.version
        return fn
    return attach


def metric_version(fn) -> int | str | None:
    """A metric's code version: its ``version`` attribute (built-in metrics get their
    decomposition's), else its decomposition's; None for a plugin metric that declares none."""
    version = getattr(fn, "version", None)
    if version is None:
        version = getattr(getattr(fn, "decomposition", None), "version", None)
    return version


def stats_array(rows: Sequence[Sequence[float]], n_columns: int) -> np.ndarray:
    """Per-item rows as a float64 (n_items, n_columns) array, also when there are no items."""
    if not rows:
        return np.zeros((0, n_columns), dtype=np.float64)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), n_columns)


def mean_of_values(sums: np.ndarray) -> np.ndarray:
    """Columns (value, count) summed -> mean value; 0 where there are no items."""
    sums = np.asarray(sums, dtype=np.float64)
    total, count = sums[..., 0], sums[..., 1]
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def f1_from_counts(sums: np.ndarray) -> np.ndarray:
    """Columns (true positives, predicted, gold) summed -> micro F1.

    The same float operations, in the same order, as seqeval 0.0.12 and the official BUCC scorer:
    p = tp / pred (0 without predictions), r = tp / gold (0 without gold), F1 = 2 * p * r / (p + r)
    (0 when p + r = 0), so the result is bit-identical to theirs.
    """
    precision, recall = precision_recall_from_counts(sums)
    numerator = 2 * precision * recall
    denominator = precision + recall
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def precision_recall_from_counts(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns (true positives, predicted, gold) summed -> (precision, recall), 0 on empty sides."""
    sums = np.asarray(sums, dtype=np.float64)
    tp, n_pred, n_gold = sums[..., 0], sums[..., 1], sums[..., 2]
    precision = np.divide(tp, n_pred, out=np.zeros_like(tp), where=n_pred > 0)
    recall = np.divide(tp, n_gold, out=np.zeros_like(tp), where=n_gold > 0)
    return precision, recall


def read_options(metric: str, options: Mapping | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The metric's own options with defaults filled in.

    ``options`` may be the task spec's whole ``options:`` mapping, which also holds task-type
    settings (doc stride, ...), so keys the metric does not use are ignored; the values of the keys
    it uses are checked by the metric.
    """
    if options is None:
        return dict(defaults)
    if not isinstance(options, Mapping):
        raise UserError(f"metric {metric}: options must be a mapping, got {type(options).__name__} "
                        f"(fix the options in the task spec)")
    return {key: options.get(key, default) for key, default in defaults.items()}


def require_same_length(metric: str, predictions: Sequence, references: Sequence) -> None:
    """Predictions and references are aligned item by item; a length mismatch is a user error."""
    if len(predictions) != len(references):
        raise UserError(f"metric {metric}: {len(predictions)} predictions for {len(references)} "
                        f"references; give one prediction per reference item")

"""Per-language bootstrap confidence intervals: resample items with replacement, recompute the metric.

Works through a metric's ``decomposition`` (xbench.metrics.base): the per-item sufficient statistics
are computed once, and each resample's metric is the aggregate of the statistics summed over the
resampled items. Corpus-level metrics (tagging chunk F1, BUCC F1) are thus recomputed from resampled
counts, never averaged per item. Resampling is vectorised in chunks with numpy; the interval is the
percentile interval of the resampled values. The seed, the number of resamples and the confidence
level are recorded in the returned ``ConfidenceInterval``; the same inputs and seed give the same
interval.

A metric without a decomposition (e.g. from a third-party plugin) is bootstrapped by calling it on
resampled prediction/reference lists (the same draws, from ``resample_indices``), which is slower and
assumes the two lists are aligned by item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from xbench.errors import UserError
from xbench.metrics.base import Decomposition

DEFAULT_SEED = 12345
DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
METHOD = "percentile bootstrap over items"
# Indices drawn per chunk: bounds the temporary arrays (8 bytes each) to ~16 MB whatever the size.
_INDICES_PER_CHUNK = 2_000_000


@dataclass(frozen=True)
class ConfidenceInterval:
    """A metric's point estimate with its bootstrap interval, and how the interval was made."""

    point: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int
    n_items: int
    method: str = METHOD

    def to_dict(self) -> dict:
        return asdict(self)


def decomposition_of(metric: Callable | Decomposition | str) -> Decomposition | None:
    """The decomposition of a metric function, a Decomposition, or a registered metric name."""
    if isinstance(metric, Decomposition):
        return metric
    if isinstance(metric, str):
        metric = _registered_metric(metric)
    return getattr(metric, "decomposition", None)


def _registered_metric(name: str) -> Callable:
    from xbench.registry import get_registry

    metrics = get_registry().collect("metrics")
    if name not in metrics:
        raise UserError(f"unknown metric {name!r} (registered: {', '.join(sorted(metrics))}); "
                        f"check the spec's metrics list or `xbench plugins`")
    return metrics[name].load()


def resample_indices(n_items: int, n_resamples: int, seed: int | np.random.SeedSequence = DEFAULT_SEED):
    """The bootstrap draws, in chunks: yields ``(first, picks)`` with ``picks`` of shape (rows, n_items),
    the item indices of resamples ``first .. first + rows - 1``.

    The one resampling core of xbench: the decomposition path, the recomputing fallback and the
    contrasts of xbench.analysis.stats draw through it, so the same seed gives the same resamples.
    """
    rng = np.random.default_rng(seed)
    rows_per_chunk = max(1, _INDICES_PER_CHUNK // max(n_items, 1))
    for first in range(0, n_resamples, rows_per_chunk):
        rows = min(rows_per_chunk, n_resamples - first)
        yield first, rng.integers(0, n_items, size=(rows, n_items))


def resampled_sums(stats: np.ndarray, *, n_resamples: int = DEFAULT_RESAMPLES,
                   seed: int | np.random.SeedSequence = DEFAULT_SEED) -> np.ndarray:
    """Column sums of ``stats`` (n_items, k) over ``n_resamples`` resamples of its rows: (n_resamples, k)."""
    stats = np.asarray(stats, dtype=np.float64)
    sums = np.empty((n_resamples, stats.shape[1]), dtype=np.float64)
    for first, picks in resample_indices(stats.shape[0], n_resamples, seed):
        for column in range(stats.shape[1]):
            sums[first:first + len(picks), column] = stats[:, column][picks].sum(axis=1)
    return sums


def resampled_values(stats: np.ndarray, aggregate: Callable[[np.ndarray], np.ndarray], *,
                     n_resamples: int = DEFAULT_RESAMPLES,
                     seed: int | np.random.SeedSequence = DEFAULT_SEED) -> np.ndarray:
    """The metric on ``n_resamples`` resamples of the rows of ``stats`` (n_items, k), drawn with replacement."""
    return np.asarray(aggregate(resampled_sums(stats, n_resamples=n_resamples, seed=seed)), dtype=np.float64)


def bootstrap_stats(stats: np.ndarray, aggregate: Callable[[np.ndarray], np.ndarray], *,
                    n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                    confidence: float = DEFAULT_CONFIDENCE) -> ConfidenceInterval:
    """The interval from per-item statistics already computed (rows = items)."""
    stats = np.asarray(stats, dtype=np.float64)
    _check_settings(stats.shape[0], n_resamples, confidence)
    point = float(aggregate(stats.sum(axis=0)))
    values = resampled_values(stats, aggregate, n_resamples=n_resamples, seed=seed)
    return _interval(point, values, confidence, n_resamples, seed, stats.shape[0])


def bootstrap_ci(metric: Callable | Decomposition | str, predictions: Sequence, references: Sequence, *,
                 language: str | None = None, options: Mapping | None = None,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 confidence: float = DEFAULT_CONFIDENCE) -> ConfidenceInterval:
    """The metric on one language's items with its bootstrap confidence interval."""
    decomposition = decomposition_of(metric)
    if decomposition is not None:
        stats = decomposition.item_stats(predictions, references, language=language, options=options)
        return bootstrap_stats(stats, decomposition.aggregate, n_resamples=n_resamples, seed=seed,
                               confidence=confidence)
    fn = _registered_metric(metric) if isinstance(metric, str) else metric
    return _bootstrap_by_recomputing(fn, predictions, references, language=language, options=options,
                                     n_resamples=n_resamples, seed=seed, confidence=confidence)


def _bootstrap_by_recomputing(fn: Callable, predictions: Sequence, references: Sequence, *, language,
                              options, n_resamples: int, seed: int, confidence: float) -> ConfidenceInterval:
    n_items = len(references)
    _check_settings(n_items, n_resamples, confidence)
    point = float(fn(predictions, references, language=language, options=options))
    values = np.empty(n_resamples, dtype=np.float64)
    for first, chunk in resample_indices(n_items, n_resamples, seed):
        for row, picks in enumerate(chunk):
            values[first + row] = fn([predictions[i] for i in picks], [references[i] for i in picks],
                                     language=language, options=options)
    return _interval(point, values, confidence, n_resamples, seed, n_items)


def _check_settings(n_items: int, n_resamples: int, confidence: float) -> None:
    if n_items == 0:
        raise UserError("cannot bootstrap a metric over 0 items; check the split and --limit for this language")
    if n_resamples < 1:
        raise UserError(f"the number of bootstrap resamples must be at least 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise UserError(f"the bootstrap confidence level must lie strictly between 0 and 1, got {confidence}")


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The equal-tailed percentile interval of resampled values."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def _interval(point: float, values: np.ndarray, confidence: float, n_resamples: int, seed: int,
              n_items: int) -> ConfidenceInterval:
    low, high = percentile_interval(values, confidence)
    return ConfidenceInterval(point=point, low=low, high=high, confidence=confidence,
                              n_resamples=n_resamples, seed=seed, n_items=n_items)

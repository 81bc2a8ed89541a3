"""Per-language bootstrap confidence intervals: resample units with replacement, recompute the metric.

The settings (resamples, confidence, seed, resampling unit) live in one place, ``BootstrapSettings``;
``DEFAULT_SETTINGS`` is what the engine uses for every cell and what analyses start from, and the
settings are stored with each cell beside its interval.

**Resampling unit.** By default one unit is one row of the metric's decomposition (a sentence, a
question, a query). With ``groups`` (one label per row) the bootstrap is a *cluster* bootstrap: the
units are the groups (e.g. the articles of XQuAD/MLQA, whose questions share a context and are not
independent), a resample draws groups with replacement and includes all their rows. Because a
decomposition's metric is an aggregate of summed statistics, this equals the ordinary bootstrap over
the per-group sums, which is how it is computed.

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

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from xbench.errors import UserError
from xbench.metrics.base import Decomposition
from xbench.metrics.bootstrap_settings import (  # noqa: F401  (defined there, re-exported here)
    DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_SETTINGS, BootstrapSettings)

METHOD = "percentile bootstrap over items"
CLUSTER_METHOD = "percentile cluster bootstrap over groups of items"
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
    n_items: int  # the units resampled: items, or groups in a cluster bootstrap
    method: str = METHOD
    unit: str | None = None  # what one resampled unit is (None: one item of the metric's decomposition)

    def to_dict(self) -> dict:
        return asdict(self)

    def settings(self) -> BootstrapSettings:
        return BootstrapSettings(self.n_resamples, self.confidence, self.seed, self.unit)


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


def group_rows(groups: Sequence[Hashable], n_rows: int) -> tuple[np.ndarray, int]:
    """(for each row, the index of its group in order of first occurrence; the number of groups)."""
    if len(groups) != n_rows:
        raise UserError(f"bootstrap: {len(groups)} group labels for {n_rows} items; give one label per item")
    position: dict = {}
    index = np.fromiter((position.setdefault(g, len(position)) for g in groups), dtype=np.int64, count=n_rows)
    return index, len(position)


def unit_members(groups: Sequence[Hashable] | None, n_rows: int) -> list[list[int]]:
    """The row indices of each resampling unit (groups in order of first occurrence; None: one row each)."""
    if groups is None:
        return [[i] for i in range(n_rows)]
    index, n_groups = group_rows(groups, n_rows)
    members = [[] for _ in range(n_groups)]
    for row, group in enumerate(index.tolist()):
        members[group].append(row)
    return members


def grouped_stats(stats: np.ndarray, groups: Sequence[Hashable]) -> np.ndarray:
    """The rows of ``stats`` summed per group (groups in order of first occurrence): (n_groups, k).
    Resampling these rows is resampling the groups with all their items."""
    stats = np.asarray(stats, dtype=np.float64)
    index, n_groups = group_rows(groups, stats.shape[0])
    out = np.zeros((n_groups, stats.shape[1]), dtype=np.float64)
    np.add.at(out, index, stats)
    return out


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
                    confidence: float = DEFAULT_CONFIDENCE, groups: Sequence[Hashable] | None = None,
                    unit: str | None = None) -> ConfidenceInterval:
    """The interval from per-item statistics already computed (rows = items); with ``groups`` (one
    label per row) a cluster bootstrap over the groups, ``unit`` naming what a group is."""
    stats = np.asarray(stats, dtype=np.float64)
    if groups is not None:
        stats = grouped_stats(stats, groups)
    _check_settings(stats.shape[0], n_resamples, confidence)
    point = float(aggregate(stats.sum(axis=0)))
    values = resampled_values(stats, aggregate, n_resamples=n_resamples, seed=seed)
    return _interval(point, values, confidence, n_resamples, seed, stats.shape[0], groups is not None, unit)


def bootstrap_ci(metric: Callable | Decomposition | str, predictions: Sequence, references: Sequence, *,
                 language: str | None = None, options: Mapping | None = None,
                 n_resamples: int | None = None, seed: int | None = None, confidence: float | None = None,
                 settings: BootstrapSettings = DEFAULT_SETTINGS,
                 groups: Sequence[Hashable] | None = None) -> ConfidenceInterval:
    """The metric on one language's items with its bootstrap confidence interval.

    ``settings`` gives resamples, confidence, seed and the unit's name; ``n_resamples``, ``seed`` and
    ``confidence`` override single fields. ``groups`` (one label per item, aligned with
    ``references``) makes it a cluster bootstrap over the groups (see the module docstring).
    """
    settings = BootstrapSettings(settings.resamples if n_resamples is None else n_resamples,
                                 settings.confidence if confidence is None else confidence,
                                 settings.seed if seed is None else seed, settings.unit)
    decomposition = decomposition_of(metric)
    if decomposition is not None:
        stats = decomposition.item_stats(predictions, references, language=language, options=options)
        return bootstrap_stats(stats, decomposition.aggregate, n_resamples=settings.resamples, seed=settings.seed,
                               confidence=settings.confidence, groups=groups,
                               unit=settings.unit or (None if groups is None else "group"))
    fn = _registered_metric(metric) if isinstance(metric, str) else metric
    return _bootstrap_by_recomputing(fn, predictions, references, language=language, options=options,
                                     settings=settings, groups=groups)


def _bootstrap_by_recomputing(fn: Callable, predictions: Sequence, references: Sequence, *, language,
                              options, settings: BootstrapSettings,
                              groups: Sequence[Hashable] | None) -> ConfidenceInterval:
    members = unit_members(groups, len(references))
    _check_settings(len(members), settings.resamples, settings.confidence)
    point = float(fn(predictions, references, language=language, options=options))
    values = np.empty(settings.resamples, dtype=np.float64)
    for first, chunk in resample_indices(len(members), settings.resamples, settings.seed):
        for row, picks in enumerate(chunk):
            items = [i for g in picks for i in members[g]]
            values[first + row] = fn([predictions[i] for i in items], [references[i] for i in items],
                                     language=language, options=options)
    return _interval(point, values, settings.confidence, settings.resamples, settings.seed, len(members),
                     groups is not None, settings.unit or (None if groups is None else "group"))


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
              n_items: int, clustered: bool = False, unit: str | None = None) -> ConfidenceInterval:
    low, high = percentile_interval(values, confidence)
    return ConfidenceInterval(point=point, low=low, high=high, confidence=confidence,
                              n_resamples=n_resamples, seed=seed, n_items=n_items,
                              method=CLUSTER_METHOD if clustered else METHOD, unit=unit)

"""The statistics of ``xbench analyze``: bootstrap contrasts over systems and languages, paired tests,
multiple-comparison corrections, seed aggregates and correlations over languages.

Contrasts. One function, ``bootstrap_contrast``, estimates any linear contrast
Σ_groups Σ_systems w · metric(system) with a percentile interval. A *group* is one set of items
(one task and language) and the systems (runs, seeds) evaluated on them: within a group every
system is scored on the same resampled items (a paired bootstrap), and different groups (languages)
are resampled independently. Special cases: a paired gain (one group, weights {b: 1, a: -1}), a mean
over seeds (weights 1/n), the transfer gap (English +1, each of the n-1 other languages -1/(n-1)),
the change of a gap between two runs, and the interaction gain(large) − gain(small) (one group per
language with four systems). Resampling goes through xbench.metrics.bootstrap: the metric's
decomposition is resampled as summed per-item statistics (corpus-level metrics are recomputed from
resampled counts), and a metric without a decomposition is called on each resample. A group with
``units`` (per-item labels; the runs' items files carry them as ``resampling_unit``, e.g. QA's
articles) resamples those units with all their items, as the cell's own interval does.

Group i draws its resamples from ``seed`` itself for i = 0 and from
``numpy.random.SeedSequence(seed, spawn_key=(i,))`` for i ≥ 1, so a one-group contrast uses exactly
the resamples of ``xbench.metrics.bootstrap.bootstrap_ci`` with the same seed.

P-values.
- Contrast (bootstrap) p-value, H0: contrast = 0, two-sided: the test dual to the percentile interval,
  p = 2 · min(#{θ* ≤ 0} + 1, #{θ* ≥ 0} + 1) / (B + 1), capped at 1, on the uncentred bootstrap
  distribution: the achieved significance level read off the bootstrap replicates (Efron & Tibshirani
  1993, An Introduction to the Bootstrap, chs. 15–16), the same one-sided count as Koehn (2004)'s
  paired bootstrap resampling for MT. The "+1" counts the observed sample among the resamples so that
  a p-value is never 0 (Davison & Hinkley 1997, Bootstrap Methods and their Application, ch. 4;
  Phipson & Smyth 2010). p lies in [2/(B+1), 1] and is below α when 0 lies outside the (1−α)
  percentile interval (and conversely), up to the discreteness of the resamples: the test and the
  interval reported beside it do not contradict each other.
- McNemar: exact two-sided binomial test on the discordant pairs, p = min(1, 2 · P(Bin(b+c, ½) ≤ min(b, c))),
  as statsmodels' ``mcnemar(table, exact=True)``; computed in exact integer arithmetic.
- Correlation: two-sided permutation test as ``scipy.stats.permutation_test`` (pairings):
  p = 2 · min(P(r* ≤ r), P(r* ≥ r)), capped at 1, over all n! pairings when n! ≤ n_permutations
  (exact), else over n_permutations random ones with the +1 correction. For a partial correlation the
  residuals of y are permuted and re-residualised on the controls (Freedman & Lane 1983).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from xbench.analysis.correlation_stats import _check_seed, _finite
from xbench.errors import UserError
from xbench.metrics.base import Decomposition
from xbench.metrics.bootstrap import (
    DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED, _check_settings, _registered_metric, decomposition_of,
    grouped_stats, percentile_interval, resample_indices, resampled_sums, unit_members,
)

CONTRAST_METHOD = "percentile bootstrap over items; systems paired within a group, groups resampled independently"
# A contrast within this of 0 is 0: weights like 1/3 leave rounding noise where two systems agree,
# and that noise must not decide the sign counts of the p-value. Metric values lie in [0, 1].
_ZERO_TOLERANCE = 1e-12


# ---- contrasts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """Items of one task and language with the systems evaluated on them, and each system's weight.

    ``metric``: a metric function, a Decomposition or a registered metric name. ``systems``: name ->
    predictions aligned with ``references``; ``weights``: name -> weight of that system's metric.
    ``units``: when given, the bootstrap draws these units (all their items together) instead of
    items, like the cell's own interval (a cluster bootstrap; xbench.metrics.bootstrap).
    """

    metric: Callable | Decomposition | str
    references: Sequence
    systems: Mapping[str, Sequence]
    weights: Mapping[str, float]
    language: str | None = None
    options: Mapping | None = None
    units: Sequence | None = None  # one resampling-unit label per item (e.g. QA's article); None: items


@dataclass(frozen=True)
class Contrast:
    """A linear contrast of metrics with its bootstrap interval and two-sided p-value (H0: contrast = 0)."""

    estimate: float
    low: float
    high: float
    p_value: float | None  # None when not computed
    confidence: float
    n_resamples: int
    seed: int
    n_items: tuple[int, ...]  # per group
    method: str = CONTRAST_METHOD

    def to_dict(self) -> dict:
        out = asdict(self)
        out["n_items"] = list(self.n_items)
        return out


@dataclass(frozen=True)
class _GroupTerms:
    """One group's part of a contrast: per-system metric on all items and on each resample."""

    names: list[str]
    points: list[float]
    resampled: np.ndarray  # (n_resamples, n_systems)
    stats: list[np.ndarray] | None  # per-system item statistics, when the metric has a decomposition
    decomposition: Decomposition | None


def bootstrap_contrast(groups: Sequence[Group], *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                       confidence: float = DEFAULT_CONFIDENCE) -> Contrast:
    """Σ_groups Σ_systems w · metric(system) with its percentile bootstrap interval and p-value.

    Within a group all systems are scored on the same resampled items; groups are resampled
    independently (see the module docstring for the seeds and the p-value).
    """
    contrast, _ = _contrast(groups, n_resamples=n_resamples, seed=seed, confidence=confidence)
    return contrast


def _contrast(groups: Sequence[Group], *, n_resamples: int, seed: int,
              confidence: float) -> tuple[Contrast, list[_GroupTerms]]:
    if not groups:
        raise UserError("a bootstrap contrast needs at least one group of systems; none was given "
                        "(check that the runs compared share a task and language)")
    _check_seed(seed)
    all_terms = [_group_terms(group, index, n_resamples=n_resamples, seed=_group_seed(seed, index),
                              confidence=confidence) for index, group in enumerate(groups)]
    estimate, scale = 0.0, 0.0
    values = np.zeros(n_resamples, dtype=np.float64)
    for group, terms in zip(groups, all_terms):
        # systems summed one at a time, in order: a contrast {b: 1, a: -1} is exactly score(b) - score(a)
        for column, name in enumerate(terms.names):
            weight = float(group.weights[name])
            estimate += weight * terms.points[column]
            values += weight * terms.resampled[:, column]
            scale += abs(weight)
    tolerance = _ZERO_TOLERANCE * max(1.0, scale)
    if abs(estimate) <= tolerance:
        estimate = 0.0
    values[np.abs(values) <= tolerance] = 0.0
    low, high = percentile_interval(values, confidence)
    contrast = Contrast(estimate=estimate, low=low, high=high, p_value=bootstrap_p_value(values),
                        confidence=confidence, n_resamples=n_resamples, seed=seed,
                        n_items=tuple(len(g.references) for g in groups))
    return contrast, all_terms


def bootstrap_p_value(values: np.ndarray) -> float:
    """Two-sided p-value of H0: θ = 0 from bootstrap replicates θ*: 2·min(#≤0 + 1, #≥0 + 1)/(B + 1), ≤ 1.

    The test dual to the percentile interval (Efron & Tibshirani 1993, chs. 15–16), with the "+1"
    Monte-Carlo correction (Davison & Hinkley 1997, ch. 4); replicates equal to 0 count on both sides.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n == 0:
        raise UserError("a bootstrap p-value needs at least 1 resample; raise --resamples")
    below = int(np.count_nonzero(values <= 0.0))
    above = int(np.count_nonzero(values >= 0.0))
    return min(1.0, 2.0 * (min(below, above) + 1) / (n + 1))


def _group_seed(seed: int, index: int) -> int | np.random.SeedSequence:
    # group 0 draws like bootstrap_ci; the others from independent child streams of the same seed
    return seed if index == 0 else np.random.SeedSequence(seed, spawn_key=(index,))


def _group_terms(group: Group, index: int, *, n_resamples: int, seed, confidence: float) -> _GroupTerms:
    where = f"contrast group {index + 1}" + (f" (language {group.language})" if group.language else "")
    references = group.references
    n_items = len(references)
    if n_items == 0:
        raise UserError(f"{where}: 0 items to resample; check the split and --limit for this language")
    if group.units is not None and len(group.units) != n_items:
        raise UserError(f"{where}: {len(group.units)} resampling-unit labels for {n_items} items; give one per item")
    _check_settings(n_items if group.units is None else len(set(group.units)), n_resamples, confidence)
    names = list(group.systems)
    if not names:
        raise UserError(f"{where}: no systems to compare; give at least one run per group")
    if set(group.weights) != set(names):
        missing = sorted(set(names) - set(group.weights))
        extra = sorted(set(group.weights) - set(names))
        raise UserError(f"{where}: weights and systems differ (no weight for {missing or 'none'}, weight without "
                        f"system for {extra or 'none'}); give one weight per system")
    for name in names:
        weight = group.weights[name]
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)) or not math.isfinite(weight):
            raise UserError(f"{where}: weight of system {name!r} is {weight!r}; weights must be finite numbers")
        if len(group.systems[name]) != n_items:
            raise UserError(f"{where}: system {name!r} has {len(group.systems[name])} predictions for {n_items} "
                            "references; align every system on the group's items")
    decomposition = decomposition_of(group.metric)
    kwargs = {"language": group.language, "options": group.options}
    if decomposition is not None:
        stats = [np.asarray(decomposition.item_stats(group.systems[name], references, **kwargs), dtype=np.float64)
                 for name in names]
        width = stats[0].shape[1]
        points = [float(decomposition.aggregate(s.sum(axis=0))) for s in stats]
        # all systems' statistics side by side: one draw of item indices resamples every system alike
        side_by_side = np.hstack(stats)
        if group.units is not None:
            side_by_side = grouped_stats(side_by_side, group.units)
        sums = resampled_sums(side_by_side, n_resamples=n_resamples, seed=seed)
        resampled = np.asarray(decomposition.aggregate(sums.reshape(n_resamples, len(names), width)),
                               dtype=np.float64)
        return _GroupTerms(names, points, resampled, stats, decomposition)
    fn = _registered_metric(group.metric) if isinstance(group.metric, str) else group.metric
    points = [float(fn(group.systems[name], references, **kwargs)) for name in names]
    resampled = np.empty((n_resamples, len(names)), dtype=np.float64)
    members = unit_members(group.units, n_items)
    for first, chunk in resample_indices(len(members), n_resamples, seed):
        for row, drawn in enumerate(chunk):
            picks = [i for unit in drawn for i in members[unit]]
            picked_references = [references[i] for i in picks]
            for column, name in enumerate(names):
                predictions = group.systems[name]
                resampled[first + row, column] = fn([predictions[i] for i in picks], picked_references, **kwargs)
    return _GroupTerms(names, points, resampled, None, None)


# ---- paired tests --------------------------------------------------------------------------------

@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test: ``b`` items a got right and b wrong, ``c`` the reverse, of ``n`` paired items."""

    b: int
    c: int
    p_value: float
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


def mcnemar_exact(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> McNemar:
    """Exact two-sided McNemar test on per-item correctness of two systems on the same items."""
    a = _correctness(a_correct, "a")
    b = _correctness(b_correct, "b")
    if a.size != b.size:
        raise UserError(f"McNemar test: {a.size} outcomes for system a but {b.size} for system b; "
                        "give both systems' outcomes on the same items")
    if a.size == 0:
        raise UserError("McNemar test: no paired items; check that the two runs share items")
    only_a = int(np.count_nonzero(a & ~b))
    only_b = int(np.count_nonzero(~a & b))
    return McNemar(b=only_a, c=only_b, p_value=_binomial_two_sided(only_a, only_b), n=int(a.size))


def _correctness(values: Sequence, side: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and not np.isin(array, (0, 1)).all()):
        raise UserError(f"McNemar test: the outcomes of system {side} must be one true/false (or 1/0) per item")
    return array.astype(bool)


def _binomial_two_sided(b: int, c: int) -> float:
    """min(1, 2·P(Bin(b+c, ½) ≤ min(b, c))) in exact integer arithmetic (one rounding, at the end)."""
    n, k = b + c, min(b, c)
    term, tail = 1, 1  # C(n, 0)
    for i in range(k):
        term = term * (n - i) // (i + 1)
        tail += term
    return min(1.0, (2 * tail) / (1 << n))  # int / int is correctly rounded, however large


@dataclass(frozen=True)
class PairedResult:
    """System b minus system a on the same items: the difference, its paired bootstrap interval, and
    the test used (``"mcnemar-exact"`` for per-item binary metrics, else ``"paired-bootstrap"``)."""

    score_a: float
    score_b: float
    difference: float  # score_b - score_a
    low: float
    high: float
    test: str
    p_value: float
    n_items: int
    confidence: float
    n_resamples: int
    seed: int
    a_right_b_wrong: int | None = None  # McNemar's discordant counts (b, c); None for the bootstrap test
    a_wrong_b_right: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def paired_test(metric: Callable | Decomposition | str, predictions_a: Sequence, predictions_b: Sequence,
                references: Sequence, *, language: str | None = None, options: Mapping | None = None,
                n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                confidence: float = DEFAULT_CONFIDENCE) -> PairedResult:
    """Is b better than a on these items? Difference b − a with a paired bootstrap interval; exact
    McNemar when the metric is a mean of per-item 0/1 outcomes, else the paired bootstrap p-value."""
    group = Group(metric, references, {"b": predictions_b, "a": predictions_a}, {"b": 1.0, "a": -1.0},
                  language, options)
    contrast, (terms,) = _contrast([group], n_resamples=n_resamples, seed=seed, confidence=confidence)
    score_b, score_a = terms.points
    common = dict(score_a=score_a, score_b=score_b, difference=contrast.estimate, low=contrast.low,
                  high=contrast.high, n_items=len(references), confidence=confidence, n_resamples=n_resamples,
                  seed=seed)
    outcomes = _binary_outcomes(terms)
    if outcomes is None:
        return PairedResult(**common, test="paired-bootstrap", p_value=contrast.p_value)
    correct_b, correct_a = outcomes
    test = mcnemar_exact(correct_a, correct_b)
    return PairedResult(**common, test="mcnemar-exact", p_value=test.p_value, a_right_b_wrong=test.b,
                        a_wrong_b_right=test.c)


def _binary_outcomes(terms: _GroupTerms) -> list[np.ndarray] | None:
    """Per-system 0/1 outcomes when the metric declares itself a mean of them and the statistics agree."""
    if terms.decomposition is None or not terms.decomposition.per_item_binary:
        return None
    outcomes = []
    for stats in terms.stats:
        # declared binary: (correct, count) rows with correct in {0, 1} and count 1, checked not assumed
        if stats.shape[1] != 2 or not np.isin(stats[:, 0], (0.0, 1.0)).all() or not (stats[:, 1] == 1.0).all():
            return None
        outcomes.append(stats[:, 0] == 1.0)
    return outcomes


# ---- multiple comparisons and seeds --------------------------------------------------------------

def adjust_pvalues(pvalues: Sequence[float | None], method: str) -> list[float | None]:
    """Holm (family-wise error) or Benjamini–Hochberg (false discovery rate) adjusted p-values, as
    statsmodels' ``multipletests(method="holm" | "fdr_bh")``; None entries pass through, uncounted."""
    kind = {"holm": "holm", "bh": "bh", "fdr_bh": "bh"}.get(method)
    if kind is None:
        raise UserError(f"unknown p-value correction {method!r}; use holm or bh")
    present = [i for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = list(pvalues)
    if not present:
        return out
    p = np.asarray([float(pvalues[i]) for i in present], dtype=np.float64)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise UserError(f"p-values to correct must lie in [0, 1], got {p.tolist()}")
    m = p.size
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if kind == "holm":
        adjusted = np.maximum.accumulate(ranked * np.arange(m, 0, -1))
    else:
        adjusted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    adjusted = np.minimum(adjusted, 1.0)
    for position, value in zip(order, adjusted):
        out[present[position]] = float(value)
    return out


def mean_sd(values: Sequence[float]) -> tuple[float, float | None, int]:
    """(mean, sample standard deviation with ddof = 1 or None for a single value, count)."""
    array = _finite(values, "mean ± sd")
    if array.size == 0:
        raise UserError("mean ± sd of no values; at least one seed must have a score")
    sd = float(np.std(array, ddof=1)) if array.size > 1 else None
    return float(np.mean(array)), sd, int(array.size)


# ---- correlations over languages -----------------------------------------------------------------


# correlations over languages live in their own module; imported here so callers need one name
from xbench.analysis.correlation_stats import (  # noqa: E402
    DEFAULT_CORRELATION_RESAMPLES, DEFAULT_PERMUTATIONS, Correlation, correlation, partial_correlation,
)

"""Correlations over languages for ``xbench analyze correlate``: Pearson and Spearman coefficients
with a two-sided permutation p-value as ``scipy.stats.permutation_test`` (pairings) — over all n!
pairings when n! <= n_permutations (exact), else random ones with the +1 correction — and a
percentile bootstrap interval resampling the (x, y) pairs; partial correlations permute the residuals
of y and re-residualise them on the controls (Freedman & Lane 1983). Re-exported by
``xbench.analysis.stats``."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from xbench.errors import UserError
from xbench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_SEED, percentile_interval

DEFAULT_PERMUTATIONS = 10000
DEFAULT_CORRELATION_RESAMPLES = 2000
# Elements per block of the permutation null distribution (bounds temporary arrays to ~8 MB).
_PERMUTED_PER_BLOCK = 1_000_000


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UserError(f"the resampling seed must be a non-negative integer, got {seed!r} (fix --stat-seed)")


@dataclass(frozen=True)
class Correlation:
    """A (partial) correlation with its permutation p-value and bootstrap interval over points."""

    r: float
    p_value: float
    low: float | None  # None only when every bootstrap resample was degenerate
    high: float | None
    n: int
    method: str  # pearson | spearman
    n_controls: int = 0  # covariates partialled out
    exact: bool = False  # p-value over all n! pairings
    n_permutations: int = 0  # pairings the p-value was computed over
    n_resamples: int = 0
    degenerate_resamples: int = 0  # bootstrap resamples with r undefined (e.g. one point drawn n times), left out
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED

    def to_dict(self) -> dict:
        return asdict(self)


def correlation(x: Sequence[float], y: Sequence[float], *, method: str = "pearson",
                n_permutations: int = DEFAULT_PERMUTATIONS, n_resamples: int = DEFAULT_CORRELATION_RESAMPLES,
                seed: int = DEFAULT_SEED, confidence: float = DEFAULT_CONFIDENCE) -> Correlation:
    """Pearson or Spearman correlation of x and y (e.g. one point per language), with a two-sided
    permutation p-value over pairings and a percentile bootstrap interval resampling points."""
    xs, ys = _finite(x, "correlation: x"), _finite(y, "correlation: y")
    _check_points(xs, ys, None, "correlation")
    return _correlate(xs, ys, None, method=method, n_permutations=n_permutations, n_resamples=n_resamples,
                      seed=seed, confidence=confidence)


def partial_correlation(x: Sequence[float], y: Sequence[float], z: Sequence[float] | Sequence[Sequence[float]], *,
                        method: str = "pearson", n_permutations: int = DEFAULT_PERMUTATIONS,
                        n_resamples: int = DEFAULT_CORRELATION_RESAMPLES, seed: int = DEFAULT_SEED,
                        confidence: float = DEFAULT_CONFIDENCE) -> Correlation:
    """Correlation of x and y controlling for z (one covariate, or a list of covariate sequences): the
    correlation of the OLS residuals (with intercept) of x and of y on z, ranks first for spearman.
    Permutation p-value by Freedman–Lane (y's residuals permuted); bootstrap resamples whole points."""
    xs, ys = _finite(x, "partial correlation: x"), _finite(y, "partial correlation: y")
    zs = _controls(z, xs.size)
    _check_points(xs, ys, zs, "partial correlation")
    return _correlate(xs, ys, zs, method=method, n_permutations=n_permutations, n_resamples=n_resamples,
                      seed=seed, confidence=confidence)


def _finite(values: Sequence[float], what: str) -> np.ndarray:
    try:
        array = np.asarray([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError(f"{what}: every value must be a number, got {list(values)!r}; "
                        "leave points without a value out") from None
    if not np.isfinite(array).all():
        raise UserError(f"{what}: values must be finite, got {array.tolist()}; leave points without a value out")
    return array


def _controls(z, n: int) -> np.ndarray:
    """Covariates as an (n, q) array: ``z`` is one sequence of n numbers or a list of such sequences."""
    rows = list(z)
    nested = bool(rows) and all(isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, str) for v in rows)
    columns = rows if nested else [rows]
    arrays = [_finite(c, f"partial correlation: control {i + 1}") for i, c in enumerate(columns)]
    for i, a in enumerate(arrays):
        if a.size != n:
            raise UserError(f"partial correlation: control {i + 1} has {a.size} values for {n} points; "
                            "give one control value per point")
    if not arrays:
        raise UserError("partial correlation: no control variable given; use correlation() instead")
    return np.column_stack(arrays)


def _check_points(xs: np.ndarray, ys: np.ndarray, zs: np.ndarray | None, what: str) -> None:
    if xs.size != ys.size:
        raise UserError(f"{what}: x has {xs.size} values but y has {ys.size}; give one (x, y) pair per point")
    needed = 3 + (0 if zs is None else zs.shape[1])
    if xs.size < needed:
        controls = "" if zs is None else f" with {zs.shape[1]} control(s)"
        raise UserError(f"{what}: {xs.size} point(s){controls}, at least {needed} needed; add languages")
    for name, values in (("x", xs), ("y", ys)):
        if np.ptp(values) == 0:
            raise UserError(f"{what}: {name} is constant ({values[0]:g} at every point); a correlation "
                            "with it is undefined, choose another variable")


def _check_method(method: str) -> str:
    if method not in ("pearson", "spearman"):
        raise UserError(f"unknown correlation method {method!r}; use pearson or spearman")
    return method


def _correlate(xs, ys, zs, *, method, n_permutations, n_resamples, seed, confidence) -> Correlation:
    _check_method(method)
    _check_seed(seed)
    if n_permutations < 1 or n_resamples < 1:
        raise UserError(f"permutations and resamples must be at least 1, got {n_permutations} and {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise UserError(f"the confidence level must lie strictly between 0 and 1, got {confidence}")
    what = "correlation" if zs is None else "partial correlation"
    if method == "spearman":
        from scipy.stats import rankdata

        xs, ys = rankdata(xs), rankdata(ys)
        zs = None if zs is None else rankdata(zs, axis=0)
    design = np.ones((xs.size, 1)) if zs is None else np.column_stack([np.ones(xs.size), zs])
    ex, ey = _residuals(xs, design), _residuals(ys, design)
    for name, values, residual in (("x", xs, ex), ("y", ys, ey)):
        if _negligible(residual, values):
            raise UserError(f"{what}: {name} is fully explained by the control variable(s); the partial "
                            "correlation is undefined, choose other controls")
    r = _r(ex, ey)
    perm_seed, boot_seed = np.random.SeedSequence(seed).spawn(2)
    p_value, exact, used = _permutation_p(r, ex, ey, design, n_permutations, perm_seed)
    boot = _bootstrap_r(xs, ys, zs, method, n_resamples, boot_seed)
    valid = boot[~np.isnan(boot)]
    low, high = percentile_interval(valid, confidence) if valid.size else (None, None)
    return Correlation(r=r, p_value=p_value, low=low, high=high, n=int(xs.size), method=method,
                       n_controls=0 if zs is None else int(zs.shape[1]), exact=exact, n_permutations=used,
                       n_resamples=n_resamples, degenerate_resamples=int(boot.size - valid.size),
                       confidence=confidence, seed=seed)


def _residuals(values: np.ndarray, design: np.ndarray) -> np.ndarray:
    if design.shape[1] == 1:
        return values - values.mean()  # intercept only: centring, as scipy's pearsonr
    beta, *_ = np.linalg.lstsq(design, values, rcond=None)
    return values - design @ beta


def _negligible(residual: np.ndarray, values: np.ndarray) -> bool:
    # relative to the values' own spread: exact fits leave rounding noise, not zeros
    return float(np.linalg.norm(residual)) <= 1e-10 * max(float(np.linalg.norm(values - values.mean())), 1e-300)


def _r(ex: np.ndarray, ey: np.ndarray) -> float:
    # normalise first, then the dot product: the same operations as scipy.stats.pearsonr
    value = float(np.dot(ex / np.linalg.norm(ex), ey / np.linalg.norm(ey)))
    return max(-1.0, min(1.0, value))


def _permutation_p(r: float, ex: np.ndarray, ey: np.ndarray, design: np.ndarray, n_permutations: int,
                   seed: np.random.SeedSequence) -> tuple[float, bool, int]:
    """Two-sided p-value of r over pairings of y's residuals with x's, as scipy.stats.permutation_test."""
    n = ex.size
    exact = math.factorial(n) <= n_permutations
    # projection onto the residual space of the design: a permuted y residual is re-residualised
    # (Freedman–Lane); for the intercept-only design this is centring, which permutations preserve
    hat = design @ np.linalg.pinv(design)
    unit_x = ex / np.linalg.norm(ex)
    tolerance = abs(100 * np.finfo(np.float64).eps * r)  # scipy's tolerance for numerically tied statistics
    less = greater = total = 0
    for perms in _permutation_blocks(n, n_permutations, exact, seed):
        permuted = ey[perms]
        residual = permuted - permuted @ hat
        # x's residual is orthogonal to the design, so permuted·x_res equals residual·x_res
        null = (permuted @ unit_x) / np.linalg.norm(residual, axis=1)
        less += int(np.count_nonzero(null <= r + tolerance))
        greater += int(np.count_nonzero(null >= r - tolerance))
        total += len(perms)
    adjustment = 0 if exact else 1  # a random subset counts the observed pairing too
    p = 2 * min(less + adjustment, greater + adjustment) / (total + adjustment)
    return min(1.0, p), exact, total


def _permutation_blocks(n: int, n_permutations: int, exact: bool, seed: np.random.SeedSequence):
    rows = max(1, _PERMUTED_PER_BLOCK // n)
    if exact:
        every = itertools.permutations(range(n))
        while block := list(itertools.islice(every, rows)):
            yield np.asarray(block, dtype=np.intp)
        return
    rng = np.random.default_rng(seed)
    for first in range(0, n_permutations, rows):
        count = min(rows, n_permutations - first)
        yield rng.permuted(np.tile(np.arange(n), (count, 1)), axis=1)


def _bootstrap_r(xs, ys, zs, method: str, n_resamples: int, seed: np.random.SeedSequence) -> np.ndarray:
    """r on resamples of whole points (x, y, z), NaN where a resample leaves x or y without variation.

    ``xs``, ``ys``, ``zs`` are already ranks for spearman; they are re-ranked within each resample,
    since a resample's ranks are not the original ranks (ties appear)."""
    n = xs.size
    rng = np.random.default_rng(seed)
    out = np.empty(n_resamples, dtype=np.float64)
    rows = max(1, _PERMUTED_PER_BLOCK // (n * (1 if zs is None else 2 + zs.shape[1])))
    for first in range(0, n_resamples, rows):
        count = min(rows, n_resamples - first)
        picks = rng.integers(0, n, size=(count, n))
        bx, by = xs[picks], ys[picks]
        bz = None if zs is None else zs[picks]  # (count, n, q)
        if method == "spearman":
            from scipy.stats import rankdata

            bx, by = rankdata(bx, axis=1), rankdata(by, axis=1)
            bz = None if bz is None else rankdata(bz, axis=1)
        if bz is None:
            ex = bx - bx.mean(axis=1, keepdims=True)
            ey = by - by.mean(axis=1, keepdims=True)
        else:
            design = np.concatenate([np.ones((count, n, 1)), bz], axis=2)
            hat = design @ np.linalg.pinv(design)  # (count, n, n); pinv copes with collinear resamples
            ex = bx - np.einsum("bij,bj->bi", hat, bx)
            ey = by - np.einsum("bij,bj->bi", hat, by)
        norm_x, norm_y = np.linalg.norm(ex, axis=1), np.linalg.norm(ey, axis=1)
        # degenerate: no variation left in x or y, relative to the sample's spread (as _negligible)
        bad = (norm_x <= 1e-10 * float(np.linalg.norm(xs - xs.mean()))) | \
              (norm_y <= 1e-10 * float(np.linalg.norm(ys - ys.mean())))
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.einsum("bi,bi->b", ex, ey) / (norm_x * norm_y)
        values = np.clip(values, -1.0, 1.0)
        values[bad] = np.nan
        out[first:first + count] = values
    return out

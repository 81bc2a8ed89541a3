"""Uncertainty of reported values: what is shown beside a number, and how it is rendered.

Two kinds of interval exist in xbench, and they answer different questions:

* **over items** — every cell stores a percentile bootstrap CI over its items, made with
  ``xbench.metrics.bootstrap.DEFAULT_SETTINGS`` (95%, 1000 resamples, fixed seed; stored in the
  cell's ``info["bootstrap"]``) by the engine for one seed; QA cells resample articles, not questions.
  It says how much the score of that one fine-tuned model would move on another draw of test items. It belongs to one cell of one seed; the CIs of several
  cells cannot be combined into an interval for their mean (that needs a joint resampling of the
  items, which is not stored), so means over languages or tasks of one seed have no interval.
* **over seeds** — with several seeds, the sample sd (n - 1) of the per-seed values, or the 95%
  t-interval of their mean: mean ± t(0.975, n - 1) · sd / √n. It says how much the result moves
  with the fine-tuning seed, and is computable for any value that has one number per seed (a cell, a
  task mean, a transfer gap, a benchmark score).

Modes (``--uncertainty``): ``sd`` (± sd over seeds), ``ci`` (the t-interval over seeds, or the
bootstrap CI of a single-seed cell), ``none``, and ``auto`` (the default: ``sd`` for a value with
several seeds, ``ci`` for a value with one). ``estimate`` resolves a mode into an ``Estimate``;
``format_value`` renders one; ``UncertaintyLegend`` collects what was shown for the footnotes.
Values are fractions; rendering multiplies by ``scale`` (100).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

from xbench.errors import UserError
from xbench.metrics.bootstrap import DEFAULT_SETTINGS

MODES = ("auto", "sd", "ci", "none")
DEFAULT_MODE = "auto"
CONFIDENCE = DEFAULT_SETTINGS.confidence  # one level for bootstrap CIs over items and t-intervals over seeds
T_INTERVAL, BOOTSTRAP = "t", "bootstrap"

# two-sided 95%: the 0.975 quantile of Student's t for 1..30 degrees of freedom (6 decimals), so the
# common case needs no scipy; larger df use the Cornish-Fisher expansion below (error < 1e-7 there)
_T975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
         2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
         2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
         2.048407, 2.045230, 2.042272)
_TABLE_MAX_DF = len(_T975)


def t_quantile(df: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided ``confidence`` critical value of Student's t with ``df`` degrees of freedom,
    i.e. the (1 + confidence) / 2 quantile.

    95% and df ≤ 30: a table; df > 30: the Cornish-Fisher (Abramowitz & Stegun 26.7.5) expansion
    around the normal quantile; other levels with df ≤ 30 need scipy.
    """
    if not isinstance(df, int) or df < 1:
        raise ValueError(f"degrees of freedom must be a positive integer, not {df!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    p = (1.0 + confidence) / 2.0
    if math.isclose(confidence, CONFIDENCE) and df <= _TABLE_MAX_DF:
        return _T975[df - 1]
    if df > _TABLE_MAX_DF:
        z = NormalDist().inv_cdf(p)
        g1 = (z ** 3 + z) / 4
        g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96
        g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384
        g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160
        return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4
    try:
        from scipy.stats import t
    except ImportError:
        raise UserError(f"a {confidence:.0%} t-interval over {df + 1} seeds needs scipy "
                        "(fix: pip install 'xbench[analysis]', or use the 95% level)") from None
    return float(t.ppf(p, df))


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The ``confidence`` t-interval of the mean of ``values`` (at least two):
    mean ± t_quantile(n - 1) · sd / √n with the sample sd."""
    values = [float(v) for v in values]
    if len(values) < 2:
        raise ValueError("a t-interval needs at least two values")
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    half = t_quantile(len(values) - 1, confidence) * sd / math.sqrt(len(values))
    return mean - half, mean + half


@dataclass(frozen=True)
class Estimate:
    """A value (fraction) and the uncertainty chosen for it.

    ``low``/``high`` are set when the resolved mode is ``ci`` and an interval exists; ``interval``
    says which (``"t"``: t-interval over ``n_seeds`` seeds, ``"bootstrap"``: the stored CI over the
    items of one seed). ``sd`` is set when the resolved mode is ``sd`` and there are several seeds.
    ``wanted`` is the resolved mode, so a reader can tell "no interval" from "none asked for".
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    sd: float | None = None
    n_seeds: int = 0
    interval: str | None = None
    wanted: str = "none"

    @property
    def lacking(self) -> bool:
        """An uncertainty was asked for but none is computable (e.g. a mean of one seed in ``ci``)."""
        if self.value is None or self.wanted == "none":
            return False
        return self.sd is None if self.wanted == "sd" else self.low is None

    def fields(self) -> dict:
        """The machine-readable fields (json, csv): value, low, high, interval, sd, n_seeds."""
        return {"value": self.value, "low": self.low, "high": self.high, "interval": self.interval,
                "sd": self.sd, "n_seeds": self.n_seeds}


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UserError(f"uncertainty mode {mode!r} is not one of {', '.join(MODES)}")
    return mode


def resolve_mode(mode: str, n_seeds: int) -> str:
    """``auto`` → ``sd`` with several seeds, ``ci`` with one; other modes as given."""
    check_mode(mode)
    if mode == "auto":
        return "sd" if n_seeds > 1 else "ci"
    return mode


def estimate(value: float | None, seed_values: Sequence[float] = (), bootstrap: Sequence[float] | None = None,
             mode: str = DEFAULT_MODE, confidence: float = CONFIDENCE) -> Estimate:
    """The estimate to show for ``value``, given its per-seed values and (for a single-seed cell
    only) the cell's stored bootstrap CI ``[low, high]``.

    With several seeds ``value`` should be their mean. No ``seed_values`` means the value has no
    per-seed breakdown (its parts were computed on different seeds). An interval is never made up: a
    value of one seed without a bootstrap CI (a mean over languages or tasks) has none.
    """
    n = len(seed_values)
    wanted = resolve_mode(mode, n)
    if value is None:
        return Estimate(None, n_seeds=n, wanted=wanted)
    if wanted == "sd" and n > 1:
        return Estimate(value, sd=statistics.stdev(seed_values), n_seeds=n, wanted=wanted)
    if wanted == "ci" and n > 1:
        low, high = t_interval(seed_values, confidence)
        return Estimate(value, low, high, n_seeds=n, interval=T_INTERVAL, wanted=wanted)
    if wanted == "ci" and n <= 1 and bootstrap is not None:
        low, high = bootstrap
        return Estimate(value, float(low), float(high), n_seeds=n, interval=BOOTSTRAP, wanted=wanted)
    return Estimate(value, n_seeds=n, wanted=wanted)


def format_value(value: float | None, low: float | None = None, high: float | None = None,
                 sd: float | None = None, mode: str = DEFAULT_MODE, scale: float = 100.0, digits: int = 1) -> str:
    """A value with its uncertainty as text: ``61.2 [57.0, 65.4]`` (interval), ``61.2 ± 1.3`` (sd),
    ``61.2`` (neither), ``n/a`` (no value).

    Numbers are multiplied by ``scale`` (fractions shown ×100 by default) and rounded to ``digits``
    decimals. ``mode`` picks what is shown: ``ci`` the interval, ``sd`` the sd, ``none`` only the
    value, ``auto`` the interval when given, else the sd. What is not given is not shown, so
    ``format_value(0.612, mode="ci")`` is plain ``61.2``: the caller decides what exists (see
    ``estimate``) and says in a footnote what the interval is.
    """
    check_mode(mode)
    if value is None:
        return "n/a"
    text = f"{scale * value:.{digits}f}"
    has_interval, has_sd = low is not None and high is not None, sd is not None
    if mode in ("ci", "auto") and has_interval:
        return f"{text} [{scale * low:.{digits}f}, {scale * high:.{digits}f}]"
    if mode in ("sd", "auto") and has_sd:
        return f"{text} ± {scale * sd:.{digits}f}"
    return text


def format_estimate(est: Estimate, digits: int = 1) -> str:
    """``format_value`` of an ``Estimate`` (which holds only what its mode asked for)."""
    return format_value(est.value, est.low, est.high, est.sd, "auto", digits=digits)


def shown_fields(mode: str) -> list[str]:
    """The uncertainty fields a mode can fill, for csv columns beside a value: ``ci`` low and high,
    ``sd`` sd, ``auto`` all three (per value one or the other), ``none`` nothing."""
    return {"ci": ["low", "high"], "sd": ["sd"], "auto": ["low", "high", "sd"], "none": []}[check_mode(mode)]


def number(value: float | None, scale: float = 100.0, digits: int = 1) -> str:
    """A bare number for a csv column (empty when None)."""
    return "" if value is None else f"{scale * value:.{digits}f}"


@dataclass
class UncertaintyLegend:
    """What the rendered values carry, for the footnotes: which intervals (and over how many seeds)
    and which values had none although one was asked for."""

    sd_seeds: set = field(default_factory=set)
    t_seeds: set = field(default_factory=set)
    bootstrap: bool = False
    lacking: dict = field(default_factory=dict)  # (resolved mode, why) → what lacked it (e.g. "task means")

    def add(self, est: Estimate, what: str) -> Estimate:
        """Record one shown estimate; ``what`` names its kind in the "no interval" footnote."""
        if est.sd is not None:
            self.sd_seeds.add(est.n_seeds)
        if est.interval == T_INTERVAL:
            self.t_seeds.add(est.n_seeds)
        elif est.interval == BOOTSTRAP:
            self.bootstrap = True
        if est.lacking:
            why = "one seed" if est.n_seeds == 1 else "its parts have different seeds"
            names = self.lacking.setdefault((est.wanted, why), [])
            if what not in names:
                names.append(what)
        return est

    def notes(self) -> list[str]:
        """Footnotes: what ``±`` and ``[low, high]`` are, and what has no interval."""
        out = []
        if self.sd_seeds:
            out.append(f"± = sample sd over {_seeds(self.sd_seeds)}")
        if self.t_seeds:
            out.append(f"[low, high] = 95% t-interval of the mean over {_seeds(self.t_seeds)} "
                       "(mean ± t(0.975, n-1)·sd/√n): how much the result moves with the seed")
        if self.bootstrap:
            out.append(f"[low, high] of a single-seed cell = its stored {CONFIDENCE:.0%} percentile bootstrap CI over "
                       "the items of that seed: test-item sampling only, not seed variation")
        for (wanted, why), names in self.lacking.items():
            if wanted == "sd":
                out.append(f"no sd for {', '.join(names)}: {why}")
            elif why == "one seed":
                out.append(f"no interval for {', '.join(names)}: one seed, and the cells' bootstrap CIs over "
                           "items do not combine into an interval for a mean over languages or tasks")
            else:
                out.append(f"no interval for {', '.join(names)}: {why}")
        return out


def _seeds(counts: set) -> str:
    counts = sorted(counts)
    if len(counts) == 1:
        return f"{counts[0]} seeds"
    return f"{counts[0]}–{counts[-1]} seeds (n_seeds per value in the csv and json formats)"

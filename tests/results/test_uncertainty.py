"""format_value, estimates per mode, the t quantile/interval (against scipy) and the footnote legend."""

import statistics

import pytest
from scipy import stats

from xbench.errors import UserError
from xbench.results.uncertainty import (
    BOOTSTRAP, T_INTERVAL, UncertaintyLegend, estimate, format_estimate, format_value, t_interval, t_quantile)


@pytest.mark.parametrize("args, kwargs, text", [
    ((0.612, 0.570, 0.654), {"mode": "ci"}, "61.2 [57.0, 65.4]"),
    ((0.612,), {"sd": 0.013, "mode": "sd"}, "61.2 ± 1.3"),
    ((0.612, 0.570, 0.654), {"sd": 0.013, "mode": "auto"}, "61.2 [57.0, 65.4]"),  # the interval wins
    ((0.612,), {"sd": 0.013, "mode": "auto"}, "61.2 ± 1.3"),
    ((0.612, 0.570, 0.654), {"sd": 0.013, "mode": "none"}, "61.2"),
    ((0.612, 0.570, 0.654), {"mode": "sd"}, "61.2"),  # no sd given: nothing invented
    ((0.612,), {"sd": 0.013, "mode": "ci"}, "61.2"),  # no interval given
    ((None, 0.1, 0.2), {"mode": "ci"}, "n/a"),
    ((-0.0251, -0.05, 0.0), {"mode": "ci"}, "-2.5 [-5.0, 0.0]"),
    ((0.5, 0.25, 0.75), {"mode": "ci", "scale": 1.0, "digits": 2}, "0.50 [0.25, 0.75]"),
])
def test_format_value(args, kwargs, text):
    assert format_value(*args, **kwargs) == text


def test_format_value_refuses_an_unknown_mode():
    with pytest.raises(UserError, match="not one of auto, sd, ci, none"):
        format_value(0.5, mode="stderr")


@pytest.mark.parametrize("df", [*range(1, 61), 75, 100, 250, 1000, 10**5])
def test_t_quantile_matches_scipy_at_95(df):
    assert t_quantile(df) == pytest.approx(stats.t.ppf(0.975, df), abs=1e-6)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.99])
@pytest.mark.parametrize("df", [2, 5, 30, 31, 60, 500])
def test_t_quantile_other_levels(confidence, df):
    assert t_quantile(df, confidence) == pytest.approx(stats.t.ppf((1 + confidence) / 2, df), abs=1e-5)


def test_t_quantile_rejects_nonsense():
    for df in (0, -1, 2.5):
        with pytest.raises(ValueError):
            t_quantile(df)
    with pytest.raises(ValueError):
        t_quantile(3, 1.0)


@pytest.mark.parametrize("values", [[.60, .62, .67], [.5, .7], [.81, .80, .83, .79, .80], [.1] * 3 + [.2]])
def test_t_interval_matches_scipy(values):
    n = len(values)
    low, high = stats.t.interval(0.95, n - 1, loc=statistics.fmean(values), scale=stats.sem(values))
    assert t_interval(values) == pytest.approx((low, high), abs=1e-6)  # the 6-decimal table; shown: 1e-3


def test_t_interval_needs_two_values():
    with pytest.raises(ValueError):
        t_interval([0.5])


def test_estimate_by_mode():
    seeds = [.60, .62, .67]
    mean = statistics.fmean(seeds)
    sd = estimate(mean, seeds, mode="sd")
    assert (sd.sd, sd.low, sd.n_seeds, sd.interval) == (pytest.approx(statistics.stdev(seeds)), None, 3, None)
    ci = estimate(mean, seeds, [.5, .9], mode="ci")  # several seeds: the t-interval, never the bootstrap
    assert (ci.low, ci.high) == pytest.approx(t_interval(seeds)) and ci.interval == T_INTERVAL and ci.sd is None
    assert estimate(mean, seeds, mode="auto") == sd
    # one seed: the cell's bootstrap CI in ci and auto; sd mode has nothing to show
    one = estimate(.61, [.61], [.57, .65], mode="auto")
    assert (one.low, one.high, one.interval, one.n_seeds) == (.57, .65, BOOTSTRAP, 1)
    assert estimate(.61, [.61], [.57, .65], mode="sd").lacking
    # one seed without a bootstrap CI (a mean over languages): no interval, and it says so
    mean_of_one = estimate(.61, [.61], None, mode="ci")
    assert mean_of_one.low is None and mean_of_one.lacking
    assert not estimate(.61, [.61], None, mode="none").lacking
    assert format_estimate(one) == "61.0 [57.0, 65.0]" and format_estimate(sd) == "63.0 ± 3.6"


def test_legend_states_what_the_intervals_are():
    legend = UncertaintyLegend()
    legend.add(estimate(.6, [.6, .62, .64], mode="ci"), "cells")
    legend.add(estimate(.6, [.6], [.5, .7], mode="ci"), "cells")
    legend.add(estimate(.6, [.6], None, mode="ci"), "task means")
    legend.add(estimate(.6, [], None, mode="ci"), "benchmark scores")
    legend.add(estimate(.6, [.6], None, mode="sd"), "cells")
    assert legend.notes() == [
        "[low, high] = 95% t-interval of the mean over 3 seeds (mean ± t(0.975, n-1)·sd/√n): how much the result "
        "moves with the seed",
        "[low, high] of a single-seed cell = its stored 95% percentile bootstrap CI over the items of that seed: "
        "test-item sampling only, not seed variation",
        "no interval for task means: one seed, and the cells' bootstrap CIs over items do not combine into an "
        "interval for a mean over languages or tasks",
        "no interval for benchmark scores: its parts have different seeds",
        "no sd for cells: one seed",
    ]
    several = UncertaintyLegend()
    several.add(estimate(.6, [.6, .7], mode="sd"), "cells")
    several.add(estimate(.6, [.6, .7, .8], mode="sd"), "cells")
    assert several.notes() == ["± = sample sd over 2–3 seeds (n_seeds per value in the csv and json formats)"]


def test_the_cli_option_offers_exactly_the_modes():
    from xbench.cli.output import UNCERTAINTY_MODES
    from xbench.results.uncertainty import DEFAULT_MODE, MODES

    assert UNCERTAINTY_MODES == MODES and DEFAULT_MODE == "auto"

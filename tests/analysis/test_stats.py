"""xbench.analysis.stats against scipy / statsmodels and against hand computations on tiny inputs."""

import itertools
import math
import random
import statistics

import numpy as np
import pytest
from scipy import stats as sp
from statsmodels.api import OLS, add_constant
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from xbench.analysis import stats
from xbench.analysis.stats import Group, bootstrap_contrast
from xbench.errors import UserError
from xbench.metrics.bootstrap import bootstrap_ci
from xbench.metrics.classification import ACCURACY, accuracy
from xbench.metrics.qa import f1 as qa_f1
from xbench.metrics.tagging import tagging_f1

SEED = 2024


def labels(n, correct_rate, seed):
    rng = random.Random(seed)
    gold = [rng.randrange(3) for _ in range(n)]
    return [g if rng.random() < correct_rate else (g + 1) % 3 for g in gold], gold


def with_accuracy(gold, correct_rate, seed):
    rng = random.Random(seed)
    return [g if rng.random() < correct_rate else (g + 1) % 3 for g in gold]


def ner(n, seed, noise=0.25):
    """Gold tag sequences and a function making a noisy prediction of them per seed."""
    rng = random.Random(seed)
    gold = [[rng.choice(["O", "O", "B-PER", "I-PER", "B-LOC"]) for _ in range(rng.randint(1, 6))] for _ in range(n)]

    def noisy(s):
        r = random.Random(s)
        return [[r.choice(["O", "B-PER", "B-LOC"]) if r.random() < noise else t for t in sent] for sent in gold]
    return gold, noisy


def plain_accuracy(predictions, references, *, language=None, options=None):
    """Accuracy without a decomposition: bootstrapped by calling it on each resample."""
    return sum(p == g for p, g in zip(predictions, references)) / len(references)


# ---- bootstrap_contrast --------------------------------------------------------------------------

def test_a_paired_gain_is_the_metric_difference_and_reproducible_for_a_seed():
    a, gold = labels(300, 0.6, seed=1)
    b = with_accuracy(gold, 0.7, seed=2)
    group = Group(accuracy, gold, {"b": b, "a": a}, {"b": 1.0, "a": -1.0})
    first = bootstrap_contrast([group], n_resamples=500, seed=SEED)
    assert first.estimate == accuracy(b, gold) - accuracy(a, gold)
    assert first.low < first.estimate < first.high
    assert bootstrap_contrast([group], n_resamples=500, seed=SEED) == first
    other = bootstrap_contrast([group], n_resamples=500, seed=SEED + 1)
    assert (other.low, other.high) != (first.low, first.high)
    assert (first.n_resamples, first.seed, first.confidence, first.n_items) == (500, SEED, 0.95, (300,))
    assert first.to_dict()["n_items"] == [300]


def test_corpus_level_metric_difference_at_the_point_estimate():
    gold, noisy = ner(80, seed=3)
    a, b = noisy(0), noisy(1)
    c = bootstrap_contrast([Group("tagging_f1", gold, {"b": b, "a": a}, {"b": 1, "a": -1})], n_resamples=200)
    assert c.estimate == tagging_f1(b, gold) - tagging_f1(a, gold)


def test_identical_systems_give_a_zero_width_interval_at_zero_whatever_the_weights():
    a, gold = labels(200, 0.7, seed=4)
    group = Group(accuracy, gold, {"b/1": a, "b/2": a, "b/3": a, "a/1": a, "a/2": a, "a/3": a},
                  {"b/1": 1 / 3, "b/2": 1 / 3, "b/3": 1 / 3, "a/1": -1 / 3, "a/2": -1 / 3, "a/3": -1 / 3})
    c = bootstrap_contrast([group], n_resamples=300)
    assert (c.estimate, c.low, c.high, c.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_a_single_system_reproduces_bootstrap_ci_and_a_mean_over_seeds_is_the_mean():
    gold = labels(250, 0.7, seed=5)[1]
    seeds = [with_accuracy(gold, 0.7, seed=s) for s in (10, 11, 12)]
    ci = bootstrap_ci(accuracy, seeds[0], gold, n_resamples=400, seed=SEED)
    one = bootstrap_contrast([Group(accuracy, gold, {"s": seeds[0]}, {"s": 1.0})], n_resamples=400, seed=SEED)
    assert (one.estimate, one.low, one.high) == (ci.point, ci.low, ci.high)
    mean = bootstrap_contrast([Group(accuracy, gold, {str(i): s for i, s in enumerate(seeds)},
                                     {str(i): 1 / 3 for i in range(3)})], n_resamples=400)
    assert mean.estimate == pytest.approx(statistics.fmean(accuracy(s, gold) for s in seeds), abs=1e-15)


def test_systems_are_paired_within_a_group():
    a, gold = labels(200, 0.6, seed=6)
    wrong = next(i for i, (p, g) in enumerate(zip(a, gold)) if p != g)
    b = list(a)
    b[wrong] = gold[wrong]  # b = a plus one item right: every paired resample has b >= a
    c = bootstrap_contrast([Group(accuracy, gold, {"b": b, "a": a}, {"b": 1, "a": -1})], n_resamples=500)
    assert c.estimate == pytest.approx(1 / 200)
    assert c.low >= 0.0 and c.high <= 4 / 200 + 1e-12  # unpaired resampling would spread over ±0.07


def test_independent_groups_match_a_hand_computation():
    # two languages of 4 and 5 items; a transfer-gap-like contrast: + gain in group 1, − 0.5·score in group 2
    gold1, a1, b1 = [0, 1, 1, 0], [0, 0, 1, 1], [0, 1, 1, 1]
    gold2, x2 = [1, 1, 0, 0, 1], [1, 0, 0, 1, 1]
    groups = [Group(accuracy, gold1, {"b": b1, "a": a1}, {"b": 1.0, "a": -1.0}, language="et"),
              Group(plain_accuracy, gold2, {"x": x2}, {"x": -0.5}, language="sw")]
    n_resamples = 7
    c = bootstrap_contrast(groups, n_resamples=n_resamples, seed=SEED)

    def acc(pred, gold, picks):
        return sum(pred[i] == gold[i] for i in picks) / len(picks)

    # group 1 draws from the seed itself, group 2 from its child stream with spawn key (1,)
    picks1 = np.random.default_rng(SEED).integers(0, 4, size=(n_resamples, 4))
    picks2 = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(1,))).integers(0, 5, size=(n_resamples, 5))
    values = np.array([acc(b1, gold1, p1) - acc(a1, gold1, p1) - 0.5 * acc(x2, gold2, p2)
                       for p1, p2 in zip(picks1, picks2)])
    assert c.estimate == pytest.approx(acc(b1, gold1, range(4)) - acc(a1, gold1, range(4)) - 0.5 * 3 / 5)
    low, high = np.quantile(values, [0.025, 0.975])
    assert (c.low, c.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    below, above = (values <= 1e-12).sum(), (values >= -1e-12).sum()
    assert c.p_value == pytest.approx(min(1.0, 2 * (min(below, above) + 1) / (n_resamples + 1)))
    assert c.n_items == (4, 5)


def test_transfer_gap_and_interaction_contrasts():
    gold = {lang: labels(150, 0.7, seed=20 + k)[1] for k, lang in enumerate(("en", "et", "sw", "zh"))}
    base = {lang: with_accuracy(g, 0.6, seed=30 + k) for k, (lang, g) in enumerate(gold.items())}
    gap_groups = [Group(accuracy, gold["en"], {"run": base["en"]}, {"run": 1.0}, "en")]
    gap_groups += [Group(accuracy, gold[t], {"run": base[t]}, {"run": -1 / 3}, t) for t in ("et", "sw", "zh")]
    gap = bootstrap_contrast(gap_groups, n_resamples=300)
    expected = accuracy(base["en"], gold["en"]) - statistics.fmean(accuracy(base[t], gold[t]) for t in ("et", "sw", "zh"))
    assert gap.estimate == pytest.approx(expected, abs=1e-14)
    assert gap.low < gap.estimate < gap.high and gap.n_items == (150,) * 4
    # interaction: (large_b - large_a) - (small_b - small_a), four systems on one language's items
    g = gold["et"]
    systems = {"large/b": with_accuracy(g, 0.8, 1), "large/a": with_accuracy(g, 0.6, 2),
               "small/b": with_accuracy(g, 0.65, 3), "small/a": with_accuracy(g, 0.6, 4)}
    weights = {"large/b": 1, "large/a": -1, "small/b": -1, "small/a": 1}
    inter = bootstrap_contrast([Group(accuracy, g, systems, weights)], n_resamples=300)
    assert inter.estimate == pytest.approx(sum(w * accuracy(systems[k], g) for k, w in weights.items()), abs=1e-14)


def test_a_metric_without_decomposition_uses_the_same_resamples():
    a, gold = labels(120, 0.6, seed=7)
    b = with_accuracy(gold, 0.7, seed=8)
    systems, weights = {"b": b, "a": a}, {"b": 1, "a": -1}
    decomposed = bootstrap_contrast([Group(accuracy, gold, systems, weights)], n_resamples=100)
    recomputed = bootstrap_contrast([Group(plain_accuracy, gold, systems, weights)], n_resamples=100)
    assert recomputed.estimate == pytest.approx(decomposed.estimate, abs=1e-15)
    assert (recomputed.low, recomputed.high) == (pytest.approx(decomposed.low, abs=1e-12),
                                                 pytest.approx(decomposed.high, abs=1e-12))
    assert recomputed.p_value == decomposed.p_value


def test_bad_groups_are_user_errors():
    gold = [0, 1, 1]
    with pytest.raises(UserError, match="at least one group"):
        bootstrap_contrast([])
    with pytest.raises(UserError, match="2 predictions for 3 references"):
        bootstrap_contrast([Group(accuracy, gold, {"a": [0, 1]}, {"a": 1})])
    with pytest.raises(UserError, match="no weight for \\['b'\\]"):
        bootstrap_contrast([Group(accuracy, gold, {"a": gold, "b": gold}, {"a": 1})])
    with pytest.raises(UserError, match="0 items"):
        bootstrap_contrast([Group(accuracy, [], {"a": []}, {"a": 1})])
    with pytest.raises(UserError, match="seed"):
        bootstrap_contrast([Group(accuracy, gold, {"a": gold}, {"a": 1})], seed=-1)
    with pytest.raises(UserError, match="resamples"):
        bootstrap_contrast([Group(accuracy, gold, {"a": gold}, {"a": 1})], n_resamples=0)


# ---- McNemar and paired_test ---------------------------------------------------------------------

@pytest.mark.parametrize("b, c, same", [(0, 0, 10), (3, 3, 5), (1, 9, 40), (30, 45, 400), (17, 2, 0), (250, 300, 10)])
def test_mcnemar_exact_equals_statsmodels(b, c, same):
    a_correct = [True] * b + [False] * c + [True] * same + [False] * 7
    b_correct = [False] * b + [True] * c + [True] * same + [False] * 7
    result = stats.mcnemar_exact(a_correct, b_correct)
    table = [[same, b], [c, 7]]  # rows: a right / wrong; columns: b right / wrong
    assert (result.b, result.c, result.n) == (b, c, b + c + same + 7)
    assert result.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)


def test_mcnemar_rejects_bad_inputs():
    with pytest.raises(UserError, match="same items"):
        stats.mcnemar_exact([True, False], [True])
    with pytest.raises(UserError, match="true/false"):
        stats.mcnemar_exact([True, 2], [True, False])


def test_paired_test_uses_exact_mcnemar_for_accuracy():
    a, gold = labels(300, 0.6, seed=9)
    b = with_accuracy(gold, 0.68, seed=10)
    result = stats.paired_test("accuracy", a, b, gold, n_resamples=300, seed=SEED)
    table = [[0, 0], [0, 0]]
    for x, y, g in zip(a, b, gold):
        table[int(x != g)][int(y != g)] += 1
    assert result.test == "mcnemar-exact"
    assert (result.a_right_b_wrong, result.a_wrong_b_right) == (table[0][1], table[1][0])
    assert result.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)
    assert result.difference == accuracy(b, gold) - accuracy(a, gold)
    assert (result.score_a, result.score_b) == (accuracy(a, gold), accuracy(b, gold))
    contrast = bootstrap_contrast([Group(accuracy, gold, {"b": b, "a": a}, {"b": 1, "a": -1})], n_resamples=300,
                                  seed=SEED)
    assert (result.low, result.high) == (contrast.low, contrast.high)
    assert result.to_dict()["test"] == "mcnemar-exact"
    assert ACCURACY.per_item_binary


def test_paired_test_uses_the_bootstrap_for_other_metrics():
    gold = [["Paris"], ["the cat"], ["two dogs"], ["red"]] * 20
    a = ["Paris", "a cat", "dogs", "blue"] * 20
    b = ["Paris", "the cat", "two", "blue"] * 20
    result = stats.paired_test(qa_f1, a, b, gold, n_resamples=300, seed=SEED)
    contrast = bootstrap_contrast([Group(qa_f1, gold, {"b": b, "a": a}, {"b": 1, "a": -1})], n_resamples=300,
                                  seed=SEED)
    assert result.test == "paired-bootstrap" and result.a_right_b_wrong is None
    assert result.p_value == contrast.p_value
    assert result.difference == pytest.approx(qa_f1(b, gold) - qa_f1(a, gold), abs=1e-15)


def test_bootstrap_p_value_definition():
    assert stats.bootstrap_p_value(np.array([0.1, 0.2, 0.3])) == pytest.approx(2 * 1 / 4)  # never below 2/(B+1)
    assert stats.bootstrap_p_value(np.array([-0.1, 0.2, 0.3, 0.4])) == pytest.approx(2 * 2 / 5)
    assert stats.bootstrap_p_value(np.zeros(9)) == 1.0


# ---- multiple comparisons, seeds -----------------------------------------------------------------

@pytest.mark.parametrize("method, theirs", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_pvalues_equal_statsmodels(method, theirs):
    pvalues = [0.01, 0.04, 0.03, 0.2, 0.04, 0.5, 0.001, 0.9]
    ours = stats.adjust_pvalues(pvalues, method)
    assert ours == pytest.approx(list(multipletests(pvalues, method=theirs)[1]), rel=1e-12)
    with_gaps = stats.adjust_pvalues([None, 0.01, 0.04, None, 0.03], method)
    expected = multipletests([0.01, 0.04, 0.03], method=theirs)[1]
    assert with_gaps[0] is None and with_gaps[3] is None
    assert [with_gaps[1], with_gaps[2], with_gaps[4]] == pytest.approx(list(expected), rel=1e-12)
    assert stats.adjust_pvalues([None], method) == [None] and stats.adjust_pvalues([], method) == []


def test_adjust_pvalues_rejects_unknown_methods_and_bad_values():
    with pytest.raises(UserError, match="holm or bh"):
        stats.adjust_pvalues([0.1], "bonferroni")
    with pytest.raises(UserError, match=r"\[0, 1\]"):
        stats.adjust_pvalues([1.5], "holm")


def test_mean_sd():
    values = [0.61, 0.64, 0.6, 0.66]
    mean, sd, n = stats.mean_sd(values)
    assert (mean, sd, n) == (pytest.approx(statistics.fmean(values)), pytest.approx(statistics.stdev(values)), 4)
    assert stats.mean_sd([0.7]) == (0.7, None, 1)
    with pytest.raises(UserError, match="no values"):
        stats.mean_sd([])


# ---- correlations --------------------------------------------------------------------------------

X12 = [9.1, 6.2, 2.0, 7.7, 4.4, 5.0, 3.1, 8.8, 1.2, 6.9, 0.4, 5.5]
Y12 = [2.9, 1.1, 0.8, 1.4, 1.9, 0.6, 1.5, 2.2, 0.2, 1.0, 1.2, 0.9]


@pytest.mark.parametrize("method, reference", [("pearson", sp.pearsonr), ("spearman", sp.spearmanr)])
def test_exact_permutation_p_value_equals_scipy(method, reference):
    x, y = X12[:6], Y12[:6]  # 6! = 720 <= n_permutations: every pairing enumerated
    result = stats.correlation(x, y, method=method, n_resamples=200)
    assert result.r == pytest.approx(reference(x, y).statistic, abs=1e-12)
    theirs = sp.permutation_test((x,), lambda u: reference(u, y).statistic, permutation_type="pairings",
                                 n_resamples=10000)
    assert result.exact and result.n_permutations == 720
    assert result.p_value == pytest.approx(theirs.pvalue, rel=1e-12)


def vectorised(method, y):
    """r of each row of u with y (for scipy's vectorised permutation_test; checked against scipy below)."""
    def statistic(u, axis=-1):
        u = np.moveaxis(np.asarray(u, dtype=float), axis, -1)
        v = np.asarray(y, dtype=float)
        if method == "spearman":
            u, v = sp.rankdata(u, axis=-1), sp.rankdata(v)
        u = u - u.mean(axis=-1, keepdims=True)
        v = v - v.mean()
        return (u @ v) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v))
    return statistic


@pytest.mark.parametrize("method, reference", [("pearson", sp.pearsonr), ("spearman", sp.spearmanr)])
def test_monte_carlo_permutation_p_value_agrees_with_scipy(method, reference):
    B = 10000
    result = stats.correlation(X12, Y12, method=method, n_permutations=B, n_resamples=200, seed=SEED)
    assert result.r == pytest.approx(reference(X12, Y12).statistic, abs=1e-12)
    assert vectorised(method, Y12)(np.array([X12]))[0] == pytest.approx(result.r, abs=1e-12)
    assert not result.exact and result.n_permutations == B
    theirs = sp.permutation_test((X12,), vectorised(method, Y12), permutation_type="pairings", vectorized=True,
                                 n_resamples=B, rng=np.random.default_rng(1)).pvalue
    # p = 2·q with q a one-sided share of B permutations: sd(p) ≈ 2·sqrt(q(1−q)/B); the two independent
    # estimates differ with sd √2 times that; 5 sd leaves a ~1e-6 chance of a spurious failure
    q = theirs / 2
    assert abs(result.p_value - theirs) < 5 * math.sqrt(2) * 2 * math.sqrt(q * (1 - q) / B)
    assert 0.001 < theirs < 0.5  # the data give a p-value where the comparison is informative


def test_correlation_bootstrap_resamples_pairs():
    n_resamples = 60
    result = stats.correlation(X12, Y12, n_resamples=n_resamples, seed=SEED)
    boot_seed = np.random.SeedSequence(SEED).spawn(2)[1]
    picks = np.random.default_rng(boot_seed).integers(0, 12, size=(n_resamples, 12))
    x, y = np.array(X12), np.array(Y12)
    values = [sp.pearsonr(x[p], y[p]).statistic for p in picks]
    low, high = np.quantile(values, [0.025, 0.975])
    assert (result.low, result.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert result.low < result.r < result.high and result.degenerate_resamples == 0
    assert stats.correlation(X12, Y12, n_resamples=n_resamples, seed=SEED) == result
    spearman = stats.correlation(X12, Y12, method="spearman", n_resamples=n_resamples, seed=SEED)
    values = [sp.spearmanr(x[p], y[p]).statistic for p in picks]  # ranks recomputed in each resample
    low, high = np.nanquantile(values, [0.025, 0.975])
    assert (spearman.low, spearman.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert set(result.to_dict()) >= {"r", "p_value", "low", "high", "n", "method"}


def test_spearman_with_ties_equals_scipy():
    x, y = [1, 2, 2, 3, 4, 4, 4, 7], [3, 1, 2, 2, 5, 6, 6, 9]
    assert stats.correlation(x, y, method="spearman", n_resamples=50).r == pytest.approx(
        sp.spearmanr(x, y).statistic, abs=1e-12)


Z12 = [0.3, 0.2, 0.9, 0.1, 0.5, 0.7, 0.6, 0.2, 0.8, 0.4, 0.9, 0.5]
W12 = [1.0, 3.0, 2.0, 5.0, 4.0, 1.0, 2.0, 6.0, 3.0, 4.0, 2.0, 5.0]


def residuals(v, controls):
    return OLS(np.asarray(v, dtype=float), add_constant(np.column_stack(controls))).fit().resid


def test_partial_correlation_equals_statsmodels_residuals_and_the_closed_form():
    result = stats.partial_correlation(X12, Y12, Z12, n_resamples=100)
    expected = sp.pearsonr(residuals(X12, [Z12]), residuals(Y12, [Z12])).statistic
    assert result.r == pytest.approx(expected, abs=1e-12) and result.n_controls == 1
    rxy, rxz, ryz = (sp.pearsonr(a, b).statistic for a, b in ((X12, Y12), (X12, Z12), (Y12, Z12)))
    closed = (rxy - rxz * ryz) / math.sqrt((1 - rxz ** 2) * (1 - ryz ** 2))
    assert result.r == pytest.approx(closed, abs=1e-12)
    two = stats.partial_correlation(X12, Y12, [Z12, W12], n_resamples=100)
    assert two.r == pytest.approx(sp.pearsonr(residuals(X12, [Z12, W12]), residuals(Y12, [Z12, W12])).statistic,
                                  abs=1e-12)
    assert two.n_controls == 2
    ranked = stats.partial_correlation(X12, Y12, Z12, method="spearman", n_resamples=100)
    rank = sp.rankdata
    assert ranked.r == pytest.approx(sp.pearsonr(residuals(rank(X12), [rank(Z12)]),
                                                 residuals(rank(Y12), [rank(Z12)])).statistic, abs=1e-12)


def test_partial_correlation_exact_permutation_is_freedman_lane():
    x, y, z = X12[:6], Y12[:6], Z12[:6]
    result = stats.partial_correlation(x, y, z, n_resamples=100)
    design = add_constant(np.asarray(z))
    fitted_y = OLS(np.asarray(y), design).fit()
    ex = residuals(x, [z])
    null = []
    for perm in itertools.permutations(range(6)):
        permuted = fitted_y.fittedvalues + fitted_y.resid[list(perm)]  # y* = ŷ(z) + permuted residuals
        null.append(sp.pearsonr(ex, OLS(permuted, design).fit().resid).statistic)
    null = np.array(null)
    gamma = abs(100 * np.finfo(float).eps * result.r)
    expected = min(1.0, 2 * min((null <= result.r + gamma).mean(), (null >= result.r - gamma).mean()))
    assert result.exact and result.p_value == pytest.approx(expected, rel=1e-12)


def test_correlation_inputs_that_are_user_errors():
    with pytest.raises(UserError, match="at least 3 needed"):
        stats.correlation([1, 2], [3, 4])
    with pytest.raises(UserError, match="x has 3 values but y has 4"):
        stats.correlation([1, 2, 3], [3, 4, 5, 6])
    with pytest.raises(UserError, match="y is constant"):
        stats.correlation([1, 2, 3], [2, 2, 2])
    with pytest.raises(UserError, match="every value must be a number"):
        stats.correlation([1, None, 3], [1, 2, 3])
    with pytest.raises(UserError, match="pearson or spearman"):
        stats.correlation([1, 2, 3], [1, 3, 2], method="kendall")
    with pytest.raises(UserError, match="fully explained"):
        stats.partial_correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], [2, 4, 6, 8, 10])
    with pytest.raises(UserError, match="at least 5 needed"):
        stats.partial_correlation([1, 2, 3, 4], [2, 1, 4, 3], [[1, 0, 0, 1], [0, 1, 1, 1]])
    with pytest.raises(UserError, match="control 1 has 3 values for 4 points"):
        stats.partial_correlation([1, 2, 3, 4], [2, 1, 4, 3], [1, 0, 0])

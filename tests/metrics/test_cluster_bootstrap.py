"""Bootstrap settings in one place, and the cluster bootstrap QA cells use: units are articles
(groups of questions), drawn with replacement with all their questions."""

import numpy as np
import pytest

from xbench.analysis.common import StatSettings
from xbench.errors import UserError
from xbench.metrics.bootstrap import (DEFAULT_SETTINGS, BootstrapSettings, bootstrap_ci, grouped_stats,
                                      resampled_values)
from xbench.metrics.qa import F1, exact_match, f1
from xbench.tasktypes.extractive_qa import ExtractiveQA


def two_articles(n_per_article=20):
    """Article A: every question answered right; article B: every question wrong (perfectly
    correlated within each article)."""
    predictions = ["paris"] * n_per_article + ["berlin"] * n_per_article
    references = [["paris"]] * (2 * n_per_article)
    groups = ["A"] * n_per_article + ["B"] * n_per_article
    return predictions, references, groups


def test_cluster_interval_over_correlated_articles_is_wider_than_per_question():
    predictions, references, groups = two_articles()
    per_question = bootstrap_ci(exact_match, predictions, references)
    per_article = bootstrap_ci(exact_match, predictions, references, groups=groups,
                               settings=DEFAULT_SETTINGS.with_unit("article"))
    assert per_question.point == per_article.point == 0.5
    assert per_question.n_items == 40 and per_article.n_items == 2
    # per question: about 0.5 ± 0.16; per article: two units, so a resample is AA, AB, BA or BB
    assert per_question.high - per_question.low < 0.4
    assert (per_article.low, per_article.high) == (0.0, 1.0)
    assert per_article.unit == "article" and "cluster" in per_article.method


def test_cluster_resamples_by_hand_with_a_fixed_seed():
    # article A: 3 questions, F1 1, 1, 0; article B: 1 question, F1 0
    predictions = ["x", "x", "y", "y"]
    references = [["x"], ["x"], ["x"], ["x"]]
    groups = ["A", "A", "A", "B"]
    stats = grouped_stats(F1.item_stats(predictions, references), groups)
    assert stats.tolist() == [[2.0, 3.0], [0.0, 1.0]]  # (sum of F1, questions) per article
    values = resampled_values(stats, F1.aggregate, n_resamples=8, seed=3)
    picks = np.random.default_rng(3).integers(0, 2, size=(8, 2))  # the same draws, of articles
    by_hand = {(0, 0): 4 / 6, (0, 1): 2 / 4, (1, 0): 2 / 4, (1, 1): 0 / 2}  # all questions of the drawn articles
    assert values.tolist() == pytest.approx([by_hand[tuple(p)] for p in picks.tolist()])
    ci = bootstrap_ci(f1, predictions, references, groups=groups, n_resamples=8, seed=3)
    tail = (1 - ci.confidence) / 2
    assert (ci.low, ci.high) == pytest.approx(tuple(np.quantile(values, [tail, 1 - tail])))
    assert ci.point == pytest.approx(2 / 4)  # the point estimate is over questions, not articles


def test_recomputing_fallback_resamples_the_same_groups():
    predictions, references, groups = two_articles(5)
    predictions[0] = "rome"  # article A is no longer uniform

    def plain_em(preds, refs, *, language=None, options=None):
        return sum(p in r for p, r in zip(preds, refs)) / len(refs)

    decomposed = bootstrap_ci(exact_match, predictions, references, groups=groups, n_resamples=200, seed=5)
    recomputed = bootstrap_ci(plain_em, predictions, references, groups=groups, n_resamples=200, seed=5)
    assert recomputed.n_items == decomposed.n_items == 2
    assert (recomputed.low, recomputed.high) == pytest.approx((decomposed.low, decomposed.high))


def test_group_labels_must_align_with_items():
    with pytest.raises(UserError, match="3 group labels for 2 items"):
        bootstrap_ci(exact_match, ["a", "b"], [["a"], ["b"]], groups=["x", "y", "z"])


def test_settings_live_in_one_place():
    ci = bootstrap_ci(exact_match, ["a", "b", "a"], [["a"], ["a"], ["a"]])
    assert ci.settings() == BootstrapSettings(DEFAULT_SETTINGS.resamples, DEFAULT_SETTINGS.confidence,
                                              DEFAULT_SETTINGS.seed, None)
    other = BootstrapSettings(resamples=50, confidence=0.9, seed=1)
    ci = bootstrap_ci(exact_match, ["a", "b", "a"], [["a"], ["a"], ["a"]], settings=other)
    assert (ci.n_resamples, ci.confidence, ci.seed) == (50, 0.9, 1)
    stat = StatSettings()  # the analyses start from the engine's settings
    assert stat.bootstrap == BootstrapSettings(DEFAULT_SETTINGS.resamples, DEFAULT_SETTINGS.confidence,
                                               DEFAULT_SETTINGS.seed)


def qa_type():
    return ExtractiveQA({"name": "toy_qa", "type": "extractive_qa", "options": {}}, tokenizer=None)


def test_qa_groups_questions_by_article_else_by_paragraph():
    titled = [{"title": "Rhine", "context": "c1"}, {"title": "Rhine", "context": "c2"},
              {"title": "Paris", "context": "c3"}]
    assert qa_type().resampling_groups(titled) == ("article", ["Rhine", "Rhine", "Paris"])
    untitled = [{"title": "", "context": "c1"}, {"title": "", "context": "c1"}, {"title": "", "context": "c2"}]
    assert qa_type().resampling_groups(untitled) == ("paragraph", ["c1", "c1", "c2"])

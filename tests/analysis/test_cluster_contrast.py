"""Analysis contrasts resample the same units as the cells' intervals: with ``Group.units`` (QA's
articles) a one-system contrast reproduces ``bootstrap_ci(..., groups=...)`` exactly, and the runner
writes each item's unit into the items file that ``xbench analyze`` reads."""

import random

import pytest

from xbench.analysis.stats import Group, bootstrap_contrast
from xbench.errors import UserError
from xbench.evaluation.artifacts import with_resampling_units
from xbench.metrics.bootstrap import bootstrap_ci
from xbench.metrics.classification import accuracy

SEED = 7


def plain_accuracy(predictions, references, *, language=None, options=None):
    return sum(p == g for p, g in zip(predictions, references)) / len(references)


def clustered(n_articles=25, per_article=6, seed=0):
    """Predictions correct or wrong article by article: strongly correlated within a unit."""
    rng = random.Random(seed)
    gold, pred, units = [], [], []
    for a in range(n_articles):
        good = rng.random() < 0.5
        for _ in range(per_article):
            g = rng.randrange(3)
            gold.append(g)
            pred.append(g if good or rng.random() < 0.2 else (g + 1) % 3)
            units.append(f"article-{a}")
    return pred, gold, units


@pytest.mark.parametrize("metric", [accuracy, plain_accuracy], ids=["decomposition", "recomputed"])
def test_one_group_contrast_with_units_is_the_cluster_interval_of_the_cell(metric):
    pred, gold, units = clustered()
    c = bootstrap_contrast([Group(metric, gold, {"s": pred}, {"s": 1.0}, units=units)], n_resamples=300, seed=SEED)
    ci = bootstrap_ci(metric, pred, gold, n_resamples=300, seed=SEED, groups=units)
    assert (c.estimate, c.low, c.high) == pytest.approx((ci.point, ci.low, ci.high), abs=1e-12)
    by_item = bootstrap_contrast([Group(metric, gold, {"s": pred}, {"s": 1.0})], n_resamples=300, seed=SEED)
    # correlated items: resampling articles gives the wider (honest) interval
    assert c.high - c.low > by_item.high - by_item.low


def test_units_must_align_with_items():
    pred, gold, units = clustered()
    with pytest.raises(UserError, match="resampling-unit labels"):
        bootstrap_contrast([Group(accuracy, gold, {"s": pred}, {"s": 1.0}, units=units[:-1])], n_resamples=10)


def test_items_records_carry_the_unit_and_long_labels_are_digested():
    examples = [{"id": "q1"}, {"id": "q2"}, {"id": "q3"}]
    records = [{"id": "q1", "prediction": "a"}, {"id": "q2", "prediction": "b"}, {"id": "q3", "prediction": "c"}]
    long_text = "a paragraph " * 20
    out = with_resampling_units(records, examples, ("paragraph", ["Title A", long_text, long_text]))
    assert out[0]["resampling_unit"] == "Title A"
    assert out[1]["resampling_unit"] == out[2]["resampling_unit"] != long_text
    assert out[1]["resampling_unit"].startswith("sha1:")
    assert with_resampling_units(records, examples, None) is records


def test_repeated_item_ids_stay_distinct_items_in_analysis(tmp_path):
    """XTREME's TyDiQA train files repeat ids: analysis must not collapse those questions into one."""
    from xbench.analysis.sources import _unique_keys

    records = [{"id": 5}, {"id": 7}, {"id": 5}, {"id": 5}]
    keys = _unique_keys(records)
    assert len(set(keys)) == 4
    assert _unique_keys([{"id": 1}, {"id": 2}]) == [1, 2]  # unique ids are kept as they are

"""A spec's item_subsets reach the canonical examples (and from there the per-item files)."""

import json

import pytest

pytestmark = pytest.mark.integration


def test_xcopa_changed_items_are_a_named_subset(shared_data):
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    spec = Catalog(get_registry(), use_cache=False).task("xcopa")
    rows = load_split(spec, "test", "et", data_dir=shared_data).dataset.to_list()
    raw = [json.loads(line) for line in (shared_data / "xcopa" / "data" / "et" / "test.et.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == len(raw) == 500
    assert [("changed" in r["subsets"]) for r in rows] == [bool(r["changed"]) for r in raw]
    assert 0 < sum("changed" in r["subsets"] for r in rows) < 500


def test_the_per_item_records_carry_the_subsets():
    from xbench.evaluation.artifacts import with_subsets

    records = [{"id": "1", "prediction": 0}, {"id": "2", "prediction": 1}, {"row": 5}]
    examples = [{"id": "1", "subsets": ["changed"]}, {"id": "2", "subsets": []}]
    assert with_subsets(records, examples) == [{"id": "1", "prediction": 0, "subsets": ["changed"]},
                                              {"id": "2", "prediction": 1, "subsets": []}, {"row": 5}]
    assert with_subsets(records, [{"id": "1"}]) is records  # no subsets declared: nothing added

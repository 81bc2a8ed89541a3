"""README.md, numbers it quotes from the shared data (XCOPA's question words, its `changed`
subsets), checked against ``../shared/data``."""

from __future__ import annotations

import json

import pytest

from helpers.readme import run



# ---- numbers the README quotes from the shared data ---------------------------------------------

@pytest.mark.integration
def test_xcopa_question_words_that_disagree_with_english_copa(shared_data):
    """Prompted evaluation (README 251-253) and Data (README 555): XCOPA's published `question` field
    disagrees with the aligned English item for 346 test items (th 250, tr 51, sw 37, id 4, it 4) —
    as `xbench data check` reports them."""
    rows = json.loads(run("data", "check", "--data-dir", str(shared_data), "--tasks", "xcopa", "--split", "test",
                          "--format", "json"))
    counts = {r["lang"]: p["count"] for r in rows for p in r["problems"] if p["kind"] == "parallel_mismatch"}
    assert counts == {"th": 250, "tr": 51, "sw": 37, "id": 4, "it": 4}
    assert sum(counts.values()) == 346


@pytest.mark.integration
def test_nine_of_the_500_estonian_xcopa_test_items_are_changed(shared_data):
    """`robustness` (README 486-488): the `changed` subsets are small — 9 of 500 XCOPA et test items."""
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    spec = Catalog(get_registry()).task("xcopa")
    rows = load_split(spec, "test", "et", data_dir=shared_data).dataset.to_list()
    assert len(rows) == 500 and sum("changed" in r["subsets"] for r in rows) == 9

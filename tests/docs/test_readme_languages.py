"""README.md, "Languages": the URIEL code mapping, the languages outside CC-100 and the genetic distance
of an isolate, checked against ``xbench.languages``."""

from __future__ import annotations

import pytest


def test_the_readme_s_uriel_code_mapping_and_the_three_codes_get_language_accepts():
    """Languages (README 73-77): "qu → quy …, zh → cmn, sw → swh, ar → arb, fa → pes, az → azj, ms → zsm";
    "`get_language` accepts any of the three codes (`zh`, `zho`, `cmn`)"."""
    from xbench.languages import get_language

    mapping = {"qu": "quy", "zh": "cmn", "sw": "swh", "ar": "arb", "fa": "pes", "az": "azj", "ms": "zsm"}
    assert {code: get_language(code).uriel for code in mapping} == mapping
    assert get_language("zh") is get_language("zho") is get_language("cmn")


def test_exactly_ht_qu_wo_and_yo_are_not_in_cc100():
    """Languages (README 61-62): CC-100 size, "not in CC-100" for ht, qu, wo and yo — and for no other
    language of the table."""
    from xbench.languages import all_languages

    assert {lang.iso639_1 for lang in all_languages() if not lang.in_cc100} == {"ht", "qu", "wo", "yo"}


@pytest.mark.parametrize("other", ["en", "es", "fr"])
def test_an_isolate_such_as_basque_is_at_genetic_distance_1(other):
    """Languages (README 65-66): `genetic` is 1 − Jaccard similarity of the family-tree nodes; "an isolate
    such as Basque is at 1" — even from Spanish and French, its neighbours."""
    from xbench.languages import distance

    assert distance("eu", other, "genetic") == 1.0
    assert distance("es", "fr", "genetic") < 1.0  # related languages share nodes

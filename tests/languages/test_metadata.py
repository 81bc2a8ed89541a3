"""The language table: every language of the shipped specs and of the CC-100 reference, lookups by
ISO 639-1, 639-3 and URIEL code, the unseen-in-pretraining languages, and the URIEL code mapping."""

import csv
import math
from pathlib import Path

import pytest

from xbench.errors import UserError
from xbench.languages import all_languages, get_language, languages_of_task

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "languages.csv"
XCOPA = ["et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh"]
UNSEEN = ["ht", "qu", "wo", "yo"]


def shipped_spec_languages() -> set[str]:
    """Every language any shipped spec names: task languages, per-split ones and group lists."""
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    catalog = Catalog(get_registry())
    tasks = [t for t in catalog.tasks.values() if (REPO / "tasks") in t.file.parents]
    groups = [g for g in catalog.groups.values() if (REPO / "tasks") in g.file.parents]
    assert tasks and groups and not catalog.errors
    codes = {c for t in tasks for c in t.languages}
    codes |= {c for t in tasks for s in t.splits for c in t.split_languages(s)}
    codes |= {c for g in groups for e in g.entries for c in (e.languages or [])}
    return codes


def test_every_xcopa_language_resolves():
    langs = languages_of_task("xcopa")
    assert [lang.code for lang in langs] == XCOPA
    assert [lang.code for lang in languages_of_task("xtreme-r/xcopa")] == XCOPA
    assert all(get_language(code).name for code in XCOPA)


def test_a_group_address_gives_its_languages_once():
    codes = [lang.code for lang in languages_of_task("xtreme")]
    assert len(codes) == len(set(codes)) and {"en", "sw", "zh"} <= set(codes)


def test_unseen_languages_have_no_cc100_size_and_no_log():
    for code in UNSEEN:
        lang = get_language(code)
        assert not lang.in_cc100
        assert lang.log_cc100() is None
        assert lang.cc100_tokens_millions is None and lang.cc100_gib is None


def test_seen_languages_log_the_gib_size():
    en = get_language("en")
    assert en.in_cc100 and en.log_cc100() == pytest.approx(math.log(300.8))
    assert all(lang.cc100_gib > 0 for lang in all_languages() if lang.in_cc100)  # never a 0 size


def test_cc100_columns_are_copied_from_the_reference():
    if not REFERENCE.is_file():
        pytest.skip(f"reference notes not found at {REFERENCE}")
    with REFERENCE.open(encoding="utf-8") as f:
        ref = {r["iso639_1"]: r for r in csv.DictReader(f)}
    for code, row in ref.items():
        lang = get_language(code)
        assert lang.cc100_tokens_millions == (int(row["cc100_tokens_millions"]) if row["cc100_tokens_millions"] else None)
        assert lang.cc100_gib == (float(row["cc100_gib"]) if row["cc100_gib"] else None)


def test_the_table_covers_the_specs_and_the_reference():
    codes = {lang.code for lang in all_languages()}
    assert shipped_spec_languages() <= codes
    if REFERENCE.is_file():
        with REFERENCE.open(encoding="utf-8") as f:
            assert {r["iso639_1"] for r in csv.DictReader(f)} <= codes


def test_macrolanguage_codes_map_to_the_individual_language_uriel_knows():
    assert get_language("zh").uriel == "cmn"
    assert get_language("sw").uriel == "swh"
    assert get_language("qu").uriel == "quy"
    assert get_language("zh").iso639_3 == "zho"


def test_lookup_by_639_3_and_uriel_code_and_case():
    assert get_language("zho") is get_language("zh") is get_language("cmn") is get_language("ZH")
    assert get_language("que").code == "qu" and get_language("quy").code == "qu"
    assert get_language("hat").code == "ht"


def test_codes_are_unambiguous():
    langs = all_languages()
    for attr in ("iso639_1", "iso639_3", "uriel"):
        values = [getattr(lang, attr) for lang in langs]
        assert len(values) == len(set(values)), attr
    # a URIEL code never names another language's ISO code
    iso = {lang.iso639_3: lang for lang in langs}
    assert all(iso.get(lang.uriel, lang) is lang for lang in langs)


def test_rows_are_complete():
    for lang in all_languages():
        assert lang.iso639_3 and lang.name and lang.family and lang.genus and lang.script
        assert -90 <= lang.latitude <= 90 and -180 <= lang.longitude <= 180
        assert round(lang.latitude, 1) == lang.latitude and round(lang.longitude, 1) == lang.longitude


def test_unknown_code_is_a_user_error_with_a_suggestion():
    with pytest.raises(UserError, match=r"unknown language 'zhh' \(did you mean 'zh'\?\)"):
        get_language("zhh")


def test_every_spec_language_has_uriel_vectors(lang2vec):
    """The code mapping: each language's URIEL code is in lang2vec's list of URIEL languages and
    has family features (que, the macrolanguage, has none), unless it is an isolate."""
    from xbench.languages.uriel import vector

    for code in sorted(shipped_spec_languages()):
        lang = get_language(code)
        assert lang.uriel in lang2vec.URIEL_LANGUAGES, code
        assert (vector(lang, "fam").sum() > 0) == ("isolate" not in lang.family), code
        for feature_set in ("syntax_knn", "phonology_knn", "inventory_knn"):
            assert vector(lang, feature_set).sum() > 0, (code, feature_set)
    assert "que" not in lang2vec.URIEL_LANGUAGES  # why qu needs the explicit mapping

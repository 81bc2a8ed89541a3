"""Distances: zero to itself, symmetric, haversine against hand-computed values, cosine against
scipy on the same lang2vec vectors, Jaccard over family nodes; the lang2vec import guard."""

import math

import numpy as np
import pytest
from scipy.spatial import distance as scipy_distance

from xbench.errors import UserError
from xbench.languages import DISTANCE_KINDS, KIND_DESCRIPTIONS, distance, distances_from, get_language
from xbench.languages.typology import haversine_km, jaccard_distance
from xbench.languages.uriel import vector, without_shadowing

PAIRS = [("en", "de"), ("et", "qu"), ("zh", "sw"), ("ht", "fr")]


@pytest.fixture(autouse=True)
def _loaded(lang2vec):
    """Every test here may read URIEL vectors: load lang2vec once for the session."""


def test_every_kind_is_described():
    assert set(KIND_DESCRIPTIONS) == set(DISTANCE_KINDS)


@pytest.mark.parametrize("kind", DISTANCE_KINDS)
def test_distance_to_itself_is_zero(kind):
    for code in ("en", "qu", "zh"):
        assert distance(code, code, kind) == 0.0
    assert distance("zh", "cmn", kind) == 0.0  # two codes, one language


@pytest.mark.parametrize("kind", DISTANCE_KINDS)
def test_distance_is_symmetric_and_positive(kind):
    for a, b in PAIRS:
        assert distance(a, b, kind) == pytest.approx(distance(b, a, kind), abs=1e-12)
        assert distance(a, b, kind) >= 0
        if kind != "geographic":
            assert distance(a, b, kind) <= 1


def test_haversine_against_hand_computed_values():
    # a quarter of the equator: 2πR/4; one degree of latitude: 2πR/360
    assert haversine_km(0, 0, 0, 90) == pytest.approx(math.pi * 6371.0 / 2)
    assert haversine_km(10, 20, 11, 20) == pytest.approx(2 * math.pi * 6371.0 / 360)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0)  # antipodes
    # Paris (48.9, 2.4) to London (51.5, -0.1): the classic ~340 km, by the formula by hand
    phi1, phi2 = math.radians(48.9), math.radians(51.5)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(-2.5) / 2) ** 2
    assert haversine_km(48.9, 2.4, 51.5, -0.1) == pytest.approx(2 * 6371.0 * math.asin(math.sqrt(h)))
    assert 330 < haversine_km(48.9, 2.4, 51.5, -0.1) < 350


def test_geographic_distance_uses_the_table_coordinates():
    en, fr = get_language("en"), get_language("fr")  # (52.0, 0.0) and (48.0, 2.0)
    assert (en.latitude, en.longitude, fr.latitude, fr.longitude) == (52.0, 0.0, 48.0, 2.0)
    assert distance("en", "fr", "geographic") == pytest.approx(haversine_km(52.0, 0.0, 48.0, 2.0))
    assert distance("en", "fr", "geographic") == pytest.approx(467.3, abs=0.5)


@pytest.mark.parametrize("kind,feature_set", [("syntactic", "syntax_knn"), ("phonological", "phonology_knn"),
                                              ("inventory", "inventory_knn")])
def test_cosine_distance_equals_scipy(kind, feature_set, lang2vec):
    for a, b in PAIRS:
        u = lang2vec.get_features([get_language(a).uriel], feature_set)[get_language(a).uriel]
        v = lang2vec.get_features([get_language(b).uriel], feature_set)[get_language(b).uriel]
        u, v = np.array(u, dtype=float), np.array(v, dtype=float)  # straight from lang2vec
        assert np.array_equal(u, vector(get_language(a), feature_set))
        assert distance(a, b, kind) == pytest.approx(scipy_distance.cosine(u, v), abs=1e-12)


def test_featural_is_the_cosine_of_the_three_sets_together():
    sets = ("syntax_knn", "phonology_knn", "inventory_knn")
    u = np.concatenate([vector(get_language("tr"), s) for s in sets])
    v = np.concatenate([vector(get_language("ta"), s) for s in sets])
    assert distance("tr", "ta", "featural") == pytest.approx(scipy_distance.cosine(u, v), abs=1e-12)


def test_genetic_is_one_minus_jaccard_of_family_nodes():
    u, v = vector(get_language("en"), "fam"), vector(get_language("de"), "fam")
    assert distance("en", "de", "genetic") == pytest.approx(scipy_distance.jaccard(u > 0.5, v > 0.5))
    # by hand: English has 9 nodes, German 6, sharing Indo-European > Germanic > Northwest > West Germanic
    assert (u.sum(), v.sum(), (u * v).sum()) == (9, 6, 4)
    assert distance("en", "de", "genetic") == pytest.approx(1 - 4 / 11)
    assert distance("en", "zh", "genetic") == 1.0  # no shared node
    assert distance("fi", "et", "genetic") < distance("fi", "hu", "genetic") < 1  # Finnic, then Uralic
    assert jaccard_distance(np.zeros(3), np.zeros(3)) == 1.0


def test_distances_from_keys_by_canonical_code_in_order():
    out = distances_from("sw", ["en", "cmn", "yo"], ["genetic", "geographic"])
    assert list(out) == ["en", "zh", "yo"]
    assert all(set(d) == {"genetic", "geographic"} for d in out.values())
    assert out["yo"]["genetic"] < out["en"]["genetic"]  # both Atlantic-Congo
    assert out["zh"]["geographic"] == pytest.approx(distance("sw", "zh", "geographic"))


def test_unknown_kind_and_language_are_user_errors():
    with pytest.raises(UserError, match="unknown distance kind 'syntax' \\(did you mean 'syntactic'\\?\\)"):
        distance("en", "de", "syntax")
    with pytest.raises(UserError, match="unknown language 'xx'"):
        distances_from("xx", ["en"], ["geographic"])


def test_the_lang2vec_script_in_bin_does_not_shadow_the_package(tmp_path):
    """pip puts lang2vec's script at bin/lang2vec.py; the `xbench` console script has bin/ on sys.path."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "lang2vec.py").write_text("raise RuntimeError('the script, not the package')\n")
    (tmp_path / "site" / "lang2vec").mkdir(parents=True)
    (tmp_path / "site" / "lang2vec.py").write_text("")  # beside a real package folder: not shadowing
    paths = [str(tmp_path / "bin"), str(tmp_path / "site"), str(tmp_path)]
    assert without_shadowing(paths) == [str(tmp_path / "site"), str(tmp_path)]


def test_missing_lang2vec_or_pkg_resources_says_how_to_fix(monkeypatch):
    import builtins
    import sys

    from xbench.languages import uriel

    real_import = builtins.__import__
    for missing in ("lang2vec", "pkg_resources"):
        def fake_import(name, *args, _missing=missing, **kwargs):
            if name.split(".")[0] == _missing:
                raise ModuleNotFoundError(f"No module named '{_missing}'", name=_missing)
            return real_import(name, *args, **kwargs)

        for name in [m for m in sys.modules if m.split(".")[0] in ("lang2vec", "pkg_resources")]:
            monkeypatch.delitem(sys.modules, name)  # restored afterwards by monkeypatch
        monkeypatch.setattr(builtins, "__import__", fake_import)
        uriel.lang2vec_module.cache_clear()
        try:
            with pytest.raises(UserError, match=r"pip install 'xbench\[analysis\]'"):
                uriel.lang2vec_module()
        finally:
            monkeypatch.setattr(builtins, "__import__", real_import)
            uriel.lang2vec_module.cache_clear()

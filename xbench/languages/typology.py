"""Distances between languages: URIEL typology (via lang2vec), genealogy and geography.

- syntactic, phonological, inventory: cosine distance between lang2vec's kNN-imputed vectors
  ("syntax_knn", "phonology_knn", "inventory_knn"; imputed, so every language has a full vector);
- featural: cosine distance over the three kNN vectors concatenated;
- genetic: 1 − Jaccard similarity of the Glottolog family-tree nodes a language belongs to (the
  lang2vec "fam" vector: one 0/1 feature per node). Unrelated languages are at 1, languages
  sharing a deep path are close; an isolate (Basque) has no node and is at 1 from every other
  language. URIEL's classification rules: it files Haitian Creole under Romance > Oïl, so ht is
  at distance 0 from French;
- geographic: great-circle (haversine) distance in km between the coordinates of languages.csv.

Cosine and Jaccard distances lie in [0, 1]; a language's distance to itself is 0.
"""

from __future__ import annotations

import math

from xbench.errors import UserError
from xbench.languages.metadata import Language, get_language
from xbench.spec.suggest import did_you_mean

DISTANCE_KINDS = ("syntactic", "phonological", "inventory", "featural", "genetic", "geographic")
KIND_DESCRIPTIONS = {
    "syntactic": "cosine distance of URIEL kNN-imputed syntax features (lang2vec syntax_knn)",
    "phonological": "cosine distance of URIEL kNN-imputed phonology features (lang2vec phonology_knn)",
    "inventory": "cosine distance of URIEL kNN-imputed phoneme inventory features (lang2vec inventory_knn)",
    "featural": "cosine distance of the syntax, phonology and inventory kNN features together",
    "genetic": "1 - Jaccard similarity of the Glottolog family-tree nodes (lang2vec fam)",
    "geographic": "great-circle distance in km between representative coordinates",
}
_FEATURE_SETS = {
    "syntactic": ("syntax_knn",),
    "phonological": ("phonology_knn",),
    "inventory": ("inventory_knn",),
    "featural": ("syntax_knn", "phonology_knn", "inventory_knn"),
}
EARTH_RADIUS_KM = 6371.0  # mean radius


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))  # min: rounding past 1 near antipodes


def cosine_distance(u, v) -> float:
    import numpy as np

    norms = float(np.linalg.norm(u) * np.linalg.norm(v))
    if norms == 0.0:
        raise UserError("cosine distance is undefined for an all-zero feature vector")
    return max(0.0, 1.0 - float(np.dot(u, v)) / norms)


def jaccard_distance(u, v) -> float:
    """1 − |A ∩ B| / |A ∪ B| of the sets of features that are 1; disjoint or empty sets are at 1."""
    import numpy as np

    a, b = np.asarray(u) > 0.5, np.asarray(v) > 0.5
    union = int(np.sum(a | b))
    return 1.0 - int(np.sum(a & b)) / union if union else 1.0


def _check_kind(kind: str) -> None:
    if kind not in DISTANCE_KINDS:
        raise UserError(f"unknown distance kind '{kind}'{did_you_mean(kind, DISTANCE_KINDS)}"
                        f" (kinds: {', '.join(DISTANCE_KINDS)})")


def _distance(a: Language, b: Language, kind: str) -> float:
    if a == b:
        return 0.0  # exactly, not a cosine rounding residue
    if kind == "geographic":
        return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
    import numpy as np

    from xbench.languages.uriel import vector

    if kind == "genetic":
        return jaccard_distance(vector(a, "fam"), vector(b, "fam"))
    sets = _FEATURE_SETS[kind]
    return cosine_distance(np.concatenate([vector(a, s) for s in sets]),
                           np.concatenate([vector(b, s) for s in sets]))


def distance(a: str, b: str, kind: str) -> float:
    """The ``kind`` distance (one of DISTANCE_KINDS) between two languages given by code."""
    _check_kind(kind)
    return _distance(get_language(a), get_language(b), kind)


def distances_from(target: str, candidates: list[str], kinds=DISTANCE_KINDS) -> dict[str, dict[str, float]]:
    """``{candidate code: {kind: distance to target}}``, keyed by each candidate's canonical code
    (``Language.code``: ``cmn`` comes back as ``zh``), in the order given."""
    for kind in kinds:
        _check_kind(kind)
    goal = get_language(target)
    out = {}
    for code in candidates:
        lang = get_language(code)
        out[lang.code] = {kind: _distance(goal, lang, kind) for kind in kinds}
    return out

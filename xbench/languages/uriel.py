"""URIEL feature vectors through lang2vec, loaded once per process.

lang2vec is imported lazily: its import alone takes seconds (it scans the family database), and
it needs ``pkg_resources``, which setuptools 82 removed. Each feature set is read once, for every
language in the table at the same time (a ``fam`` lookup costs seconds whatever the number of
languages, so per-pair lookups would repeat that cost).
"""

from __future__ import annotations

import os
import sys
import warnings
from functools import lru_cache

from xbench.errors import UserError
from xbench.languages.metadata import Language, all_languages

FIX = "pip install 'xbench[analysis]'"


def without_shadowing(paths: list[str]) -> list[str]:
    """``paths`` minus the folders where a plain ``lang2vec.py`` would hide the lang2vec package.

    pip installs lang2vec's command-line script as ``bin/lang2vec.py``, and a console script such
    as ``bin/xbench`` runs with ``bin/`` first on ``sys.path``: ``import lang2vec`` would then run
    that script, which looks for its data beside itself and fails."""
    def shadows(entry: str) -> bool:
        folder = entry or os.curdir
        return (os.path.isfile(os.path.join(folder, "lang2vec.py"))
                and not os.path.isdir(os.path.join(folder, "lang2vec")))

    return [p for p in paths if not shadows(p)]


@lru_cache(maxsize=1)
def lang2vec_module():
    """The ``lang2vec.lang2vec`` module, or a UserError saying how to install it."""
    with warnings.catch_warnings():
        # lang2vec's own `import pkg_resources` warns on every process; nothing the user can act on
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        saved = sys.path[:]
        sys.path[:] = without_shadowing(saved)
        try:
            import lang2vec.lang2vec as l2v
        except ModuleNotFoundError as err:
            if err.name == "pkg_resources":
                raise UserError("lang2vec needs pkg_resources, which setuptools 82 removed "
                                f"(fix: {FIX}, which pins setuptools<82)") from None
            raise UserError(f"typological distances need lang2vec (fix: {FIX})") from None
        finally:
            sys.path[:] = saved
    return l2v


@lru_cache(maxsize=None)
def _feature_table(feature_set: str) -> dict:
    import numpy as np

    codes = sorted({lang.uriel for lang in all_languages()})
    features = lang2vec_module().get_features(codes, feature_set)
    # lang2vec marks a missing value as "--"; NaN keeps the vector numeric and the gap detectable
    return {code: np.array([np.nan if v == "--" else float(v) for v in features[code]]) for code in codes}


def vector(lang: Language, feature_set: str):
    """The lang2vec vector of a language for a feature set (e.g. "syntax_knn", "fam")."""
    import numpy as np

    values = _feature_table(feature_set)[lang.uriel]
    if np.isnan(values).any():
        raise UserError(f"URIEL has no complete '{feature_set}' vector for {lang.name} ({lang.uriel})")
    return values

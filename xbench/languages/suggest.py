"""'Did you mean' for a language a user wrote: a name (Estonian), an ISO 639-3 code (est), a code in
capitals (DE) or a typo (dee), each mapped to the code task specs use, among the codes on offer.

xbench's own metadata (``languages.csv``) is asked first; pycountry (the ISO 639 tables) covers
languages beyond it. Matching is case-insensitive.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def _name_of(code: str) -> str | None:
    from xbench.languages.metadata import _by_code

    lang = _by_code().get(code)
    if lang is not None:
        return lang.name
    try:
        import pycountry

        found = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    except (ImportError, KeyError, LookupError):
        return None
    return found.name if found is not None else None


def _code_of(word: str, *, by_code: bool = True) -> str | None:
    """The spec code of a language name (or, ``by_code``, an ISO 639 code), any case; None when it is
    neither."""
    from xbench.languages.metadata import _by_code, all_languages

    key = word.strip().lower()
    if by_code and key in _by_code():
        return _by_code()[key].code
    for lang in all_languages():
        if lang.name.lower() == key:
            return lang.code
    try:
        import pycountry

        found = pycountry.languages.lookup(key)
    except (ImportError, LookupError):
        return None
    if not by_code and found.name.lower() != key:
        return None
    return getattr(found, "alpha_2", None) or found.alpha_3


def _shown(code: str) -> str:
    name = _name_of(code)
    return f"'{code}' ({name})" if name else f"'{code}'"


def language_hint(word: str, offered: Iterable[str]) -> str:
    """'did you mean 'et' (Estonian)?' when ``word`` names or resembles one of the ``offered`` codes;
    "'<word>' is <code>, which is not on offer" when it names another language; else ''."""
    offered = sorted(set(offered))
    key = word.strip().lower()
    # a name, or a code xbench knows, first; then a typo of an offered code or name; then any ISO code
    code = key if key in offered else _code_of(word, by_code=len(key) == 2 or key in _known())
    if code is None:
        names = {(_name_of(c) or "").lower(): c for c in offered}
        names.pop("", None)
        close = difflib.get_close_matches(key, offered, n=1, cutoff=0.6) or \
            [names[n] for n in difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)]
        code = close[0] if close else _code_of(word)
    if code is None or code == word:
        return ""
    if code in offered:
        return f"did you mean {_shown(code)}?"
    return f"'{word}' is {_shown(code)}, which is not on offer"


def _known() -> set[str]:
    from xbench.languages.metadata import _by_code

    return set(_by_code())

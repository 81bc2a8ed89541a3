"""Language metadata: codes, family, script, location and CC-100 pretraining size.

One row per language in ``languages.csv`` beside this module (shipped inside the package). Sources:

- codes: ISO 639-1 and the ISO 639-3 code equivalent to it (a macrolanguage code where ISO has one,
  e.g. zh → zho, qu → que);
- family, genus/branch and script (ISO 15924 name of the script the benchmarks use): standard
  classifications (Glottolog/WALS top-level families), written by hand;
- latitude/longitude: a representative point of the language in the spirit of WALS and Glottolog
  coordinates, written from memory and rounded to 1 decimal: good to a few hundred km, which is
  what the geographic distance needs, not a survey;
- cc100_tokens_millions / cc100_gib / cc100_note: copied from the XLM-R paper's CC-100 table (via
  the project's reference notes); empty, never 0, for languages not in CC-100;
- uriel: the code lang2vec/URIEL knows the language by. lang2vec maps two-letter codes to
  macrolanguages, several of which have no URIEL entry of their own (que, zho, swa, ara, fas, aze,
  msa are missing from ``lang2vec.URIEL_LANGUAGES``), so those map to the individual language the
  benchmarks use: qu → quy (Ayacucho Quechua, in URIEL with family features; qve also has family
  features but lang2vec only lists it for its "learned" vectors), zh → cmn, sw → swh, ar → arb,
  fa → pes, az → azj, ms → zsm. Every other code is lang2vec's own ``LETTER_CODES`` mapping.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from xbench.errors import UserError
from xbench.spec.suggest import did_you_mean


@dataclass(frozen=True)
class Language:
    iso639_1: str | None  # None for a language that only has an ISO 639-3 code
    iso639_3: str
    name: str
    family: str
    genus: str
    script: str
    latitude: float
    longitude: float
    cc100_tokens_millions: int | None  # None: not in CC-100
    cc100_gib: float | None
    cc100_note: str | None
    uriel: str

    @property
    def code(self) -> str:
        """The code task specs use: ISO 639-1 when there is one."""
        return self.iso639_1 or self.iso639_3

    @property
    def in_cc100(self) -> bool:
        return self.cc100_gib is not None

    def log_cc100(self) -> float | None:
        """Natural log of the CC-100 size in GiB; None for a language unseen in pretraining.

        GiB rather than tokens: token counts of unsegmented scripts (ja, zh) are not comparable."""
        return math.log(self.cc100_gib) if self.cc100_gib is not None else None


def _optional(text: str, kind=str):
    return kind(text) if text != "" else None


@lru_cache(maxsize=1)
def all_languages() -> tuple[Language, ...]:
    """Every language in the table, ordered by code."""
    text = resources.files("xbench.languages").joinpath("languages.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        out.append(Language(
            iso639_1=_optional(row["iso639_1"]), iso639_3=row["iso639_3"], name=row["name"],
            family=row["family"], genus=row["genus"], script=row["script"],
            latitude=float(row["latitude"]), longitude=float(row["longitude"]),
            cc100_tokens_millions=_optional(row["cc100_tokens_millions"], int),
            cc100_gib=_optional(row["cc100_gib"], float), cc100_note=_optional(row["cc100_note"]),
            uriel=row["uriel"]))
    return tuple(out)


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Language]:
    # the URIEL code is accepted too (cmn finds zh), but never shadows a real ISO code
    index = {lang.uriel: lang for lang in all_languages()}
    for lang in all_languages():
        index[lang.iso639_3] = lang
        if lang.iso639_1:
            index[lang.iso639_1] = lang
    return index


def get_language(code: str) -> Language:
    """The language with this ISO 639-1, ISO 639-3 or URIEL code (case-insensitive)."""
    key = code.strip().lower()
    index = _by_code()
    if key not in index:
        raise UserError(f"unknown language '{code}'{did_you_mean(key, index)}"
                        " (see `xbench languages` for the known codes)")
    return index[key]


def languages_of_task(address: str, catalog=None) -> list[Language]:
    """The languages of a task or benchmark address (``NAME``, ``GROUP`` or ``GROUP/NAME``), in
    the order the specs list them."""
    if catalog is None:
        from xbench.registry import get_registry
        from xbench.spec.catalog import Catalog

        catalog = Catalog(get_registry())
    codes: dict[str, None] = {}  # ordered and without repeats across a group's tasks
    for selection in catalog.select(address):
        codes.update(dict.fromkeys(selection.languages))
    out = []
    for code in codes:
        try:
            out.append(get_language(code))
        except UserError:
            raise UserError(f"'{address}' has language '{code}', which xbench has no metadata for "
                            "(add a row to xbench/languages/languages.csv)") from None
    return out

"""``xbench analyze typology``: how far candidate source languages (of intermediate tasks) are from a
target language, per URIEL distance kind, and a ranking for intermediate-task selection.

The ranking orders candidates by their mean rank over the distance kinds that have a value for both
languages (closest first); with runs given, each candidate's observed gain on the target is shown
beside it, so a reader can see whether closeness predicted the gain.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from xbench.errors import UserError


@dataclass
class Candidate:
    language: str
    distances: dict[str, float | None]
    mean_rank: float | None = None
    rank: int | None = None
    configs: list[str] = field(default_factory=list)  # configurations whose intermediate tasks use it
    observed_gain: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def intermediate_language(slug: str) -> str:
    """The language of an intermediate task given as ``task[:split[:language]]`` or recorded as its slug
    ``task.split[.language]`` (English unless a language is named, as in ``parse_tasks``)."""
    parts = re.split(r"[:.]", slug)
    return parts[2] if len(parts) > 2 and parts[2] else "en"


def rank_candidates(target: str, candidates: list[str], kinds: list[str] | None = None) -> list[Candidate]:
    from xbench.languages.metadata import get_language
    from xbench.languages.typology import DISTANCE_KINDS, distance

    get_language(target)  # an unknown code fails here with its did-you-mean
    kinds = list(kinds or DISTANCE_KINDS)
    out = []
    for lang in dict.fromkeys(candidates):
        get_language(lang)
        values = {}
        for kind in kinds:
            try:
                values[kind] = float(distance(target, lang, kind))
            except UserError:
                values[kind] = None  # no URIEL features for one of the two: left out of this kind's ranking
        out.append(Candidate(lang, values))
    if not out:
        raise UserError("no candidate languages: give --candidates LANG,LANG or an experiment with intermediate tasks")
    ranks: dict[str, list[float]] = {c.language: [] for c in out}
    for kind in kinds:
        scored = sorted((c.distances[kind], c.language) for c in out if c.distances[kind] is not None)
        for position, (_, lang) in enumerate(scored, 1):
            ranks[lang].append(position)
    for c in out:
        c.mean_rank = sum(ranks[c.language]) / len(ranks[c.language]) if ranks[c.language] else None
    ordered = sorted(out, key=lambda c: (c.mean_rank is None, c.mean_rank or 0.0, c.language))
    for position, c in enumerate(ordered, 1):
        c.rank = position if c.mean_rank is not None else None
    return ordered


def attach_gains(candidates: list[Candidate], runs, target: str) -> None:
    """Each candidate's configurations (single-language intermediate tasks) and their mean gain over
    tasks (and models) on ``target`` against the ``none`` configuration, in the clean runs."""
    from xbench.analysis.gains import compute_gains

    by_lang: dict[str, list[str]] = {}
    for run in runs:
        slugs = run.config.get("intermediate_tasks") or []
        langs = {intermediate_language(s) for s in slugs}
        if len(langs) == 1:
            by_lang.setdefault(langs.pop(), []).append(run.intermediate)
    result = compute_gains(runs) if any(by_lang.values()) else None
    for c in candidates:
        c.configs = sorted(set(by_lang.get(c.language, [])))
        # clean runs only: a perturbed evaluation's gain is not the observed transfer gain
        gains = [g.gain for g in (result.gains if result else [])
                 if g.config in c.configs and g.language == target and g.perturbation is None]
        c.observed_gain = sum(gains) / len(gains) if gains else None


def candidate_rows(candidates: list[Candidate]) -> list[dict]:
    from xbench.analysis.common import signed_pct

    rows = []
    for c in candidates:
        row = {"rank": c.rank or "", "language": c.language}
        row.update({k: "n/a" if v is None else f"{v:.3f}" for k, v in c.distances.items()})
        row["mean rank"] = "" if c.mean_rank is None else f"{c.mean_rank:.1f}"
        if c.configs or c.observed_gain is not None:
            row["configs"] = ", ".join(c.configs)
            row["observed gain"] = signed_pct(c.observed_gain)
        rows.append(row)
    return rows

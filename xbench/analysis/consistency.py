"""``xbench analyze consistency``: do predictions agree across languages on parallel items?

Parallel test sets (XCOPA, XNLI, PAWS-X, XQuAD, MLQA) share item ids across languages (a reference
cell of another task, English COPA beside XCOPA, is parallel by position). Per language
against a pivot (English by default, else the first language): the share of shared items with the same
prediction (for tasks whose predictions are labels — the per-item files mark them with ``correct``),
and the share whose correctness agrees (both right or both wrong; for span answers an item is right
when its own score is 1, i.e. an exact match). Over all languages: the share of items predicted
identically in every language. Values are means over seeds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from xbench.analysis.common import cell_metric, config_name, is_reference_only
from xbench.analysis.sources import Run, item_key


@dataclass
class Agreement:
    model: str
    config: str
    perturbation: str | None
    address: str
    language: str
    pivot: str
    n_items: int
    agreement: float | None  # same prediction (label tasks only)
    correctness_agreement: float
    both_correct: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TaskConsistency:
    model: str
    config: str
    perturbation: str | None
    address: str
    languages: list[str]
    n_items: int
    all_agree: float | None  # items predicted identically in every language

    def to_dict(self) -> dict:
        return asdict(self)


def _per_item(run: Run, cell) -> dict:
    chosen = cell_metric(cell)
    out = {}
    for r in run.items(cell):
        if "prediction" not in r or r.get("reference") is None:
            continue
        if "correct" in r:
            right = bool(r["correct"])
        else:
            right = chosen is not None and chosen.fn([r["prediction"]], [r["reference"]], language=cell.language,
                                                     options=chosen.options) >= 1.0
        out[item_key(r)] = (r["prediction"], right, "correct" in r)
    return out


def compute_consistency(runs: list[Run], pivot: str | None = None,
                        tasks: list[str] | None = None) -> tuple[list[Agreement], list[TaskConsistency]]:
    rows, summaries = [], []
    for run in runs:
        for address in sorted({c.address for c in run.cells()}):
            if tasks and address not in tasks:
                continue
            seeds = sorted({c.seed for c in run.cells() if c.address == address})
            languages = sorted({c.language for c in run.cells() if c.address == address})
            anchor = pivot or ("en" if "en" in languages else languages[0])
            if anchor not in languages or len(languages) < 2:
                continue
            per_seed = {s: {lang: _per_item(run, run.cell(address, lang, s)) for lang in languages
                            if run.cell(address, lang, s) is not None} for s in seeds}
            for items in per_seed.values():
                _align_reference(run, address, items, seeds)
            for lang in languages:
                if lang == anchor:
                    continue
                stats = [_pair(items[anchor], items[lang]) for items in per_seed.values()
                         if anchor in items and lang in items]
                stats = [s for s in stats if s is not None]
                if not stats:
                    continue
                agree = [s[1] for s in stats if s[1] is not None]
                rows.append(Agreement(run.model, config_name(run), run.perturbation, address, lang, anchor,
                                      stats[0][0], sum(agree) / len(agree) if agree else None,
                                      sum(s[2] for s in stats) / len(stats), sum(s[3] for s in stats) / len(stats)))
            scored = [lang for lang in languages if not _reference_only(run, address, lang, seeds)]
            all_agree, n = _all_agree(per_seed, scored)
            if n:
                summaries.append(TaskConsistency(run.model, config_name(run), run.perturbation, address, scored, n,
                                                 all_agree))
    return rows, summaries


def _align_reference(run: Run, address: str, items: dict, seeds: list[int]) -> None:
    """A reference cell (English COPA beside XCOPA) has its own task's ids but is parallel by position,
    as the engine aligns it (``question_from_english``): key it by the parallel language's ids."""
    targets = [lang for lang in items if not _reference_only(run, address, lang, seeds)]
    if not targets:
        return
    order = list(items[targets[0]])
    for lang in [lang for lang in items if lang not in targets]:
        own = items[lang]
        if not set(own) & set(order) and len(own) == len(order):
            items[lang] = dict(zip(order, own.values()))


def _reference_only(run: Run, address: str, lang: str, seeds: list[int]) -> bool:
    cell = next((run.cell(address, lang, s) for s in seeds if run.cell(address, lang, s)), None)
    return cell is not None and is_reference_only(cell)


def _pair(a: dict, b: dict):
    shared = [k for k in a if k in b]
    if not shared:
        return None
    labels = all(a[k][2] for k in shared)
    agreement = sum(a[k][0] == b[k][0] for k in shared) / len(shared) if labels else None
    correctness = sum(a[k][1] == b[k][1] for k in shared) / len(shared)
    both = sum(a[k][1] and b[k][1] for k in shared) / len(shared)
    return len(shared), agreement, correctness, both


def _all_agree(per_seed: dict, languages: list[str]) -> tuple[float | None, int]:
    values, n = [], 0
    for items in per_seed.values():
        if not all(lang in items for lang in languages) or len(languages) < 2:
            continue
        shared = set.intersection(*(set(items[lang]) for lang in languages))
        if not shared or not all(items[lang][k][2] for lang in languages for k in shared):
            continue
        n = len(shared)
        values.append(sum(len({items[lang][k][0] for lang in languages}) == 1 for k in shared) / len(shared))
    return (sum(values) / len(values) if values else None), n


def agreement_rows(rows: list[Agreement]) -> list[dict]:
    from xbench.analysis.common import pct

    return [{"model": _model(r), "config": r.config, "task": r.address, "lang": r.language, "vs": r.pivot,
             "n": r.n_items, "same prediction": pct(r.agreement), "same correctness": pct(r.correctness_agreement),
             "both correct": pct(r.both_correct)} for r in rows]


def summary_rows(rows: list[TaskConsistency]) -> list[dict]:
    from xbench.analysis.common import pct

    return [{"model": _model(r), "config": r.config, "task": r.address, "languages": len(r.languages),
             "n": r.n_items, "identical in all languages": pct(r.all_agree)} for r in rows]


def _model(row) -> str:
    """The model column, as `xbench analyze gains` shows it: an experiment's runs differ by model and
    perturbation, not only by configuration."""
    return row.model + (f" · {row.perturbation}" if row.perturbation else "")

"""The leaderboard table: task × language, task means, transfer gap, flags, then benchmark scores.

Values are stored as fractions; only the rendering here multiplies by 100 (one decimal). Beside each
value, its uncertainty as the ``uncertainty`` mode asks (``xbench.results.uncertainty``): "61.2 ± 0.8"
(sd over seeds), "61.2 [57.0, 65.4]" (95% t-interval over seeds, or a single-seed cell's bootstrap CI
over items), explained in footnotes. ``csv`` puts the value and its low/high/sd/n_seeds in separate
columns; ``json`` keeps fractions, for machines. A row is one task address, split and score metric
(QA tasks score two metrics, EM and F1, so they have two rows).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from xbench.cli.output import render
from xbench.results.aggregate import GroupScore, Score, metric_mean, score_group
from xbench.results.scoring import Scoring, split_address
from xbench.results.seeds import CellAggregate
from xbench.results.uncertainty import (DEFAULT_MODE, UncertaintyLegend, check_mode, format_estimate, number,
                                        shown_fields)

ENGLISH = "en"
MEAN_COL, GAP_COL, FLAGS_COL = "mean", "transfer gap", "flags"
COVERAGE_COL = "mean languages"  # csv: languages in the mean / languages of the task
NOT_COMPARABLE = "not comparable with leaderboard numbers"


@dataclass
class Section:
    """The cells of one run (or one model's latest cells) and the scoring snapshot that applies."""

    cells: list[CellAggregate]
    scoring: Scoring
    label: str | None = None  # the model (and its configuration), when a table holds several
    config: str = ""  # the configuration summary in the label ("" = the plain default)


@dataclass
class Row:
    label: str | None
    config: str
    address: str
    split: str
    metric: str
    values: dict[str, Score | str] = field(default_factory=dict)  # language → score, or a status word
    mean: Score | None = None
    coverage: tuple[int, int] = (0, 0)  # languages in the mean, languages the address covers
    gap: Score | None = None
    flags: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)


@dataclass
class Shown:
    """How values are shown in one rendering: the uncertainty mode and what the values carried."""

    mode: str = DEFAULT_MODE
    legend: UncertaintyLegend = field(default_factory=UncertaintyLegend)

    def estimate(self, score: Score, what: str):
        return self.legend.add(score.estimate(self.mode), what)

    def text(self, score: Score | None, what: str) -> str:
        """A fraction shown ×100 with one decimal and the uncertainty the mode asks for."""
        if score is None or score.value is None:
            return "n/a"
        return format_estimate(self.estimate(score, what))

    def columns(self, name: str) -> list[str]:
        """The csv columns beside a value column ``name``: its bounds and/or sd (as the mode shows
        them) and its number of seeds."""
        return [f"{name} {e}" for e in [*shown_fields(self.mode), "n_seeds"]]

    def fields(self, name: str, score: Score | None, what: str) -> dict:
        """csv cells: the bare value in ``name``, the estimate's parts in the columns beside it."""
        if score is None or score.value is None:
            return {name: "n/a"}
        est = self.estimate(score, what)
        parts = {"low": number(est.low), "high": number(est.high), "sd": number(est.sd), "n_seeds": est.n_seeds}
        return {name: number(est.value), **{f"{name} {k}": v for k, v in parts.items()}}


def order_languages(languages) -> list[str]:
    """English first, then alphabetical."""
    return sorted(set(languages), key=lambda lang: (lang != ENGLISH, lang))


def _row_sort_key(scoring: Scoring, address: str, split: str):
    group, task = split_address(address)
    view = scoring.groups.get(group)
    position = next((i for i, e in enumerate(view.entries) if e.task == task), 10**6) if view else 10**6
    return (group or "~", position, task, split != (scoring.eval_split(task) or "test"), split)


def _shown_metrics(scoring: Scoring, address: str, cells: dict) -> list[str]:
    """A benchmark address shows the metrics of its score; a bare task shows every metric it reported
    (primary first), so e.g. POS tagging F1 and token accuracy appear side by side, both labelled."""
    group, _ = split_address(address)
    score = scoring.score_metrics(address)
    if group and score:
        return score
    seen = [m for c in cells.values() for m in c.metrics]
    ordered = list(dict.fromkeys((score or []) + seen))
    return [m for m in ordered if m in seen] or score or ["(none)"]


def build_rows(section: Section) -> list[Row]:
    scoring = section.scoring
    by_row: dict[tuple[str, str], dict[str, CellAggregate]] = {}
    for c in section.cells:
        by_row.setdefault((c.address, c.split), {})[c.language] = c
    rows = []
    for address, split in sorted(by_row, key=lambda k: _row_sort_key(scoring, *k)):
        cells = by_row[(address, split)]
        _, task = split_address(address)
        metrics = _shown_metrics(scoring, address, cells)
        expected = scoring.languages(address)
        marks = []
        eval_split = scoring.eval_split(task)
        if eval_split and split != eval_split:
            marks.append(f"split {split} instead of {eval_split}")
        flags = sorted({f for c in cells.values() for f in c.flags})
        for flag in flags:
            langs = [lang for lang, c in cells.items() if flag in c.flags]
            marks.append(flag if len(langs) == len(cells) else f"{flag} ({', '.join(order_languages(langs))})")
        for metric in metrics:
            rows.append(_row(section, address, split, metric, cells, expected, flags, marks))
    return rows


def _row(section, address, split, metric, cells, expected, flags, marks) -> Row:
    row = Row(section.label, section.config, address, split, metric, flags=flags, marks=marks)
    for lang in order_languages([*cells, *(expected or [])]):
        cell = cells.get(lang)
        if cell is None or cell.status == "missing":
            row.values[lang] = "missing"
        elif cell.status == "predict_only":
            row.values[lang] = "predict-only"
        elif metric not in cell.metrics:
            row.values[lang] = "n/a"
        else:
            row.values[lang] = metric_mean([cell], metric)
    scored = {lang: cells[lang] for lang, v in row.values.items() if isinstance(v, Score)}
    in_mean = [lang for lang in (expected or list(cells)) if lang in scored]
    row.coverage = (len(in_mean), len(expected or cells))
    if in_mean:
        row.mean = metric_mean([scored[lang] for lang in in_mean], metric)
    others = [scored[lang] for lang in scored if lang != ENGLISH]
    if ENGLISH in scored and others:
        row.gap = _difference(metric_mean([scored[ENGLISH]], metric), metric_mean(others, metric))
    return row


def _difference(a: Score, b: Score) -> Score:
    per_seed = {s: a.per_seed[s] - b.per_seed[s] for s in a.per_seed if s in b.per_seed} \
        if set(a.per_seed) == set(b.per_seed) else {}
    return Score(a.value - b.value, per_seed)


# ---- benchmark scores -----------------------------------------------------------------------------

def group_scores(section: Section) -> list[tuple[str, GroupScore | None]]:
    """Scores of every group that the section's cells are addressed under (None: group spec unknown)."""
    names = sorted({c.group for c in section.cells if c.group})
    return [(name, score_group(section.scoring.groups[name], section.cells, section.scoring)
             if name in section.scoring.groups else None) for name in names]


def _prefix(label: str | None) -> str:
    return f"{label} · " if label else ""


def _score_text(score: Score, shown: Shown) -> str:
    if score.value is None:
        return f"n/a (missing: {'; '.join(score.missing)})"
    text = shown.text(score, "benchmark scores") + ("*" if score.marks else "")
    return text + (f" ({score.n_seeds} seeds)" if score.n_seeds > 1 else "")


def score_lines(section: Section, shown: Shown | None = None) -> tuple[list[str], list[str]]:
    """Text lines of the benchmark scores, and their footnotes."""
    shown = shown or Shown()
    lines, notes = [], []
    prefix = _prefix(section.label)
    for name, gs in group_scores(section):
        title = f"{prefix}{name.upper()} score"
        if gs is None:
            lines.append(f"{title}: n/a (group '{name}' is not among the installed specs)")
            continue
        if gs.overall is not None:
            lines.append(f"{title}: {_score_text(gs.overall, shown)}")
            if gs.overall.marks and gs.overall.value is not None:
                notes.append(f"* {title} uses cells that are {NOT_COMPARABLE}: {'; '.join(gs.overall.marks)}")
        if gs.categories:
            lines.append("  categories: " + " | ".join(f"{k} {_short(v, shown)}" for k, v in gs.categories.items()))
        lines.append("  tasks: " + " | ".join(f"{t.task} {_short(t.score, shown)}" for t in gs.tasks))
    return lines, notes


def _short(score: Score, shown: Shown) -> str:
    return shown.text(score, "benchmark scores") + ("*" if score.marks and score.value is not None else "")


def score_rows(section: Section, shown: Shown | None = None, machine: bool = False) -> list[dict]:
    """The benchmark scores as rows (for md, csv and latex); ``machine`` (csv) puts the bare value in
    ``score`` and its uncertainty in the columns of ``Shown.columns("score")``."""
    shown = shown or Shown()
    rows = []
    for name, gs in group_scores(section):
        base = {"model": section.label, "group": name}
        if gs is None:
            rows.append({**base, "scope": "overall", "name": name, "score": "n/a", "missing": "group spec not found"})
            continue
        parts = ([("overall", name, gs.overall)] if gs.overall is not None else []) \
            + [("category", k, v) for k, v in gs.categories.items()] + [("task", t.task, t.score) for t in gs.tasks]
        for scope, label, score in parts:
            row = {**base, "scope": scope, "name": label, "missing": "; ".join(score.missing),
                   "notes": "; ".join(score.marks)}
            if machine:
                row.update(shown.fields("score", score, "benchmark scores"))
                if score.marks and score.value is not None:
                    row["score"] += "*"
            else:
                row["score"] = _short(score, shown)
            rows.append(row)
    return rows


# ---- rendering ------------------------------------------------------------------------------------

def _display(row: Row, languages: Sequence[str], with_label: bool, shown: Shown, machine: bool) -> dict:
    """One table row; ``machine`` (csv): bare values with their uncertainty in columns beside."""
    out = {"model": row.label} if with_label else {}
    out.update({"task": row.address + ("*" if row.marks else ""), "split": row.split, "metric": row.metric})
    for lang in languages:
        value = row.values.get(lang)
        if not isinstance(value, Score):
            out[lang] = value or ""
        elif machine:
            out.update(shown.fields(lang, value, "cells"))
        else:
            out[lang] = shown.text(value, "cells")
    if machine:
        out.update(shown.fields(MEAN_COL, row.mean, "task means") if row.mean else {MEAN_COL: "n/a"})
    else:
        out[MEAN_COL] = shown.text(row.mean, "task means") if row.mean else "n/a"
    if machine:  # a bare number in the mean column; its coverage beside it
        out[COVERAGE_COL] = f"{row.coverage[0]}/{row.coverage[1]}"
    elif row.mean and row.coverage[0] < row.coverage[1]:
        out[MEAN_COL] += f" ({row.coverage[0]}/{row.coverage[1]})"
    if row.gap and machine:
        out.update(shown.fields(GAP_COL, row.gap, "transfer gaps"))
    else:
        out[GAP_COL] = shown.text(row.gap, "transfer gaps") if row.gap else ""
    out[FLAGS_COL] = ", ".join(row.flags)
    return out


def _json_score(value, shown: Shown, what: str) -> dict | str | None:
    if isinstance(value, Score):
        return shown.estimate(value, what).fields()
    return value


def _row_json(row: Row, shown: Shown) -> dict:
    return {"model": row.label, "configuration": row.config, "task": row.address, "split": row.split,
            "metric": row.metric, "values": {lang: _json_score(v, shown, "cells") for lang, v in row.values.items()},
            "mean": _json_score(row.mean, shown, "task means"), "mean_languages": list(row.coverage),
            "transfer_gap": _json_score(row.gap, shown, "transfer gaps"), "flags": row.flags,
            "comparable": not row.marks, "notes": row.marks}


def _json_group(section: Section, name: str, gs: GroupScore | None, shown: Shown) -> dict:
    base = {"model": section.label, "configuration": section.config}
    if gs is None:
        return {**base, "group": name, "overall": None}
    for score in [*([gs.overall] if gs.overall else []), *gs.categories.values(), *(t.score for t in gs.tasks)]:
        if score.value is not None:
            shown.estimate(score, "benchmark scores")  # for the footnotes; to_dict computes the same estimate
    return {**base, **gs.to_dict(shown.mode)}


def retrieval_layer_notes(sections: Sequence[Section]) -> list[str]:
    """One footnote per retrieval task row: the hidden layer its sentence embeddings came from."""
    layers: dict[tuple, set[str]] = {}
    for s in sections:
        for c in s.cells:
            for layer in getattr(c, "retrieval_layers", ()):
                layers.setdefault((_prefix(s.label), c.address, c.split), set()).add(layer)
    return [f"retrieval layer: {prefix}{address} [{split}]: {'; '.join(sorted(found))}"
            for (prefix, address, split), found in layers.items()]


def render_table(sections: Sequence[Section], fmt: str = "table", uncertainty: str = DEFAULT_MODE) -> str:
    """The whole leaderboard text in one of the formats of ``xbench.cli.output``, each value with the
    uncertainty that ``uncertainty`` (auto, sd, ci, none) asks for."""
    shown = Shown(check_mode(uncertainty))
    rows = [r for s in sections for r in build_rows(s)]
    with_label = any(s.label for s in sections)
    notes = [f"* {_prefix(r.label)}{r.address} [{r.split}]: {'; '.join(r.marks)} — {NOT_COMPARABLE}"
             for r in _unique_marked(rows)]
    if fmt != "json":
        notes += missing_notes(sections)
        notes += retrieval_layer_notes(sections)
    if fmt == "json":
        json_rows = [_row_json(r, shown) for r in rows]
        scores = [_json_group(s, name, gs, shown) for s in sections for name, gs in group_scores(s)]
        return json.dumps({"unit": "fraction", "rows": json_rows, "scores": scores, "notes": notes,
                           "uncertainty": {"mode": shown.mode, "notes": shown.legend.notes()}},
                          indent=2, ensure_ascii=False)
    if not rows:
        return "no results"
    # columns for the languages that have cells; languages never evaluated show in the k/n coverage
    # of the mean column and by name in the benchmark score lines
    languages = order_languages(c.language for s in sections for c in s.cells)
    machine = fmt == "csv"
    value_columns = [*languages, MEAN_COL, GAP_COL]
    columns = (["model"] if with_label else []) + ["task", "split", "metric", *value_columns, FLAGS_COL]
    if machine:  # the uncertainty columns after the values, so the value columns read as before
        columns += [COVERAGE_COL, *(c for name in value_columns for c in shown.columns(name))]
    table = render([_display(r, languages, with_label, shown, machine) for r in rows], columns, fmt)
    legend = (f"values ×100; {MEAN_COL} = mean over the task's languages (k/n when some are missing); "
              f"{GAP_COL} = en minus the mean of the other languages")
    if fmt == "table":
        lines, score_notes = [], []
        for s in sections:
            more, more_notes = score_lines(s, shown)
            lines += more
            score_notes += more_notes
        return "\n".join([table, "", legend, *shown.legend.notes(), *notes, *(["", *lines] if lines else []),
                          *score_notes])
    srows = [r for s in sections for r in score_rows(s, shown, machine)]
    scols = (["model"] if with_label else []) + ["group", "scope", "name", "score", "missing", "notes"]
    if machine:
        scols += shown.columns("score")
    parts = [table]
    if srows:
        parts.append(render(srows, scols, fmt))
    footnotes = [legend, *shown.legend.notes(), *notes]
    if fmt == "md":
        parts.append("\n".join(f"- {n}" for n in footnotes))
    elif fmt == "latex":
        parts.append("\n\n".join(latex_escape(n) for n in footnotes))
    return "\n\n".join(parts)


MISSING_FIX = "see missing_reason in results.json"
SHOWN_LANGUAGES = 6


def missing_notes(sections: Sequence[Section]) -> list[str]:
    """One footnote per task row and distinct reason of its missing cells: the reason (without the
    list of paths tried) and its fix, so a ``missing`` cell says why on the terminal too."""
    groups: dict[tuple, list[str]] = {}
    for s in sections:
        for c in s.cells:
            if c.status == "missing" and c.missing_reason:
                reason = _short_reason(c.missing_reason, f"{c.task}/{c.split}/{c.language}")
                key = (_prefix(s.label), c.address, c.split, reason)
                groups.setdefault(key, []).append(c.language)
    notes = []
    for (prefix, address, split, reason), langs in groups.items():
        langs = order_languages(langs)
        shown = ", ".join(langs) if len(langs) <= SHOWN_LANGUAGES else \
            f"{', '.join(langs[:SHOWN_LANGUAGES])} +{len(langs) - SHOWN_LANGUAGES} more"
        notes.append(f"missing: {prefix}{address} [{split}] ({shown}): {reason}")
    return notes


def _short_reason(reason: str, cell: str) -> str:
    """``what (fix: how)``: the text before the first fix, minus ``tried:``/``official release:``
    parts, with the last fix given (the outermost, most specific one); the cell's own TASK/SPLIT/LANG
    with <lang>, so the same reason for several languages is one footnote."""
    first, last = reason.find(" (fix: "), reason.rfind(" (fix: ")
    what = reason if first < 0 else reason[:first]
    fix = reason[last + len(" (fix: "):].rstrip().removesuffix(")") if last >= 0 else MISSING_FIX
    parts = [p for p in what.split("; ") if not p.startswith(("tried:", "official release:"))]
    what = "; ".join(parts).strip()
    what = what.replace(cell, cell.rpartition("/")[0] + "/<lang>")
    return f"{what} (fix: {fix})"


def _unique_marked(rows: list[Row]) -> list[Row]:
    seen, out = set(), []
    for r in rows:
        key = (r.label, r.address, r.split)
        if r.marks and key not in seen:
            seen.add(key)
            out.append(r)
    return out


LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)

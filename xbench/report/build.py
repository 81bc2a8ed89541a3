"""Assemble the ``Report`` of a list of runs (``xbench.analysis.sources.Run``).

Sections, in order: the leaderboard (one row per run: benchmark scores, the average over tasks, each
task's mean over its languages and every task × language value, ×100 with their uncertainty), any
``extra_sections`` the caller adds, a task × language heatmap, per-language bars with 95% intervals
for each task, the per-run tables (every metric, as ``xbench leaderboard`` prints them), flags and
footnotes, and the runs' configurations and environments.

Numbers, marks and footnotes come from ``xbench.results.table`` (the rows of the text leaderboard,
its uncertainty rendering and its footnotes) and flag meanings from ``xbench.data.flags``, so the
page says what the terminal says.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xbench.analysis.sources import Run
from xbench.results.aggregate import Score, mean_score
from xbench.results.table import (NOT_COMPARABLE, Row, Section as TableSection, Shown, build_rows, group_scores,
                                  missing_notes, order_languages, retrieval_layer_notes)
from xbench.report.page import NUMBER, TEXT, Cell, Config, Figure, Report, Section, Table, Text

SCALE = 100.0
NOT_RUN = "—"


@dataclass
class _RunView:
    """One run as the report shows it: its unique label, its table rows and its cells."""

    run: Run
    label: str
    section: TableSection
    rows: dict[tuple[str, str, str], Row] = field(default_factory=dict)  # (address, split, metric) → row
    cells: dict[tuple[str, str, str], object] = field(default_factory=dict)  # (address, split, lang) → aggregate


@dataclass(frozen=True)
class _Task:
    """A leaderboard task column group: one address, split and score metric, and its languages."""

    address: str
    split: str
    metric: str
    languages: tuple[str, ...]
    name: str  # the header text


def build_report(runs: Sequence[Run], title: str = "xbench report", extra_sections: Sequence[Section] = (), *,
                 subtitle: str | None = None, generated: str | None = None) -> Report:
    """The report of ``runs``.

    ``extra_sections`` (``xbench.report.page.Section``) are placed right after the leaderboard; this is
    where ``xbench analyze gains`` adds its paper-style comparison (gains over the baseline with their
    tests). ``generated`` (e.g. a timestamp) is printed under the title when given; leave it out for
    a page that depends only on the runs.
    """
    if not runs:
        raise ValueError("a report needs at least one run")
    views = _views(runs)
    tasks = _tasks(views)
    shown = Shown()
    sections = [_leaderboard(views, tasks, shown)]
    sections += list(extra_sections)
    sections += _figures(views, tasks)
    sections.append(_run_tables(views))
    sections.append(_flags_and_notes(views))
    sections.append(_configurations(views))
    if subtitle is None:
        n_cells = sum(len(v.run.results.cells) for v in views)
        subtitle = (f"{len(views)} run{'s' * (len(views) != 1)}, {n_cells} cells; "
                    f"tasks: {', '.join(dict.fromkeys(t.address for t in tasks)) or 'none'}; values ×100")
    return Report(title, subtitle, sections, generated)


# ---- runs and columns -----------------------------------------------------------------------------

def _views(runs: Sequence[Run]) -> list[_RunView]:
    labels = [r.label for r in runs]
    views = []
    for run, label in zip(runs, labels):
        if labels.count(label) > 1:  # two runs of one model and configuration: tell the rows apart
            label = f"{label} ({run.results.run_id[:8]})"
        results = run.results
        view = _RunView(run, label, TableSection(results.aggregates(), results.complete_scoring(), label))
        for row in build_rows(view.section):
            view.rows[(row.address, row.split, row.metric)] = row
        for cell in view.section.cells:
            view.cells[(cell.address, cell.split, cell.language)] = cell
        views.append(view)
    return views


def _tasks(views: list[_RunView]) -> list[_Task]:
    """The (address, split, score metric) columns over all runs, in the order of the runs' tables
    (first run first), with the languages any run has cells for (languages never evaluated appear
    in the k/n of the mean)."""
    metrics: dict[tuple[str, str], list[str]] = {}
    for view in views:
        by_key: dict[tuple[str, str], list[str]] = {}
        for address, split, metric in view.rows:
            by_key.setdefault((address, split), []).append(metric)
        for (address, split), shown in by_key.items():
            score = view.section.scoring.score_metrics(address) or []
            wanted = [m for m in shown if m in score] or shown[:1]
            known = metrics.setdefault((address, split), [])
            known += [m for m in wanted if m not in known]
    splits: dict[str, int] = {}
    for address, _ in metrics:
        splits[address] = splits.get(address, 0) + 1
    out = []
    for (address, split), names in metrics.items():
        languages = order_languages(lang for v in views for (a, s, lang) in v.cells if (a, s) == (address, split))
        for metric in names:
            name = address + (f" [{split}]" if splits[address] > 1 else "") + (f" {metric}" if len(names) > 1 else "")
            out.append(_Task(address, split, metric, tuple(languages), name))
    return out


# ---- cells ----------------------------------------------------------------------------------------

def _score_cell(score: Score | None, shown: Shown, what: str, extra: str = "", tooltip: str = "") -> Cell:
    if score is None or score.value is None:
        missing = "; ".join(score.missing) if score is not None else ""
        return Cell("n/a", None, "; ".join(filter(None, [f"missing: {missing}" if missing else "", tooltip])) or None)
    seeds = ", ".join(f"seed {s}: {SCALE * v:.1f}" for s, v in sorted(score.per_seed.items()))
    text = shown.text(score, what) + extra
    return Cell(text, SCALE * score.value, "; ".join(filter(None, [tooltip, seeds])) or None)


def _status_cell(status: str, cell) -> Cell:
    if status == "missing":
        reason = getattr(cell, "missing_reason", None) if cell is not None else None
        return Cell("missing", None, reason or "not evaluated")
    if status == "predict-only":
        return Cell("predict-only", None, "no labels for this split: predictions only, no metrics")
    return Cell(status, None, "this metric was not reported for this cell")


def _language_cell(view: _RunView, task: _Task, lang: str, shown: Shown) -> Cell:
    row = view.rows.get((task.address, task.split, task.metric))
    if row is None:
        return Cell(NOT_RUN, None, f"this run has no cells for {task.address} [{task.split}] {task.metric}")
    value = row.values.get(lang)
    cell = view.cells.get((task.address, task.split, lang))
    if not isinstance(value, Score):
        return _status_cell(value or "missing", cell)
    parts = [f"{task.metric} on {cell.n_items} items" if cell else task.metric]
    if cell is not None and cell.flags:
        parts.append("flags: " + ", ".join(cell.flags))
    return _score_cell(value, shown, "cells", tooltip="; ".join(parts))


def _mean_cell(row: Row | None, task: _Task, shown: Shown) -> Cell:
    if row is None:
        return Cell(NOT_RUN, None, f"this run has no cells for {task.address} [{task.split}] {task.metric}")
    have, total = row.coverage
    extra = (f" ({have}/{total})" if row.mean and have < total else "") + ("*" if row.marks else "")
    tip = f"mean of {task.metric} over {have} of the {total} languages of {task.address}"
    if row.mean is None:
        return Cell("n/a", None, tip)
    return _score_cell(row.mean, shown, "task means", extra, tip)


def _average(view: _RunView, tasks: list[_Task]) -> tuple[Score, list[str]]:
    """The unweighted mean over tasks of each task's mean (a task scored with several metrics, such as
    QA's EM and F1, counts once: the mean of its metrics), and which means cover only some languages."""
    by_task: dict[tuple[str, str], list[Score]] = {}
    partial = []
    for task in tasks:
        row = view.rows.get((task.address, task.split, task.metric))
        mean = row.mean if row is not None and row.mean is not None else Score(None, missing=[task.name])
        by_task.setdefault((task.address, task.split), []).append(mean)
        if row is not None and row.mean is not None and row.coverage[0] < row.coverage[1]:
            partial.append(f"{task.name} {row.coverage[0]}/{row.coverage[1]}")
    return mean_score([mean_score(parts) for parts in by_task.values()]), partial


def _leaderboard(views: list[_RunView], tasks: list[_Task], shown: Shown) -> Section:
    groups = sorted({name for v in views for name, _ in group_scores(v.section)})
    with_average = len({(t.address, t.split) for t in tasks}) > 1
    columns = ["run", *[f"{g.upper()} score" for g in groups], *(["average"] if with_average else []),
               *[f"{t.name} mean" for t in tasks], *[f"{t.name} {lang}" for t in tasks for lang in t.languages]]
    rows, marked = [], []
    for view in views:
        row: list = [Cell(view.label, view.label, f"run {view.run.results.run_id}")]
        scores = dict(group_scores(view.section))
        for name in groups:
            gs = scores.get(name)
            if name not in scores:
                row.append(Cell(NOT_RUN, None, f"this run has no cells addressed under {name}"))
            elif gs is None or gs.overall is None:
                row.append(Cell("n/a", None, f"group '{name}' has no overall score here (spec not installed, "
                                             "or its aggregation is none)"))
            else:
                row.append(_score_cell(gs.overall, shown, "benchmark scores",
                                       "*" if gs.overall.marks and gs.overall.value is not None else "",
                                       "; ".join(gs.overall.marks)))
        if with_average:
            average, partial = _average(view, tasks)
            tip = "unweighted mean over tasks of their means" + (
                f"; task means over only some languages: {', '.join(partial)}" if partial else "")
            row.append(_score_cell(average, shown, "averages", " (partial)" if partial and average.value is not None
                                   else "", tip))
        for task in tasks:
            task_row = view.rows.get((task.address, task.split, task.metric))
            row.append(_mean_cell(task_row, task, shown))
            if task_row is not None and task_row.marks and task_row not in marked:
                marked.append(task_row)
        row += [_language_cell(view, t, lang, shown) for t in tasks for lang in t.languages]
        rows.append(row)
    notes = ["values ×100; mean = mean over the task's languages (k/n when some are missing); "
             "click a column header to sort (rows without a value stay last)",
             *shown.legend.notes(),
             *[f"* {r.label} · {r.address} [{r.split}]: {'; '.join(r.marks)} — {NOT_COMPARABLE}"
               for r in _unique(marked)]]
    kinds = [TEXT, *[NUMBER] * (len(columns) - 1)]
    table = Table(columns, rows, notes, kinds, caption="Leaderboard: one row per run", id="leaderboard")
    return Section("Leaderboard", [table], id="leaderboard-section")


def _unique(rows: list[Row]) -> list[Row]:
    seen, out = set(), []
    for r in rows:
        if (r.label, r.address, r.split) not in seen:
            seen.add((r.label, r.address, r.split))
            out.append(r)
    return out


# ---- figures --------------------------------------------------------------------------------------

def _plots():
    """The plotting module, or why figures cannot be drawn here (matplotlib is an optional extra)."""
    try:
        from xbench.analysis import plots
    except ModuleNotFoundError as err:
        if not (err.name or "").split(".")[0] == "matplotlib":
            raise
        return None, "figures are left out: matplotlib is not installed (fix: pip install 'xbench[analysis]')"
    return plots, None


def _value(view: _RunView, task: _Task, lang: str) -> Score | None:
    row = view.rows.get((task.address, task.split, task.metric))
    value = row.values.get(lang) if row is not None else None
    return value if isinstance(value, Score) and value.value is not None else None


def _figures(views: list[_RunView], tasks: list[_Task]) -> list[Section]:
    if not tasks:
        return []
    plots, why = _plots()
    if plots is None:
        return [Section("Figures", [Text(why)])]
    several = len(views) > 1
    with tempfile.TemporaryDirectory(prefix="xbench-report-") as tmp:
        folder = Path(tmp)
        languages = order_languages(lang for t in tasks for lang in t.languages)
        # a run's row for each task it evaluated (tasks it never ran would only add empty rows)
        pairs = [(v, t) for v in views for t in tasks if (t.address, t.split, t.metric) in v.rows]
        row_labels = [f"{v.label}: {t.name}" if several else t.name for v, t in pairs]
        values = [[_scaled(_value(v, t, lang)) for lang in languages] for v, t in pairs]
        png, _svg = plots.heatmap(folder / "heatmap", row_labels, languages, values,
                                  title="task × language (×100)")
        heat = Figure(png, "Every task × language value (×100) of the score metric; grey “–”: no value.",
                      alt="heatmap of task × language values")
        bars = []
        for number, task in enumerate(tasks):
            series, lows, highs = {}, {}, {}
            for view in (v for v in views if (task.address, task.split, task.metric) in v.rows):
                ests = [_interval(_value(view, task, lang)) for lang in task.languages]
                series[view.label] = [e[0] for e in ests]
                lows[view.label] = [e[1] for e in ests]
                highs[view.label] = [e[2] for e in ests]
            png, _svg = plots.grouped_bars(folder / f"bars-{number}", list(task.languages), series, lows, highs,
                                           ylabel=f"{task.metric} ×100", title=task.name)
            bars.append(Figure(png, f"{task.name}: {task.metric} ×100 per language, one bar per run. Error bars: "
                                    "95% intervals — the bootstrap CI over items for a single seed, the "
                                    "t-interval over seeds for several; none where neither exists.",
                               alt=f"bars of {task.name} per language"))
    return [Section("Heatmap", [heat]), Section("Per-language results", bars)]


def _scaled(score: Score | None) -> float | None:
    return None if score is None else SCALE * score.value


def _interval(score: Score | None) -> tuple[float | None, float | None, float | None]:
    if score is None:
        return None, None, None
    est = score.estimate("ci")
    scaled = [None if x is None else SCALE * x for x in (est.value, est.low, est.high)]
    return scaled[0], scaled[1], scaled[2]


# ---- per-run tables, flags, configurations --------------------------------------------------------

def _run_tables(views: list[_RunView]) -> Section:
    blocks = []
    for view in views:
        shown = Shown()
        rows = list(view.rows.values())
        languages = order_languages(c.language for c in view.section.cells)
        columns = ["task", "split", "metric", *languages, "mean", "transfer gap", "flags"]
        table_rows = []
        for row in rows:
            have, total = row.coverage
            cells: list = [Cell(row.address + ("*" if row.marks else ""), row.address, "; ".join(row.marks) or None),
                           row.split, row.metric]
            for lang in languages:
                value = row.values.get(lang)
                cell = view.cells.get((row.address, row.split, lang))
                cells.append(_score_cell(value, shown, "cells") if isinstance(value, Score)
                             else _status_cell(value, cell) if value else Cell("", None))
            extra = f" ({have}/{total})" if row.mean and have < total else ""
            cells.append(_score_cell(row.mean, shown, "task means", extra) if row.mean else Cell("n/a", None))
            cells.append(_score_cell(row.gap, shown, "transfer gaps") if row.gap else Cell("", None))
            cells.append(", ".join(row.flags))
            table_rows.append(cells)
        kinds = [TEXT, TEXT, TEXT, *[NUMBER] * (len(languages) + 2), TEXT]
        notes = ["transfer gap = en minus the mean of the other languages", *shown.legend.notes()]
        blocks.append(Table(columns, table_rows, notes, kinds, caption=view.label))
    return Section("Per-run tables", blocks)


def _flag_meaning(flag: str) -> str:
    from xbench.data.flags import describe

    return describe(flag)


def _flags_and_notes(views: list[_RunView]) -> Section:
    where: dict[str, dict[tuple[str, str, str], set[str]]] = {}
    for view in views:
        for cell in view.section.cells:
            for flag in cell.flags:
                where.setdefault(flag, {}).setdefault((view.label, cell.address, cell.split), set()).add(cell.language)
    rows = []
    for flag in sorted(where):
        places = "; ".join(f"{label} · {address} [{split}] ({', '.join(order_languages(langs))})"
                           for (label, address, split), langs in where[flag].items())
        rows.append([flag, _flag_meaning(flag), places])
    blocks: list = []
    if rows:
        blocks.append(Table(["flag", "meaning", "where"], rows, caption="Flags on the cells", id="flags",
                            footnotes=[f"a flagged cell is marked * in the tables: {NOT_COMPARABLE}"]))
    else:
        blocks.append(Text("No cell carries a flag."))
    missing = missing_notes([v.section for v in views])
    blocks.append(Text("Missing cells and why:\n\n" + "\n".join(f"- {n}" for n in missing)) if missing
                  else Text("No cell is missing."))
    layers = retrieval_layer_notes([v.section for v in views])
    if layers:
        blocks.append(Text("\n".join(f"- {n}" for n in layers)))
    return Section("Flags and footnotes", blocks)


def _environment_row(view: _RunView) -> list:
    config, env = view.run.config, view.run.results.environment
    packages = env.get("packages") or {}
    hardware = env.get("hardware") or {}
    commit = env.get("git_commit")
    commit = (commit[:12] + (" (dirty)" if env.get("git_dirty") else "")) if commit else "unknown"
    gpus = hardware.get("cuda_devices") or []
    return [view.label, view.run.results.run_id, view.run.results.created_at, str(view.run.run_dir or "(store only)"),
            ", ".join(str(s) for s in config.get("seeds") or []) or "?", str(config.get("device") or "?"),
            env.get("python") or "?", packages.get("torch") or "?", packages.get("transformers") or "?",
            packages.get("xbench") or "?", commit, hardware.get("cpu_count"), ", ".join(gpus) or "none"]


def _configurations(views: list[_RunView]) -> Section:
    columns = ["run", "run id", "created", "folder", "seeds", "device", "python", "torch", "transformers",
               "xbench", "git commit", "CPUs", "GPUs"]
    blocks: list = [Table(columns, [_environment_row(v) for v in views], caption="Runs and their environment",
                          id="runs")]
    for view in views:
        blocks.append(Config(view.run.config, f"{view.label}: configuration"))
        blocks.append(Config(view.run.results.environment, f"{view.label}: environment"))
    return Section("Configurations", blocks)


def report_counts(report: Report, runs: Sequence[Run]) -> dict[str, int]:
    """What a report holds, for the command's summary line: runs, cells and figures."""
    figures = sum(isinstance(b, Figure) for s in report.sections for b in s.blocks)
    return {"runs": len(runs), "cells": sum(len(r.results.cells) for r in runs), "figures": figures}

"""The report's paper-style comparison: each configuration's gain over the baseline per task (mean
over languages with its interval and how many languages are significant after correction), the
per-language gains with their paired tests, and one bar figure per task — the numbers of
``xbench analyze gains``, on the same runs and settings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from xbench.analysis.common import StatSettings, comparison_groups
from xbench.report.page import Cell, Figure, Section


def gains_sections(runs, baseline: str | None = None, settings: StatSettings = StatSettings()) -> list[Section]:
    """The comparison sections, or none when no model has two intermediate-task configurations among
    the runs (runs outside an experiment are compared with `xbench analyze gains` instead)."""
    from xbench.analysis.gains import compute_gains
    from xbench.report.page import Table

    experiment_runs = [r for r in runs if r.intermediate]
    if not any(len(members) > 1 for members in comparison_groups(experiment_runs).values()):
        return []
    result = compute_gains(experiment_runs, baseline, settings=settings)
    if not result.gains:
        return []
    alpha = 1 - settings.confidence
    tasks = list(dict.fromkeys(t.address for t in result.tasks))
    rows: dict[tuple, list] = {}
    for t in result.tasks:
        row = rows.setdefault((t.model, t.perturbation, t.config), [
            t.model + (f" · {t.perturbation}" if t.perturbation else ""), t.config, t.baseline] + [None] * len(tasks))
        interval = "" if t.low is None else f" [{100 * t.low:+.1f}, {100 * t.high:+.1f}]"
        row[3 + tasks.index(t.address)] = Cell(f"{100 * t.gain:+.1f}{interval} ({t.significant}/{t.n_languages})",
                                               100 * t.gain, f"{t.significant} of {t.n_languages} languages "
                                               f"significant after {settings.correction}")
    ci = f"{round(100 * settings.confidence)}% CI"
    summary = Table(["model", "configuration", "baseline", *tasks], list(rows.values()), footnotes=[
        f"Gain ×100 over the baseline, mean over each task's languages, with its {ci} (paired bootstrap over items, "
        f"languages resampled independently, {settings.n_resamples} resamples, seed {settings.seed}); (k/L): "
        f"languages whose {settings.correction}-corrected p < {alpha:g}."], caption="Gains over the baseline")
    detail = Table(["model", "configuration", "task", "language", "n", "baseline", "score", "gain", ci, "sd (seeds)",
                    "test", "p", f"p ({settings.correction})"],
                   [[g.model + (f" · {g.perturbation}" if g.perturbation else ""), g.config, g.address,
                     g.language + (" (ref)" if g.reference_only else ""), g.n_items,
                     Cell(f"{100 * g.baseline_score:.1f}", 100 * g.baseline_score),
                     Cell(f"{100 * g.score:.1f}", 100 * g.score),
                     Cell(f"{100 * g.gain:+.1f}" + ("*" if g.p_adjusted is not None and g.p_adjusted < alpha else ""),
                          100 * g.gain),
                     "" if g.low is None else f"[{100 * g.low:+.1f}, {100 * g.high:+.1f}]",
                     Cell("" if g.sd is None else f"{100 * g.sd:.1f}", None if g.sd is None else 100 * g.sd),
                     g.test or g.note, _p(g.p_value), _p(g.p_adjusted)] for g in result.gains],
                   footnotes=["Per-item paired tests: exact McNemar for one seed of accuracy, the paired bootstrap "
                              "otherwise; * = corrected p below the level; (ref) = reference language, outside the "
                              "task mean and the correction."], caption="Gains per language")
    return [Section("Gains over the baseline (paired tests)", [summary, *_figures(result), detail])]


def _p(value: float | None) -> Cell:
    if value is None:
        return Cell("", None)
    return Cell("<0.001" if value < 0.001 else f"{value:.3f}", value)


def _figures(result) -> list[Figure]:
    """The per-task gain figures; none without matplotlib (the page's figure note says they are left out)."""
    from xbench.analysis.gains import gain_plots

    try:
        from xbench.analysis import plots  # noqa: F401  (fails here, not half-way through the section)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] != "matplotlib":
            raise
        return []
    with tempfile.TemporaryDirectory(prefix="xbench-gains-") as tmp:
        return [Figure(path.read_bytes(), f"{path.stem.removeprefix('gains-')}: gain per language with 95% "
                       "paired-bootstrap intervals", alt=path.stem)
                for path in gain_plots(result, Path(tmp)) if path.suffix == ".png"]

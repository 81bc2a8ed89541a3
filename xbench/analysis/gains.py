"""``xbench analyze gains``: per task × language difference between a configuration and a baseline.

The gain is the seed-mean metric of the configuration minus the baseline's, on the items both runs
evaluated (joined by item id). Its interval is a paired bootstrap: the items are resampled once per
draw and every seed of both configurations is scored on the same draw. The per-item test is the exact
McNemar test when one seed of a per-item binary metric (accuracy) is compared, otherwise the paired
bootstrap p-value; p-values are corrected across the languages of each task (Holm by default, or
Benjamini–Hochberg). Cells without per-item predictions (BUCC's mined pairs) get the difference of
their stored scores and no interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from xbench.analysis import stats
from xbench.analysis.common import (StatSettings, cell_metric, comparison_groups, is_reference_only,
                                    seeds_in_common, series_name)
from xbench.analysis.groups import aligned_group, reweighted, system_score
from xbench.analysis.sources import Run
from xbench.errors import UserError


@dataclass
class Gain:
    model: str
    perturbation: str | None
    config: str
    baseline: str
    address: str
    language: str
    metric: str
    n_items: int
    seeds: list[int]
    baseline_score: float
    score: float
    gain: float
    low: float | None = None
    high: float | None = None
    sd: float | None = None  # of the per-seed gains
    test: str | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    reference_only: bool = False
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TaskGain:
    """A configuration's gain averaged over a task's languages (reference-only languages left out)."""

    model: str
    perturbation: str | None
    config: str
    baseline: str
    address: str
    n_languages: int
    gain: float
    low: float | None
    high: float | None
    significant: int  # languages with p_adjusted < 1 - confidence
    languages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GainsResult:
    gains: list[Gain]
    tasks: list[TaskGain]
    settings: StatSettings

    def to_dict(self) -> dict:
        return {"settings": self.settings.to_dict(), "gains": [g.to_dict() for g in self.gains],
                "tasks": [t.to_dict() for t in self.tasks]}


def compute_gains(runs: list[Run], baseline: str | None = None, configs: list[str] | None = None,
                  metric: str | None = None, settings: StatSettings = StatSettings()) -> GainsResult:
    """Gains of every configuration (or ``configs``) over ``baseline`` (default: ``none`` in an
    experiment, else the first run given)."""
    gains, tasks = [], []
    for (model, perturbation), members in comparison_groups(runs).items():
        base_name = baseline or ("none" if "none" in members else next(iter(members)))
        if base_name not in members:
            raise UserError(f"no run of configuration '{base_name}' to compare with (have: {', '.join(members)}); "
                            "fix --baseline")
        base = members[base_name]
        for name, run in members.items():
            if name == base_name or (configs and name not in configs):
                continue
            rows, groups = _config_gains(base, run, base_name, name, model, perturbation, metric, settings)
            _adjust(rows, settings)
            gains += rows
            tasks += _task_means(rows, groups, settings)
    if configs:
        missing = set(configs) - {g.config for g in gains}
        if missing:
            raise UserError(f"configuration(s) {', '.join(sorted(missing))} not found among the runs, or nothing "
                            "to compare them on; check --compare against the run labels")
    return GainsResult(gains, tasks, settings)


def _config_gains(base: Run, run: Run, base_name: str, name: str, model: str, perturbation, metric, settings):
    rows, groups = [], {}
    cells_b = {(c.address, c.language) for c in run.cells()}
    for address, language in sorted({(c.address, c.language) for c in base.cells()} & cells_b):
        seeds = seeds_in_common(base, run, address, language)
        if not seeds:
            continue
        first = base.cell(address, language, seeds[0])
        chosen = cell_metric(first, metric)
        if chosen is None:
            continue
        common = dict(model=model, perturbation=perturbation, config=name, baseline=base_name, address=address,
                      language=language, metric=chosen.name, seeds=seeds, reference_only=is_reference_only(first))
        group = aligned_group([("a", base, -1.0), ("b", run, 1.0)], address, language, seeds, chosen)
        if group is None:
            a = [base.cell(address, language, s).metrics[chosen.name] for s in seeds]
            b = [run.cell(address, language, s).metrics[chosen.name] for s in seeds]
            per_seed = [y - x for x, y in zip(a, b)]
            rows.append(Gain(**common, n_items=first.n_items, baseline_score=sum(a) / len(a), score=sum(b) / len(b),
                             gain=sum(per_seed) / len(per_seed), sd=stats.mean_sd(per_seed)[1],
                             note="no per-item predictions: difference of stored scores, no interval or test"))
            continue
        groups[(address, language)] = group
        contrast = stats.bootstrap_contrast([group], n_resamples=settings.n_resamples, seed=settings.seed,
                                            confidence=settings.confidence)
        refs = group.references
        a_scores = [system_score(group, f"a/{s}") for s in seeds]
        b_scores = [system_score(group, f"b/{s}") for s in seeds]
        per_seed = [y - x for x, y in zip(a_scores, b_scores)]
        test, p = "paired-bootstrap", contrast.p_value
        if len(seeds) == 1:
            paired = stats.paired_test(chosen.fn, group.systems[f"a/{seeds[0]}"], group.systems[f"b/{seeds[0]}"], refs,
                                       language=language, options=chosen.options, n_resamples=settings.n_resamples,
                                       seed=settings.seed, confidence=settings.confidence)
            test, p = paired.test, paired.p_value
        rows.append(Gain(**common, n_items=len(refs), baseline_score=sum(a_scores) / len(seeds),
                         score=sum(b_scores) / len(seeds), gain=contrast.estimate, low=contrast.low, high=contrast.high,
                         sd=stats.mean_sd(per_seed)[1], test=test, p_value=p))
    return rows, groups


def _adjust(rows: list[Gain], settings: StatSettings) -> None:
    """Correct p-values across the languages of each task (reference-only languages excluded)."""
    if settings.correction == "none":
        for r in rows:
            r.p_adjusted = r.p_value
        return
    by_task: dict[str, list[Gain]] = {}
    for r in rows:
        if not r.reference_only:
            by_task.setdefault(r.address, []).append(r)
    for members in by_task.values():
        adjusted = stats.adjust_pvalues([r.p_value for r in members], settings.correction)
        for r, p in zip(members, adjusted):
            r.p_adjusted = p


def _task_means(rows: list[Gain], groups: dict, settings: StatSettings) -> list[TaskGain]:
    out = []
    alpha = 1 - settings.confidence
    for address in sorted({r.address for r in rows}):
        members = [r for r in rows if r.address == address and not r.reference_only]
        if not members:
            continue
        first = members[0]
        mean = sum(r.gain for r in members) / len(members)
        low = high = None
        if all((r.address, r.language) in groups for r in members):
            # languages are independent samples: each resampled on its own, weighted 1/L
            scaled = [reweighted(groups[(r.address, r.language)], 1 / len(members)) for r in members]
            contrast = stats.bootstrap_contrast(scaled, n_resamples=settings.n_resamples, seed=settings.seed,
                                                confidence=settings.confidence)
            mean, low, high = contrast.estimate, contrast.low, contrast.high
        out.append(TaskGain(first.model, first.perturbation, first.config, first.baseline, address, len(members),
                            mean, low, high, sum(r.p_adjusted is not None and r.p_adjusted < alpha for r in members),
                            [r.language for r in members]))
    return out


# ---- presentation -------------------------------------------------------------------------------

def gain_rows(result: GainsResult) -> list[dict]:
    from xbench.analysis.common import interval, p_text, pct, signed_pct

    alpha = 1 - result.settings.confidence
    rows = []
    for g in result.gains:
        mark = "*" if g.p_adjusted is not None and g.p_adjusted < alpha else ""
        rows.append({"model": g.model + (f" · {g.perturbation}" if g.perturbation else ""), "config": g.config,
                     "task": g.address, "lang": g.language + (" (ref)" if g.reference_only else ""),
                     "n": g.n_items, "seeds": len(g.seeds), "baseline": f"{g.baseline} {pct(g.baseline_score)}",
                     "score": pct(g.score), "gain": signed_pct(g.gain) + mark,
                     f"{round(100 * result.settings.confidence)}% CI": interval(g.low, g.high),
                     "sd": "" if g.sd is None else f"{100 * g.sd:.1f}", "test": g.test or g.note,
                     "p": p_text(g.p_value), f"p ({result.settings.correction})": p_text(g.p_adjusted)})
    return rows


def task_rows(result: GainsResult) -> list[dict]:
    """The paper-style summary: one row per (model, configuration), one column per task."""
    from xbench.analysis.common import interval, signed_pct

    table: dict[tuple, dict] = {}
    for t in result.tasks:
        row = table.setdefault((t.model, t.perturbation, t.config), {
            "model": t.model + (f" · {t.perturbation}" if t.perturbation else ""), "config": t.config,
            "baseline": t.baseline})
        row[t.address] = (f"{signed_pct(t.gain)} {interval(t.low, t.high)}".strip()
                          + f" ({t.significant}/{t.n_languages} sig.)")
    return list(table.values())


def gain_plots(result, folder: Path) -> list[Path]:
    from xbench.analysis.common import plot_series
    from xbench.analysis.plots import grouped_bars

    out = []
    for address in sorted({g.address for g in result.gains}):
        rows = [g for g in result.gains if g.address == address]
        languages = sorted({g.language for g in rows})
        several = len({g.model for g in rows}) > 1  # an experiment of several models: name each model's series
        series, lows, highs = plot_series(rows, languages,
                                          lambda g: series_name(g.model, g.config, g.perturbation, several),
                                          lambda g: g.language, "gain")
        baseline = rows[0].baseline
        out += grouped_bars(folder / f"gains-{slug(address)}", languages, series, lows, highs,
                            ylabel=f"gain over {baseline} (×100)", title=f"{address}: gain over {baseline}")
    return out


def slug(text: str) -> str:
    """A file-name-safe form of a task address or label."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")

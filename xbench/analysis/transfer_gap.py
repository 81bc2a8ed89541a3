"""``xbench analyze transfer-gap``: English minus the mean of the other languages, per configuration.

Each language's items are resampled independently (they are different test sets); every seed of a
run is scored on the same draw of its language's items. The change of the gap against the baseline
configuration is the same contrast over both runs, paired within each language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from xbench.analysis import stats
from xbench.analysis.common import StatSettings, cell_metric, comparison_groups, config_name
from xbench.analysis.groups import aligned_group
from xbench.analysis.sources import Run

SOURCE = "en"


@dataclass
class Gap:
    model: str
    perturbation: str | None
    config: str
    address: str
    metric: str
    english: float
    targets_mean: float
    n_targets: int
    gap: float
    low: float | None
    high: float | None
    change: float | None = None  # gap minus the baseline's gap
    change_low: float | None = None
    change_high: float | None = None
    change_p: float | None = None
    baseline: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def compute_gaps(runs: list[Run], metric: str | None = None, baseline: str | None = None,
                 settings: StatSettings = StatSettings()) -> list[Gap]:
    out = []
    for members in comparison_groups(runs).values():
        base_name = baseline or ("none" if "none" in members else None)
        for name, run in members.items():
            for address in sorted({c.address for c in run.cells()}):
                gap = _gap(run, address, metric, settings)
                if gap is None:
                    continue
                gap.config = name
                base = members.get(base_name) if base_name and base_name != name else None
                if base is not None:
                    _change(gap, base, run, address, metric, settings)
                    gap.baseline = base_name
                out.append(gap)
    return out


def _languages(run: Run, address: str) -> tuple[list[str], dict[str, list[int]]]:
    seeds: dict[str, list[int]] = {}
    for c in run.cells():
        if c.address == address:
            seeds.setdefault(c.language, []).append(c.seed)
    return sorted(seeds), {k: sorted(v) for k, v in seeds.items()}


def _gap(run: Run, address: str, metric: str | None, settings: StatSettings) -> Gap | None:
    languages, seeds = _languages(run, address)
    targets = [lang for lang in languages if lang != SOURCE]
    if SOURCE not in languages or not targets:
        return None
    chosen = cell_metric(run.cell(address, SOURCE, seeds[SOURCE][0]), metric)
    if chosen is None:
        return None
    score = {lang: _mean([run.cell(address, lang, s).metrics.get(chosen.name, 0.0) for s in seeds[lang]])
             for lang in languages}
    targets_mean = _mean([score[t] for t in targets])
    groups = [aligned_group([("run", run, 1.0)], address, SOURCE, seeds[SOURCE], chosen)]
    groups += [aligned_group([("run", run, -1.0 / len(targets))], address, t, seeds[t], chosen) for t in targets]
    low = high = None
    if all(g is not None for g in groups):
        c = stats.bootstrap_contrast(groups, n_resamples=settings.n_resamples, seed=settings.seed,
                                     confidence=settings.confidence)
        low, high = c.low, c.high
    return Gap(run.model, run.perturbation, config_name(run), address, chosen.name, score[SOURCE], targets_mean,
               len(targets), score[SOURCE] - targets_mean, low, high)


def _change(gap: Gap, base: Run, run: Run, address: str, metric: str | None, settings: StatSettings) -> None:
    languages, seeds = _languages(run, address)
    base_languages, base_seeds = _languages(base, address)
    if set(languages) != set(base_languages):
        return
    targets = [lang for lang in languages if lang != SOURCE]
    groups = []
    for lang in languages:
        common = sorted(set(seeds[lang]) & set(base_seeds[lang]))
        chosen = cell_metric(run.cell(address, lang, common[0]), metric) if common else None
        sign = 1.0 if lang == SOURCE else -1.0 / len(targets)
        group = aligned_group([("a", base, -sign), ("b", run, sign)], address, lang, common, chosen) if chosen else None
        if group is None:
            return
        groups.append(group)
    c = stats.bootstrap_contrast(groups, n_resamples=settings.n_resamples, seed=settings.seed,
                                 confidence=settings.confidence)
    gap.change, gap.change_low, gap.change_high, gap.change_p = c.estimate, c.low, c.high, c.p_value


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def gap_rows(gaps: list[Gap], settings: StatSettings) -> list[dict]:
    from xbench.analysis.common import interval, p_text, pct, signed_pct

    ci = f"{round(100 * settings.confidence)}% CI"
    return [{"model": g.model + (f" · {g.perturbation}" if g.perturbation else ""), "config": g.config,
             "task": g.address, "en": pct(g.english), "others (mean)": pct(g.targets_mean), "n others": g.n_targets,
             "gap": signed_pct(g.gap), ci: interval(g.low, g.high), "baseline": g.baseline or "",
             "Δgap": signed_pct(g.change) if g.change is not None else "",
             "Δgap " + ci: interval(g.change_low, g.change_high), "p": p_text(g.change_p)} for g in gaps]

"""``xbench analyze robustness``: clean vs perturbed evaluation of the same checkpoints.

A perturbed run (``xbench eval --perturb``, or an experiment's ``perturbations:``) is matched with the
clean run of the same model and configuration. Per task × language: the drop (clean − perturbed, paired
bootstrap interval on the same items), the relative drop (drop / clean) and the prediction flip rate
(the share of items whose prediction changed, averaged over seeds). Per task: the mean drop over
languages, and — when a baseline configuration is present — how much smaller or larger each
configuration's drop is than the baseline's (the question whether multi-task intermediate training
makes transfer more robust). Tasks whose spec names ``item_subsets`` (XCOPA's culturally adapted
``changed`` items) also get, per clean run, the score of the other items minus the subset's: a natural
domain shift, with the two item sets resampled independently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from xbench.analysis.common import StatSettings, cell_metric, config_name, is_reference_only, seeds_in_common
from xbench.analysis.groups import aligned_group, language_contrast, system_score
from xbench.analysis import stats
from xbench.analysis.sources import Run
from xbench.errors import UserError


@dataclass
class Drop:
    model: str
    config: str
    perturbation: str
    address: str
    language: str
    n_items: int
    clean: float
    perturbed: float
    drop: float
    low: float | None
    high: float | None
    relative: float | None
    flip_rate: float | None
    reference_only: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TaskDrop:
    model: str
    config: str
    perturbation: str
    address: str
    n_languages: int
    drop: float | None
    low: float | None
    high: float | None
    flip_rate: float | None
    vs_baseline: float | None = None  # this drop minus the baseline configuration's drop
    vs_low: float | None = None
    vs_high: float | None = None
    vs_p: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def has_perturbed(runs: list[Run]) -> bool:
    return any(r.perturbation is not None for r in runs)


def pair_runs(runs: list[Run]) -> list[tuple[Run, Run]]:
    """(clean, perturbed) pairs: each perturbed run with the clean run of its model and configuration."""
    clean: dict[tuple, Run] = {}
    for run in runs:
        if run.perturbation is None:
            key = (run.model, run.intermediate)
            if key in clean:
                raise UserError(f"two clean runs of {run.label} ({clean[key].run_dir} and {run.run_dir}); "
                                "pass only the one the perturbed runs belong to")
            clean[key] = run
    pairs = []
    for run in runs:
        if run.perturbation is not None:
            match = clean.get((run.model, run.intermediate))
            if match is None:
                raise UserError(f"perturbed run {run.label} has no clean run of the same model and configuration "
                                "among the sources; add it (the clean run folder, or its experiment)")
            pairs.append((match, run))
    if not pairs:
        raise UserError("no perturbed runs among the sources: evaluate with `xbench eval --perturb NAME[:strength]` "
                        "(or `perturbations:` in an experiment file) and pass those runs too")
    return pairs


def compute_drops(runs: list[Run], metric: str | None = None, baseline: str = "none",
                  settings: StatSettings = StatSettings()) -> tuple[list[Drop], list[TaskDrop]]:
    drops, tasks = [], []
    pairs = pair_runs(runs)
    for clean, pert in pairs:
        rows = []
        for address, language in sorted({(c.address, c.language) for c in pert.cells()}):
            seeds = seeds_in_common(clean, pert, address, language)
            if not seeds:
                continue
            first = clean.cell(address, language, seeds[0])
            chosen = cell_metric(first, metric)
            if chosen is None:
                continue
            group = aligned_group([("clean", clean, 1.0), ("pert", pert, -1.0)], address, language, seeds, chosen)
            if group is None:
                continue  # no per-item predictions (BUCC): no paired drop
            c = stats.bootstrap_contrast([group], n_resamples=settings.n_resamples, seed=settings.seed,
                                         confidence=settings.confidence)
            clean_score = sum(system_score(group, f"clean/{s}") for s in seeds) / len(seeds)
            pert_score = sum(system_score(group, f"pert/{s}") for s in seeds) / len(seeds)
            flips = [flip_rate(group.systems[f"clean/{s}"], group.systems[f"pert/{s}"]) for s in seeds]
            rows.append(Drop(clean.model, config_name(clean), pert.perturbation, address, language,
                             len(group.references), clean_score, pert_score, c.estimate, c.low, c.high,
                             c.estimate / clean_score if clean_score else None, sum(flips) / len(flips),
                             is_reference_only(first)))
        drops += rows
        tasks += _task_drops(clean, pert, rows, metric, settings)
    _versus_baseline(tasks, pairs, baseline, metric, settings)
    return drops, tasks


def flip_rate(clean_predictions: list, perturbed_predictions: list) -> float:
    """The share of items whose prediction differs between the clean and the perturbed input."""
    return sum(a != b for a, b in zip(clean_predictions, perturbed_predictions)) / len(clean_predictions)


def _task_drops(clean: Run, pert: Run, rows: list[Drop], metric, settings) -> list[TaskDrop]:
    out = []
    for address in sorted({r.address for r in rows}):
        members = [r for r in rows if r.address == address and not r.reference_only]
        if not members:
            continue
        c = language_contrast([("clean", clean, 1.0), ("pert", pert, -1.0)], address,
                              [r.language for r in members], metric, settings)
        out.append(TaskDrop(clean.model, config_name(clean), pert.perturbation, address, len(members),
                            c.estimate if c else None, c.low if c else None, c.high if c else None,
                            sum(r.flip_rate for r in members) / len(members)))
    return out


def _versus_baseline(tasks: list[TaskDrop], pairs: list[tuple[Run, Run]], baseline: str, metric, settings) -> None:
    by_key = {(clean.model, config_name(clean), pert.perturbation): (clean, pert) for clean, pert in pairs}
    for t in tasks:
        base = by_key.get((t.model, baseline, t.perturbation))
        if base is None or t.config == baseline:
            continue
        clean, pert = by_key[(t.model, t.config, t.perturbation)]
        languages = sorted({c.language for c in pert.cells() if c.address == t.address and not is_reference_only(c)})
        # drop(config) − drop(baseline) = (clean − pert) − (base_clean − base_pert)
        c = language_contrast([("c", clean, 1.0), ("p", pert, -1.0), ("bc", base[0], -1.0), ("bp", base[1], 1.0)],
                              t.address, languages, metric, settings)
        if c is not None:
            t.vs_baseline, t.vs_low, t.vs_high, t.vs_p = c.estimate, c.low, c.high, c.p_value


@dataclass
class SubsetShift:
    """A named item subset (a spec's ``item_subsets``, e.g. XCOPA's culturally adapted items) against
    the other items of the same clean cell: a natural domain shift without any perturbation."""

    model: str
    config: str
    address: str
    language: str
    subset: str
    n_inside: int
    n_outside: int
    inside: float
    outside: float
    drop: float  # outside − inside: how much worse the subset is
    low: float | None
    high: float | None
    p_value: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def compute_subset_shifts(runs: list[Run], metric: str | None = None,
                          settings: StatSettings = StatSettings()) -> list[SubsetShift]:
    """Per clean run, task × language and subset: score outside minus inside the subset, with a
    bootstrap interval (the two item sets resampled independently, every seed on the same draw)."""
    out = []
    for run in (r for r in runs if r.perturbation is None):
        for address, language in sorted({(c.address, c.language) for c in run.cells()}):
            seeds = sorted({c.seed for c in run.cells() if (c.address, c.language) == (address, language)})
            cells = [run.cell(address, language, s) for s in seeds]
            chosen = cell_metric(cells[0], metric)
            records = [[r for r in run.items(c) if "prediction" in r and r.get("reference") is not None]
                       for c in cells]
            names = sorted({n for r in records[0] for n in r.get("subsets") or ()})
            if chosen is None or not names:
                continue
            for name in names:
                sides = [[[r for r in rs if (name in (r.get("subsets") or ())) == inside] for rs in records]
                         for inside in (True, False)]
                if not sides[0][0] or not sides[1][0]:
                    continue
                groups = [_subset_group(chosen, language, side, seeds, weight)
                          for side, weight in zip(sides, (-1.0, 1.0))]
                c = stats.bootstrap_contrast(groups, n_resamples=settings.n_resamples, seed=settings.seed,
                                             confidence=settings.confidence)
                inside = sum(system_score(groups[0], f"s{s}") for s in seeds) / len(seeds)
                outside = sum(system_score(groups[1], f"s{s}") for s in seeds) / len(seeds)
                out.append(SubsetShift(run.model, config_name(run), address, language, name, len(groups[0].references),
                                       len(groups[1].references), inside, outside, c.estimate, c.low, c.high,
                                       c.p_value))
    return out


def _subset_group(chosen, language: str, per_seed: list[list[dict]], seeds: list[int], weight: float) -> stats.Group:
    order = [r["id"] for r in per_seed[0]]
    systems = {}
    for s, records in zip(seeds, per_seed):
        by_id = {r["id"]: r for r in records}
        systems[f"s{s}"] = [by_id[i]["prediction"] for i in order]
    refs = [r["reference"] for r in per_seed[0]]
    units = [r["resampling_unit"] for r in per_seed[0]] if all("resampling_unit" in r for r in per_seed[0]) else None
    return stats.Group(chosen.fn, refs, systems, {k: weight / len(seeds) for k in systems}, language, chosen.options,
                       units)


def subset_rows(shifts: list[SubsetShift], settings: StatSettings) -> list[dict]:
    from xbench.analysis.common import interval, p_text, pct, signed_pct

    ci = f"{round(100 * settings.confidence)}% CI"
    return [{"model": s.model, "config": s.config, "task": s.address, "lang": s.language, "subset": s.subset,
             "n in / out": f"{s.n_inside} / {s.n_outside}", "in subset": pct(s.inside), "others": pct(s.outside),
             "drop": signed_pct(s.drop), ci: interval(s.low, s.high), "p": p_text(s.p_value)} for s in shifts]


def drop_rows(drops: list[Drop], settings: StatSettings) -> list[dict]:
    from xbench.analysis.common import interval, pct, signed_pct

    ci = f"{round(100 * settings.confidence)}% CI"
    return [{"model": d.model, "config": d.config, "perturbation": d.perturbation, "task": d.address,
             "lang": d.language + (" (ref)" if d.reference_only else ""), "n": d.n_items, "clean": pct(d.clean),
             "perturbed": pct(d.perturbed), "drop": signed_pct(d.drop), ci: interval(d.low, d.high),
             "relative": "" if d.relative is None else f"{100 * d.relative:+.1f}%",
             "flip rate": pct(d.flip_rate)} for d in drops]


def task_drop_rows(tasks: list[TaskDrop], settings: StatSettings, baseline: str) -> list[dict]:
    from xbench.analysis.common import interval, p_text, pct, signed_pct

    ci = f"{round(100 * settings.confidence)}% CI"
    return [{"model": t.model, "config": t.config, "perturbation": t.perturbation, "task": t.address,
             "languages": t.n_languages, "mean drop": signed_pct(t.drop), ci: interval(t.low, t.high),
             "flip rate": pct(t.flip_rate),
             f"drop − drop({baseline})": "" if t.vs_baseline is None else signed_pct(t.vs_baseline),
             "Δ " + ci: interval(t.vs_low, t.vs_high), "p": p_text(t.vs_p)} for t in tasks]

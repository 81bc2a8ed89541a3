"""Resampling groups from runs: the per-item predictions of several (run, seed) systems on one task and
language, aligned on the items all of them evaluated, ready for ``stats.bootstrap_contrast``."""

from __future__ import annotations

from xbench.analysis import stats
from xbench.analysis.sources import Run, metric_inputs
from xbench.errors import UserError


def aligned_group(members: list[tuple[str, Run, float]], address: str, language: str, seeds: list[int],
                  chosen) -> stats.Group | None:
    """One group over ``members`` = [(name, run, weight)]: every seed of every run is a system named
    ``<name>/<seed>`` with weight ``weight / len(seeds)``, restricted to the items all systems share
    (in the first system's order). None when a cell has no per-item predictions (e.g. BUCC)."""
    inputs = {}
    for name, run, _ in members:
        for s in seeds:
            cell = run.cell(address, language, s)
            ids, preds, refs, units = metric_inputs(run, cell) if cell is not None else ([], [], [], None)
            if not ids:
                return None
            inputs[(name, s)] = (run, ids, preds, refs, units)
    first = next(iter(inputs.values()))
    shared = set(first[1]).intersection(*(set(v[1]) for v in inputs.values()))
    order = [k for k in first[1] if k in shared]
    if not order:
        return None
    systems, weights, references = {}, {}, None
    # the units the cells' intervals resampled (e.g. QA articles); items when any run lacks them
    units = None
    if all(v[4] is not None for v in inputs.values()):
        at = {k: n for n, k in enumerate(first[1])}
        units = [first[4][at[k]] for k in order]
    for (name, s), (run, ids, preds, refs, _) in inputs.items():
        at = {k: n for n, k in enumerate(ids)}
        these = [refs[at[k]] for k in order]
        if references is None:
            references = these
        elif these != references:
            raise UserError(f"{address}/{language}: the runs compared ({first[0].label} and {run.label}) have "
                            "different references for the same items; they did not read the same data")
        systems[f"{name}/{s}"] = [preds[at[k]] for k in order]
    for name, _, weight in members:
        for s in seeds:
            weights[f"{name}/{s}"] = weight / len(seeds)
    return stats.Group(chosen.fn, references, systems, weights, language, chosen.options, units)


def reweighted(group: stats.Group, factor: float) -> stats.Group:
    """The same group with every weight multiplied by ``factor`` (e.g. 1/L to average L languages)."""
    return stats.Group(group.metric, group.references, group.systems,
                       {k: w * factor for k, w in group.weights.items()}, group.language, group.options,
                       group.units)


def system_score(group: stats.Group, name: str) -> float:
    """The metric of one system of a group on the group's items."""
    fn = group.metric
    return float(fn(group.systems[name], group.references, language=group.language, options=group.options))


def language_contrast(members: list[tuple[str, Run, float]], address: str, languages: list[str], metric,
                      settings) -> stats.Contrast | None:
    """The contrast Σ weight × metric(run), averaged over ``languages`` (each resampled on its own), on
    the seeds and items all runs share per language. None when a language lacks per-item predictions
    or a shared seed."""
    from xbench.analysis.common import cell_metric

    groups = []
    for lang in languages:
        seed_sets = [{c.seed for c in run.cells() if (c.address, c.language) == (address, lang)}
                     for _, run, _ in members]
        seeds = sorted(set.intersection(*seed_sets))
        if not seeds:
            return None
        chosen = cell_metric(members[0][1].cell(address, lang, seeds[0]), metric)
        scaled = [(name, run, weight / len(languages)) for name, run, weight in members]
        group = aligned_group(scaled, address, lang, seeds, chosen) if chosen else None
        if group is None:
            return None
        groups.append(group)
    if not groups:
        return None
    return stats.bootstrap_contrast(groups, n_resamples=settings.n_resamples, seed=settings.seed,
                                    confidence=settings.confidence)

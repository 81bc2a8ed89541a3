"""The paper-style table of an experiment (Phang et al. 2020, Table 2 layout).

Rows: intermediate configurations (the baseline ``none`` first, then the experiment file's order);
columns: the targets and their average; each entry the mean ± sd over seeds of the target's score
and its difference from the baseline; a last row names the best configuration per target. A target's
score for one seed is the mean over its evaluated languages of each task's primary metric (cells
marked ``reference_only``, e.g. English COPA beside XCOPA, are left out), averaged over the target's
tasks; a seed with any missing cell has no score (never a partial mean). Each row is one
(model, configuration) run; runs of different configurations never share a row.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field

from xbench.cli.output import render


@dataclass
class ConfigRow:
    model: str
    config: str
    per_target: dict[str, dict[int, float | None]] = field(default_factory=dict)  # target -> seed -> score
    flags: set = field(default_factory=set)


def _primary(task: str, catalog) -> str | None:
    try:
        return catalog.task(task).primary_metric
    except Exception:
        return None


def target_scores(cells: list, target: str, catalog) -> dict[int, float | None]:
    """Seed → the target's score (None when a cell of that seed is missing)."""
    mine = [c for c in cells if c.address == target or c.group == target]
    by_seed: dict[int, dict[str, list]] = {}
    for c in mine:
        if "reference_only" in c.flags:
            continue
        by_seed.setdefault(c.seed, {}).setdefault(c.task, []).append(c)
    out = {}
    for seed, tasks in by_seed.items():
        means = []
        for task, task_cells in tasks.items():
            metric = _primary(task, catalog)
            values = [c.metrics.get(metric) for c in task_cells]
            if any(c.status != "ok" for c in task_cells) or any(v is None for v in values):
                means = None
                break
            means.append(sum(values) / len(values))
        out[seed] = sum(means) / len(means) if means else None
    return out


def _mean_sd(values: list[float]) -> tuple[float, float | None]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def _fmt(mean: float, sd: float | None, delta: float | None) -> str:
    text = f"{100 * mean:.1f}" + (f" ± {100 * sd:.1f}" if sd is not None else "")
    return text + (f" ({100 * delta:+.1f})" if delta is not None else "")


def experiment_rows(name: str, store_path=None, registry=None) -> tuple[list[ConfigRow], list[str]]:
    from xbench.registry import get_registry
    from xbench.results.store import ResultsStore
    from xbench.spec.catalog import Catalog

    store = ResultsStore(store_path)
    catalog = Catalog(registry or get_registry())
    rows, targets, order = [], [], []
    for results in store.all_results():
        cfg = results.config
        if cfg.get("experiment") != name:
            continue
        targets = targets or list(cfg.get("targets", []))
        order = order or list(cfg.get("intermediate_order", []))
        row = ConfigRow(cfg.get("base_model", results.model), cfg.get("intermediate", "?"))
        for target in cfg.get("targets", []):
            row.per_target[target] = target_scores(results.cells, target, catalog)
        row.flags = {f for c in results.cells for f in c.flags}
        rows = [r for r in rows if (r.model, r.config) != (row.model, row.config)] + [row]  # latest record wins
    rank = {c: i for i, c in enumerate(order)}
    rows.sort(key=lambda r: (r.model, rank.get(r.config, len(rank)), r.config))
    return rows, targets


def experiment_table(name: str, fmt: str = "table", store_path=None, registry=None) -> str:
    rows, targets = experiment_rows(name, store_path, registry)
    if not rows:
        return f"no results recorded for experiment '{name}' (run `xbench run EXPERIMENT.yaml` first)"
    out_rows, json_rows = [], []
    for model in dict.fromkeys(r.model for r in rows):
        mine = [r for r in rows if r.model == model]
        base = next((r for r in mine if r.config == "none"), None)

        def seed_avg(r: ConfigRow) -> dict[int, float | None]:
            seeds = set.intersection(*(set(s) for s in r.per_target.values())) if r.per_target else set()
            return {s: (None if any(r.per_target[t][s] is None for t in targets)
                        else statistics.fmean(r.per_target[t][s] for t in targets)) for s in seeds}

        def stats(r: ConfigRow, target: str):
            scores = seed_avg(r) if target == "avg" else r.per_target.get(target, {})
            values = list(scores.values())
            if not values or any(v is None for v in values):
                return None
            return _mean_sd(values)

        columns = [*targets, "avg"]
        best: dict[str, tuple[float, str]] = {}
        for r in mine:
            display, record = {"model": model, "intermediate": r.config}, {"model": model, "intermediate": r.config}
            for t in columns:
                st, base_st = stats(r, t), (stats(base, t) if base else None)
                delta = st[0] - base_st[0] if st and base_st and r is not base else None
                display[t] = _fmt(st[0], st[1], delta) if st else "n/a"
                record[t] = {"mean": st[0], "sd": st[1], "delta": delta, "n_seeds": len(
                    seed_avg(r) if t == "avg" else r.per_target.get(t, {}))} if st else None
                if st and r is not base and (t not in best or st[0] > best[t][0]):
                    best[t] = (st[0], r.config, delta)
            out_rows.append(display)
            json_rows.append(record)
        if len(mine) > 1:
            last = {"model": model, "intermediate": "best"}
            for t in columns:
                last[t] = (f"{best[t][1]} ({100 * best[t][2]:+.1f})" if best.get(t) and best[t][2] is not None
                           else (best[t][1] if best.get(t) else "n/a"))
            out_rows.append(last)
            json_rows.append({"model": model, "intermediate": "best",
                              **{t: best[t][1] if t in best else None for t in columns}})
    if fmt == "json":
        return json.dumps({"experiment": name, "unit": "fraction", "rows": json_rows}, indent=2)
    table = render(out_rows, ["model", "intermediate", *targets, "avg"], fmt)
    note = ("values ×100: mean ± sd over seeds of each target's score (mean over its languages of the primary "
            "metric; reference-only cells left out), (±x) = difference from the `none` baseline; avg = mean over "
            "targets; best = the configuration with the highest mean per target")
    flags = sorted({f for r in rows for f in r.flags})
    flag_note = f"flags present in these runs: {', '.join(flags)}" if flags else ""
    return "\n".join(filter(None, [table, "", note, flag_note]))

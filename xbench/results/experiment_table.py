"""The paper-style table of an experiment (Phang et al. 2020, Table 2 layout).

Rows: intermediate configurations (the baseline ``none`` first, then the experiment file's order);
columns: the targets and their average; each entry the mean over seeds of the target's score with
its uncertainty (``xbench.results.uncertainty``: ± sd or the 95% t-interval over seeds; a score of one
seed has no interval, since it is a mean over languages) and its difference from the baseline; a
last row names the best configuration per target. A target's score for one seed is the mean over
its evaluated languages of each task's primary metric (cells marked ``reference_only``, e.g. English
COPA beside XCOPA, are left out), averaged over the target's tasks; a seed with any missing cell has
no score (never a partial mean). Each row is one (model, configuration, perturbation) run; runs of
different configurations or perturbations never share a row, and a perturbed row's gain is over the
``none`` configuration under the same perturbation.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field

from xbench.cli.output import render
from xbench.results.uncertainty import (DEFAULT_MODE, UncertaintyLegend, check_mode, estimate, format_estimate,
                                        number, shown_fields)

BASELINE = "none"


@dataclass
class ConfigRow:
    model: str
    config: str
    per_target: dict[str, dict[int, float | None]] = field(default_factory=dict)  # target -> seed -> score
    flags: set = field(default_factory=set)
    perturbation: str | None = None  # the run's config["perturbation"]; None when clean
    bootstrap: dict[str, list[float]] = field(default_factory=dict)  # target -> its one cell's CI (see below)

    @property
    def label(self) -> str:
        """The row's name in the table: the configuration, and the perturbation when there is one."""
        return _with_perturbation(self.config, self.perturbation)


def _with_perturbation(name: str, perturbation: str | None) -> str:
    return f"{name} · {perturbation}" if perturbation else name


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


def single_cell_ci(cells: list, target: str, catalog) -> list[float] | None:
    """The stored bootstrap CI over items of a target whose score is one cell of one seed (e.g.
    Tatoeba in one language): that score is the cell's, so its CI applies. None otherwise."""
    mine = [c for c in cells if (c.address == target or c.group == target) and "reference_only" not in c.flags]
    if len(mine) != 1 or mine[0].status != "ok":
        return None
    return mine[0].ci.get(_primary(mine[0].task, catalog))


def experiment_rows(name: str, store_path=None, registry=None) -> tuple[list[ConfigRow], list[str]]:
    """The experiment's runs as rows, one per (model, configuration, perturbation), the latest record
    of each; ordered by model, then clean before perturbed, then the experiment file's order."""
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
        row = ConfigRow(cfg.get("base_model", results.model), cfg.get("intermediate", "?"),
                        perturbation=cfg.get("perturbation") or None)
        for target in cfg.get("targets", []):
            row.per_target[target] = target_scores(results.cells, target, catalog)
            ci = single_cell_ci(results.cells, target, catalog)
            if ci is not None:
                row.bootstrap[target] = ci
        row.flags = {f for c in results.cells for f in c.flags}
        key = (row.model, row.config, row.perturbation)
        rows = [r for r in rows if (r.model, r.config, r.perturbation) != key] + [row]  # latest record wins
    rank = {c: i for i, c in enumerate(order)}
    rows.sort(key=lambda r: (r.model, r.perturbation is not None, r.perturbation or "",
                             rank.get(r.config, len(rank)), r.config))
    return rows, targets


def _seed_avg(r: ConfigRow, targets: list[str]) -> dict[int, float | None]:
    """Seed → the mean over targets of that seed's scores (None when one is missing)."""
    seeds = set.intersection(*(set(s) for s in r.per_target.values())) if r.per_target else set()
    return {s: (None if any(r.per_target.get(t, {}).get(s) is None for t in targets)
                else statistics.fmean(r.per_target[t][s] for t in targets)) for s in seeds}


def _seed_values(r: ConfigRow, target: str, targets: list[str]) -> list[float] | None:
    """The per-seed scores of a target (or ``avg``); None when there are none or one seed lacks it."""
    scores = _seed_avg(r, targets) if target == "avg" else r.per_target.get(target, {})
    values = [scores[s] for s in sorted(scores)]
    if not values or any(v is None for v in values):
        return None
    return values


def experiment_table(name: str, fmt: str = "table", store_path=None, registry=None,
                     uncertainty: str = DEFAULT_MODE) -> str:
    """The experiment's table in one of the formats of ``xbench.cli.output``, each score with the
    uncertainty that ``uncertainty`` (auto, sd, ci, none) asks for."""
    mode = check_mode(uncertainty)
    rows, targets = experiment_rows(name, store_path, registry)
    if not rows:
        from xbench.results.store import ResultsStore

        store = ResultsStore(store_path)
        store.require_results()
        raise store.unknown_experiment(name)
    legend = UncertaintyLegend()
    machine = fmt == "csv"
    columns = [*targets, "avg"]
    out_rows, json_rows = [], []
    for model, perturbation in dict.fromkeys((r.model, r.perturbation) for r in rows):
        # a configuration is compared with the baseline of the same model under the same perturbation
        mine = [r for r in rows if (r.model, r.perturbation) == (model, perturbation)]
        base = next((r for r in mine if r.config == BASELINE), None)
        best: dict[str, tuple[float, str, float | None]] = {}
        for r in mine:
            # csv: the configuration and the perturbation in columns of their own
            display = {"model": model, "intermediate": r.config, "perturbation": perturbation or ""} if machine \
                else {"model": model, "intermediate": r.label}
            record = {"model": model, "intermediate": r.config, "perturbation": perturbation}
            for t in columns:
                values = _seed_values(r, t, targets)
                base_values = _seed_values(base, t, targets) if base is not None and r is not base else None
                if values is None:
                    display[t], record[t] = "n/a", None
                    continue
                mean = statistics.fmean(values)
                delta = mean - statistics.fmean(base_values) if base_values else None
                est = legend.add(estimate(mean, values, r.bootstrap.get(t), mode),
                                 "averages" if t == "avg" else "target scores")
                if machine:
                    display.update({t: number(mean), f"{t} low": number(est.low), f"{t} high": number(est.high),
                                    f"{t} sd": number(est.sd), f"{t} n_seeds": est.n_seeds,
                                    f"{t} gain": number(delta)})
                else:
                    display[t] = format_estimate(est) + (f" ({100 * delta:+.1f})" if delta is not None else "")
                fields = est.fields()
                record[t] = {"mean": fields.pop("value"), **fields, "delta": delta}
                if r is not base and (t not in best or mean > best[t][0]):
                    best[t] = (mean, r.config, delta)
            out_rows.append(display)
            json_rows.append(record)
        if len(mine) > 1:
            last = {"model": model, "intermediate": "best", "perturbation": perturbation or ""} if machine \
                else {"model": model, "intermediate": _with_perturbation("best", perturbation)}
            for t in columns:
                last[t] = (f"{best[t][1]} ({100 * best[t][2]:+.1f})" if best.get(t) and best[t][2] is not None
                           else (best[t][1] if best.get(t) else "n/a"))
            out_rows.append(last)
            json_rows.append({"model": model, "intermediate": "best", "perturbation": perturbation,
                              **{t: best[t][1] if t in best else None for t in columns}})
    if fmt == "json":
        return json.dumps({"experiment": name, "unit": "fraction", "rows": json_rows,
                           "uncertainty": {"mode": mode, "notes": legend.notes()}}, indent=2)
    if machine:
        value_columns = [c for t in columns
                         for c in [t, *(f"{t} {e}" for e in shown_fields(mode)), f"{t} n_seeds", f"{t} gain"]]
        return render(out_rows, ["model", "intermediate", "perturbation", *value_columns], fmt)
    table = render(out_rows, ["model", "intermediate", *columns], fmt)
    note = ("values ×100: each target's score (per seed: the mean over its languages of the primary metric, "
            "reference-only cells left out; shown: the mean over seeds), (+x) = difference from the `none` "
            "baseline of the same model and perturbation; avg = mean over targets; best = the configuration "
            "with the highest mean per target")
    flags = sorted({f for r in rows for f in r.flags})
    flag_note = f"flags present in these runs: {', '.join(flags)}" if flags else ""
    notes = [note, *legend.notes(), *filter(None, [flag_note])]
    if fmt == "md":
        return "\n\n".join([table, "\n".join(f"- {n}" for n in notes)])
    if fmt == "latex":
        from xbench.results.table import latex_escape

        return "\n\n".join([table, *(latex_escape(n) for n in notes)])
    return "\n".join([table, "", *notes])

"""Shared pieces of the ``xbench analyze`` commands: which metric a cell is compared on, settings of
the resampling statistics, and how runs are grouped into configurations to compare."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from xbench.analysis.sources import Run
from xbench.errors import UserError
from xbench.metrics.bootstrap import DEFAULT_SETTINGS, BootstrapSettings
from xbench.results.cells import CellResult


@dataclass(frozen=True)
class StatSettings:
    """Resampling settings of every interval and test an analysis prints (stored with its JSON output).
    The defaults are the engine's (``xbench.metrics.bootstrap.DEFAULT_SETTINGS``), plus the
    multiple-comparison correction that only analyses have."""

    n_resamples: int = DEFAULT_SETTINGS.resamples
    confidence: float = DEFAULT_SETTINGS.confidence
    seed: int = DEFAULT_SETTINGS.seed
    correction: str = "holm"  # across languages of one task: holm | bh | none

    @property
    def bootstrap(self) -> BootstrapSettings:
        return BootstrapSettings(self.n_resamples, self.confidence, self.seed)

    def to_dict(self) -> dict:
        return {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed,
                "correction": self.correction}


@lru_cache(maxsize=1)
def _catalog():
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    return Catalog(get_registry())


@dataclass(frozen=True)
class CellMetric:
    """A metric as a cell is scored with it: the name, the function and the language's spec options."""

    name: str
    fn: object
    options: dict | None


def cell_metric(cell: CellResult, wanted: str | None = None) -> CellMetric | None:
    """The metric to compare a cell on (``wanted``, else the spec's primary metric); None when the cell
    does not carry it (e.g. a task scored with another metric)."""
    from xbench.registry import get_registry

    spec = _catalog().task(cell.task)
    name = wanted or spec.primary_metric
    if name not in cell.metrics:
        return None
    fn = get_registry().get("metrics", name).load()
    return CellMetric(name, fn, spec.for_language(cell.language).get("options"))


def is_reference_only(cell: CellResult) -> bool:
    """A language evaluated for reference outside the task's own list (e.g. English COPA beside XCOPA)."""
    return "reference_only" in cell.flags


def config_name(run: Run) -> str:
    """The configuration a run stands for: its intermediate-task configuration in an experiment, else
    its label (model and perturbation)."""
    return run.intermediate or run.label


def comparison_groups(runs: list[Run]) -> dict[tuple, dict[str, Run]]:
    """Runs that are compared with each other: experiment runs by (model, perturbation), configurations
    keyed by intermediate-task configuration; runs outside an experiment form one group keyed by label."""
    groups: dict[tuple, dict[str, Run]] = {}
    for run in runs:
        key = (run.model, run.perturbation) if run.intermediate else ("", None)
        name = config_name(run)
        if name in groups.setdefault(key, {}):
            raise UserError(f"two runs stand for '{name}' ({groups[key][name].run_dir or groups[key][name].results.run_id}"
                            f" and {run.run_dir or run.results.run_id}); pass only one of them")
        groups[key][name] = run
    return groups


def series_name(model: str, config: str, perturbation: str | None, with_model: bool) -> str:
    """How a figure's legend or a result names one (model, configuration, perturbation): the model
    only when several models are shown (else their series overwrite each other), and no part twice
    (outside an experiment the configuration is the run's label, which names both already)."""
    own = config.split(" · ")
    return " · ".join([*([model] if with_model and model and model not in own else []), config,
                       *([perturbation] if perturbation and perturbation not in own else [])])


def seeds_in_common(a: Run, b: Run, address: str, language: str) -> list[int]:
    seeds_a = {c.seed for c in a.cells() if (c.address, c.language) == (address, language)}
    seeds_b = {c.seed for c in b.cells() if (c.address, c.language) == (address, language)}
    return sorted(seeds_a & seeds_b)


def addresses_languages(run: Run) -> list[tuple[str, str]]:
    """The (task address, language) pairs a run has scored cells for, in a stable order."""
    return sorted({(c.address, c.language) for c in run.cells()})


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def signed_pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:+.{digits}f}"


def interval(low: float | None, high: float | None, digits: int = 1) -> str:
    if low is None or high is None:
        return ""
    return f"[{100 * low:+.{digits}f}, {100 * high:+.{digits}f}]"


def p_text(p: float | None) -> str:
    if p is None:
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def plot_series(items, categories: list, name_of, category_of, value: str, low: str | None = "low",
                high: str | None = "high") -> tuple[dict, dict, dict]:
    """(series, lows, highs) ×100 for a bar or line plot: one series per ``name_of(item)``, one slot per
    category, None where an item (or its interval) is missing."""
    series, lows, highs = {}, {}, {}
    for item in items:
        name, i = name_of(item), categories.index(category_of(item))
        for table, attr in ((series, value), (lows, low), (highs, high)):
            number = getattr(item, attr) if attr else None
            table.setdefault(name, [None] * len(categories))[i] = None if number is None else 100 * number
    return series, lows, highs


def check_names(runs: list[Run], *, baseline: str | None = None, configs=(), tasks=(), models=(),
                metric: str | None = None, languages=()) -> None:
    """Options naming something among the runs (a configuration, task, model, metric, language) must
    name one that is there: a typo would otherwise give an empty table or quietly fall back to a
    default. The error names the option, what the runs have, and the closest name."""
    from xbench.spec.suggest import did_you_mean

    cells = [c for r in runs for c in r.results.cells]
    checks = (("--baseline", [baseline] if baseline else [], [config_name(r) for r in runs], "configuration"),
              ("--compare", configs, [config_name(r) for r in runs], "configuration"),
              ("--task", tasks, [c.address for c in cells], "task"),
              ("--models", models, [r.model for r in runs], "model"),
              ("--metric", [metric] if metric else [], [m for c in cells for m in c.metrics], "metric"),
              ("--pivot", languages, [c.language for c in cells], "language"))
    for option, given, have, what in checks:
        have = sorted(set(have))
        for name in given:
            if name not in have:
                shown = ", ".join(have[:12]) + (f" +{len(have) - 12} more" if len(have) > 12 else "")
                raise UserError(f"{option} {name}: no {what} '{name}' among the {len(runs)} run"
                                f"{'s' * (len(runs) != 1)}{did_you_mean(name, have)} (fix: use one of the runs' "
                                f"{what}s: {shown or 'none'})")

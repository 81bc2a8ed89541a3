"""A cell's metrics and their bootstrap intervals, from its predictions and references.

Every metric of the spec is computed with its interval under ``xbench.metrics.bootstrap.
DEFAULT_SETTINGS``; a task type whose items are not independent names groups of them
(``TaskType.resampling_groups``, e.g. QA's articles) and the interval resamples those groups. The
settings and the unit are returned for the cell's ``info["bootstrap"]``, next to the intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xbench.errors import UserError
from xbench.metrics.bootstrap import DEFAULT_SETTINGS, BootstrapSettings, bootstrap_ci, decomposition_of


@dataclass
class CellScores:
    metrics: dict[str, float] = field(default_factory=dict)
    ci: dict[str, list[float]] = field(default_factory=dict)
    bootstrap: dict = field(default_factory=dict)  # the settings the intervals were made with


def score_cell(registry, task: str, metric_names: list[str], language: str, options, out, groups=None,
               settings: BootstrapSettings = DEFAULT_SETTINGS) -> CellScores:
    """Each metric (and each prediction variant's) with its interval. ``out`` is the task type's
    ``CellOutput``; ``groups`` what its ``resampling_groups`` returned (None: items are the units)."""
    unit, labels = groups if groups is not None else (None, None)
    scores = CellScores()
    units = {}  # metric -> [unit, number of units resampled]
    for name in metric_names:
        fn = registry.get("metrics", name).load()
        own_unit = unit or getattr(decomposition_of(fn), "unit", None) or "item"
        use = settings.with_unit(own_unit)
        interval = bootstrap_ci(fn, out.predictions, out.references, language=language, options=options,
                                settings=use, groups=labels)
        if not (isinstance(interval.point, (int, float)) and 0.0 <= interval.point <= 1.0):
            raise UserError(f"{task}/{language}: metric '{name}' returned {interval.point!r}; xbench stores "
                            "metrics as fractions in [0, 1] (fix: make the metric return a fraction, e.g. "
                            "accuracy 0.61 rather than 61, or rescale a correlation to [0, 1])")
        scores.metrics[name] = interval.point
        scores.ci[name] = [interval.low, interval.high]
        units[name] = [own_unit, interval.n_items]
        for variant, variant_preds in out.variants.items():
            alt = bootstrap_ci(fn, variant_preds, out.references, language=language, options=options,
                               settings=use, groups=labels)
            scores.metrics[f"{name}_{variant}"] = alt.point
            scores.ci[f"{name}_{variant}"] = [alt.low, alt.high]
    # the first metric's unit and count stand for the cell (metrics of one task share them, except
    # e.g. tagging's token accuracy beside sentence-level chunk F1: see "units")
    first = next(iter(units.values()), [unit, None])
    scores.bootstrap = {**settings.to_dict(), "unit": first[0], "n_units": first[1], "method": "percentile",
                        "units": units}
    return scores

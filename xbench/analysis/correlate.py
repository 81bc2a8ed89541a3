"""``xbench analyze correlate``: does a configuration's gain (or score) track a language variable?

x variables: ``cc100`` = log10 of the language's CC-100 pretraining data in GiB (XLM-R paper), or a
typological distance from the source language (``syntactic``, ``phonological``, ``inventory``,
``featural``, ``genetic``, ``geographic``; see ``xbench.languages.typology``). Languages without a value — not in
CC-100 (ht, qu, …), or without URIEL data — are shown apart in the scatter and excluded from the fit,
and the output names them. Pearson and Spearman coefficients each get a permutation p-value and a
bootstrap interval over languages; ``--control`` gives the partial correlation controlling another
x variable.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from xbench.analysis.correlation_stats import correlation, partial_correlation
from xbench.analysis.common import StatSettings
from xbench.errors import UserError

# GiB, not tokens: the XLM-R paper's token counts for ja and zh are not comparable with the others'
X_VARIABLES = {"cc100": "log10 CC-100 size (GiB)"}
Y_VARIABLES = ("gain", "score")


def x_variables() -> dict[str, str]:
    from xbench.languages.typology import DISTANCE_KINDS

    return {**X_VARIABLES, **{k: f"{k} distance from the source language" for k in DISTANCE_KINDS}}


def x_value(variable: str, language: str, source: str) -> tuple[float | None, str]:
    """(the value, why there is none) of an x variable for a language."""
    from xbench.languages.metadata import get_language

    if variable == "cc100":
        lang = get_language(language)
        if not lang.in_cc100:
            return None, "not in CC-100"
        return math.log10(lang.cc100_gib), ""
    if variable not in x_variables():
        from xbench.spec.suggest import did_you_mean

        raise UserError(f"unknown x variable '{variable}'{did_you_mean(variable, x_variables())}; "
                        f"choose one of {', '.join(x_variables())}")
    from xbench.languages.typology import distance

    try:
        return float(distance(source, language, variable)), ""
    except UserError as err:
        return None, str(err)


@dataclass
class CorrelationResult:
    config: str
    address: str
    x: str
    y: str
    control: str | None
    n: int
    pearson: dict
    spearman: dict
    points: list[dict] = field(default_factory=list)  # language, x, y, included, reason

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def excluded(self) -> list[dict]:
        return [p for p in self.points if not p["included"]]


def correlate(points_by_key: dict[tuple[str, str], dict[str, float]], x: str, y: str, source: str = "en",
              control: str | None = None, settings: StatSettings = StatSettings(),
              n_permutations: int = 10000) -> list[CorrelationResult]:
    """One result per (configuration, task) of ``points_by_key`` ({(config, task): {language: y value}})."""
    out = []
    for (config, address), values in points_by_key.items():
        points = []
        for language, y_value in sorted(values.items()):
            if language == source:
                continue  # the source language has distance 0 and no transfer: not a point of the question
            xv, why = x_value(x, language, source)
            cv, why_c = x_value(control, language, source) if control else (0.0, "")
            reason = why or (f"{control}: {why_c}" if why_c else "")
            points.append({"language": language, "x": xv, "y": y_value, "control": cv if control else None,
                           "included": not reason, "reason": reason})
        used = [p for p in points if p["included"]]
        if len(used) < 3:
            raise UserError(f"{address} ({config}): only {len(used)} language(s) have both {x} and {y}; a "
                            "correlation needs at least 3 (add languages or choose another --x)")
        xs, ys = [p["x"] for p in used], [p["y"] for p in used]
        result = {}
        for method in ("pearson", "spearman"):
            kwargs = dict(method=method, n_permutations=n_permutations, n_resamples=settings.n_resamples,
                          seed=settings.seed, confidence=settings.confidence)
            if control:
                r = partial_correlation(xs, ys, [p["control"] for p in used], **kwargs)
            else:
                r = correlation(xs, ys, **kwargs)
            result[method] = r.to_dict()
        out.append(CorrelationResult(config, address, x, y, control, len(used), result["pearson"],
                                     result["spearman"], points))
    return out


def gain_points(gains) -> dict[tuple[str, str], dict[str, float]]:
    from xbench.analysis.common import series_name

    points: dict = {}
    several = len({g.model for g in gains.gains}) > 1  # each model's gains are a fit of their own
    for g in gains.gains:
        name = series_name(g.model, g.config, g.perturbation, several)
        points.setdefault((name, g.address), {})[g.language] = g.gain
    return points


def score_points(runs, metric: str | None = None) -> dict[tuple[str, str], dict[str, float]]:
    from xbench.analysis.common import cell_metric, config_name, series_name

    points: dict = {}
    several = len({run.model for run in runs}) > 1
    for run in runs:
        sums: dict = {}
        for c in run.cells():
            chosen = cell_metric(c, metric)
            if chosen is not None:
                sums.setdefault((c.address, c.language), []).append(c.metrics[chosen.name])
        for (address, language), values in sums.items():
            # one fit per run: runs of other models or perturbations share the configuration name
            name = series_name(run.model, config_name(run), run.perturbation, several)
            points.setdefault((name, address), {})[language] = sum(values) / len(values)
    return points


def correlation_rows(results: list[CorrelationResult]) -> list[dict]:
    from xbench.analysis.common import p_text

    def coef(d):
        return f"{d['r']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]"

    return [{"config": r.config, "task": r.address, "x": r.x + (f" | {r.control}" if r.control else ""), "y": r.y,
             "n": r.n, "pearson r [CI]": coef(r.pearson), "p (perm.)": p_text(r.pearson["p_value"]),
             "spearman ρ [CI]": coef(r.spearman), "p (perm.) ": p_text(r.spearman["p_value"]),
             "excluded": ", ".join(f"{p['language']} ({p['reason']})" for p in r.excluded)} for r in results]

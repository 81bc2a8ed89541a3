"""``xbench analyze scaling``: does model scale amplify the intermediate-task gain?

Per model (in the order given, smallest first) the task's mean gain over languages with its interval,
and the interaction gain(larger) − gain(smaller) against the first model. The interaction is one
contrast over four runs per language (both configurations of both models) on the items all four
evaluated, so the models are compared on the same resampled items; languages are resampled
independently and averaged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from xbench.analysis.common import StatSettings, comparison_groups, is_reference_only
from xbench.analysis.gains import compute_gains
from xbench.analysis.groups import language_contrast
from xbench.errors import UserError


@dataclass
class ScalePoint:
    model: str
    config: str
    baseline: str
    address: str
    gain: float
    low: float | None
    high: float | None
    interaction: float | None = None  # gain(this model) − gain(first model)
    interaction_low: float | None = None
    interaction_high: float | None = None
    interaction_p: float | None = None
    n_languages: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def compute_scaling(runs, baseline: str = "none", models: list[str] | None = None, metric: str | None = None,
                    settings: StatSettings = StatSettings()) -> list[ScalePoint]:
    groups = {key: members for key, members in comparison_groups(runs).items() if key[1] is None}
    present = list(dict.fromkeys(key[0] for key in groups))
    order = models or present
    unknown = [m for m in order if m not in present]
    if unknown:
        raise UserError(f"model(s) {', '.join(unknown)} not among the runs (have: {', '.join(present)}); fix --models")
    if len(order) < 2:
        raise UserError(f"scaling needs runs of at least two models (have: {', '.join(present) or 'none'})")
    gains = compute_gains(runs, baseline=baseline, metric=metric, settings=settings)
    points = []
    for t in gains.tasks:
        if t.perturbation is None and t.model in order:
            points.append(ScalePoint(t.model, t.config, t.baseline, t.address, t.gain, t.low, t.high,
                                     n_languages=t.n_languages))
    small = order[0]
    for p in points:
        if p.model == small:
            continue
        _interaction(p, groups[(small, None)], groups[(p.model, None)], baseline, metric, settings)
    rank = {m: i for i, m in enumerate(order)}
    return sorted(points, key=lambda p: (p.address, p.config, rank[p.model]))


def _interaction(point: ScalePoint, small: dict, large: dict, baseline: str, metric, settings) -> None:
    sa, sb, la, lb = small.get(baseline), small.get(point.config), large.get(baseline), large.get(point.config)
    if None in (sa, sb, la, lb):
        return
    languages = sorted({c.language for c in lb.cells() if c.address == point.address and not is_reference_only(c)})
    # gain(large) − gain(small) = (lb − la) − (sb − sa)
    c = language_contrast([("lb", lb, 1.0), ("la", la, -1.0), ("sb", sb, -1.0), ("sa", sa, 1.0)], point.address,
                          languages, metric, settings)
    if c is not None:
        point.interaction, point.interaction_low, point.interaction_high, point.interaction_p = (
            c.estimate, c.low, c.high, c.p_value)


def scaling_rows(points: list[ScalePoint], settings: StatSettings) -> list[dict]:
    from xbench.analysis.common import interval, p_text, signed_pct

    ci = f"{round(100 * settings.confidence)}% CI"
    return [{"task": p.address, "config": f"{p.config} vs {p.baseline}", "model": p.model, "languages": p.n_languages,
             "gain": signed_pct(p.gain), ci: interval(p.low, p.high),
             "gain − gain(first model)": "" if p.interaction is None else signed_pct(p.interaction),
             "interaction " + ci: interval(p.interaction_low, p.interaction_high),
             "p": p_text(p.interaction_p)} for p in points]

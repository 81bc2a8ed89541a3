"""Seed aggregation: one ``CellAggregate`` per (address, language, split) with mean ± sd per metric,
and each seed's stored bootstrap CI (the interval shown for a single-seed cell)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from xbench.results.cells import CellResult


@dataclass(frozen=True)
class SeedStat:
    """A value over seeds: mean, sample standard deviation (None for one seed), and the per-seed values."""

    mean: float
    sd: float | None
    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @classmethod
    def of(cls, values: Iterable[float]) -> SeedStat:
        values = tuple(float(v) for v in values)
        if not values:
            raise ValueError("SeedStat needs at least one value")
        sd = statistics.stdev(values) if len(values) > 1 else None
        return cls(statistics.fmean(values), sd, values)

    def to_dict(self) -> dict:
        return {"mean": self.mean, "sd": self.sd, "n": self.n, "values": list(self.values)}


@dataclass
class CellAggregate:
    """All seeds of one (address, language, split).

    ``metrics`` holds only metrics that every ``ok`` seed reported. ``status`` is "ok" when at least one
    seed has metrics, else the status of the seeds ("predict_only" wins over "missing").
    """

    address: str
    task: str
    group: str | None
    language: str
    split: str
    status: str
    seeds: list[int]
    metrics: dict[str, SeedStat] = field(default_factory=dict)
    per_seed: dict[int, dict[str, float]] = field(default_factory=dict)
    per_seed_ci: dict[int, dict[str, list[float]]] = field(default_factory=dict)  # seed → metric → [low, high]
    flags: list[str] = field(default_factory=list)
    n_items: int = 0
    missing_reason: str | None = None
    retrieval_layers: list[str] = field(default_factory=list)  # the cells' info["layer"] (retrieval tasks)

    def value(self, metric: str, seed: int | None = None) -> float | None:
        """The metric's mean over seeds (or one seed's value); None when it has none."""
        if seed is not None:
            return self.per_seed.get(seed, {}).get(metric)
        stat = self.metrics.get(metric)
        return None if stat is None else stat.mean

    def bootstrap_ci(self, metric: str) -> list[float] | None:
        """The stored bootstrap CI over items of the metric when the cell has exactly one seed (with
        several seeds the spread over seeds is the interval; per-seed CIs are not combined)."""
        if len(self.per_seed) != 1:
            return None
        (seed,) = self.per_seed
        return self.per_seed_ci.get(seed, {}).get(metric)

    def to_dict(self) -> dict:
        return {"address": self.address, "task": self.task, "group": self.group, "language": self.language,
                "split": self.split, "status": self.status, "seeds": self.seeds,
                "metrics": {m: s.to_dict() for m, s in self.metrics.items()}, "flags": self.flags,
                "n_items": self.n_items, "missing_reason": self.missing_reason}


def aggregate_seeds(cells: Iterable[CellResult]) -> list[CellAggregate]:
    """Group cells by (address, language, split) and aggregate each metric over seeds.

    A seed listed twice for one key keeps its last cell (a recomputed cell replaces the old one).
    """
    by_key: dict[tuple[str, str, str], dict[int, CellResult]] = {}
    for cell in cells:
        by_key.setdefault((cell.address, cell.language, cell.split), {})[cell.seed] = cell
    out = []
    for (address, language, split), seeds in sorted(by_key.items()):
        ordered = [seeds[s] for s in sorted(seeds)]
        scored = [c for c in ordered if c.status == "ok" and c.metrics]
        first = ordered[0]
        if scored:
            common = [m for m in scored[0].metrics if all(m in c.metrics for c in scored)]
            metrics = {m: SeedStat.of(c.metrics[m] for c in scored) for m in common}
            status = "ok"
        else:
            metrics = {}
            status = "predict_only" if any(c.status == "predict_only" for c in ordered) else "missing"
        flags = sorted({f for c in ordered for f in c.flags})
        reasons = sorted({c.missing_reason for c in ordered if c.missing_reason})
        out.append(CellAggregate(
            address=address, task=first.task, group=first.group, language=language, split=split,
            status=status, seeds=[c.seed for c in scored] if scored else [c.seed for c in ordered],
            metrics=metrics, per_seed={c.seed: dict(c.metrics) for c in scored},
            per_seed_ci={c.seed: {m: list(v) for m, v in c.ci.items()} for c in scored}, flags=flags,
            n_items=max(c.n_items for c in ordered), missing_reason="; ".join(reasons) or None,
            retrieval_layers=sorted({c.info["layer"] for c in ordered if isinstance(c.info.get("layer"), str)})))
    return out

"""The bootstrap settings of every interval xbench makes, in one place (no numpy: the CLI's option
defaults read them at import time)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class BootstrapSettings:
    """How every bootstrap interval of xbench is made. ``unit`` names what one resampled unit is
    (None: the metric decomposition's own unit, one row of its statistics)."""

    resamples: int = 1000
    confidence: float = 0.95
    seed: int = 12345
    unit: str | None = None

    def with_unit(self, unit: str | None) -> BootstrapSettings:
        return replace(self, unit=unit)

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_SETTINGS = BootstrapSettings()  # every cell's intervals; part of the cell key (cell_key)
# the single fields, for callers that take them one by one (xbench.analysis)
DEFAULT_SEED = DEFAULT_SETTINGS.seed
DEFAULT_RESAMPLES = DEFAULT_SETTINGS.resamples
DEFAULT_CONFIDENCE = DEFAULT_SETTINGS.confidence

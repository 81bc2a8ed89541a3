"""What the engine hands a task type for one cell: engine settings, the cell's examples and context."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EngineSettings:
    device: object
    precision: str
    batch_size: object
    progress: bool
    desc: str = ""


@dataclass
class CellInput:
    loaded: object  # xbench.data.LoadedSplit
    examples: list[dict]
    info: dict

    @property
    def flags(self) -> list[str]:
        return list(self.loaded.flags)


@dataclass
class CellContext:
    """What a task type may need beyond the examples: the loaded split (gold pairs, source) and a
    way to load another split of the same task and language (e.g. BUCC's dev gold for its threshold)."""

    loaded: object
    load: object  # Callable[[str], LoadedSplit]
    encode: object = None  # Callable[[task_type, examples], features], through the tokenisation cache
    examples_of: object = None  # Callable[[str], list[dict]]: another split's examples, prepared like these
    group: str | None = None  # the benchmark the cell is evaluated for (e.g. XTREME-R Tatoeba's encoder flag)

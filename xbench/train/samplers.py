"""Which task each optimiser step trains on, in multi-task (intermediate) training.

A sampler turns the tasks' training-set sizes into probabilities:

- ``uniform``: every task equally often;
- ``proportional``: p ∝ size;
- ``capped:N``: p ∝ min(size, N), so one huge task cannot drown the others;
- ``temperature:T``: p ∝ size^(1/T); T = 1 is proportional, T → ∞ tends to uniform.

``TaskSampler.draw(step)`` is a pure function of (seed, step), so a resumed run draws exactly the
tasks an uninterrupted run would, without saving any RNG state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from xbench.errors import UserError

FORMS = "uniform, proportional, capped:N or temperature:T"

# Mixed into every draw's seed so the task stream is independent of other (seed, step)-seeded
# streams in training (e.g. the data order), which would otherwise share the same random numbers.
_STREAM = 0x7A5C


@dataclass(frozen=True)
class SamplerSpec:
    """A parsed sampler: ``name`` is one of uniform, proportional, capped, temperature.

    ``argument`` is N (int) for capped, T (float) for temperature, None otherwise.
    """

    name: str
    argument: int | float | None = None

    def __str__(self) -> str:
        return self.name if self.argument is None else f"{self.name}:{self.argument:g}"

    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        """Each task's probability, in the order of ``sizes``; sizes must be positive integers."""
        _check_sizes(sizes)
        if self.name == "uniform":
            weights = [1.0] * len(sizes)
        elif self.name == "proportional":
            weights = [float(n) for n in sizes.values()]
        elif self.name == "capped":
            weights = [float(min(n, self.argument)) for n in sizes.values()]
        elif self.name == "temperature":
            if self.argument == 1:
                # T = 1 is proportional sampling by definition: take the exact path, so the two
                # give identical numbers rather than ones equal up to rounding.
                return SamplerSpec("proportional").probabilities(sizes)
            # (size / largest)^(1/T) instead of size^(1/T): the base is at most 1, so a small T cannot
            # overflow, and the largest task keeps weight 1, so the total is never 0.
            largest = max(sizes.values())
            weights = [(n / largest) ** (1.0 / self.argument) for n in sizes.values()]
        else:
            raise ValueError(f"unknown sampler name {self.name!r}")  # only parse_sampler makes specs
        total = math.fsum(weights)
        return {task: w / total for task, w in zip(sizes, weights)}


def parse_sampler(text: str, where: str = "--sampler") -> SamplerSpec:
    """Parse ``uniform``, ``proportional``, ``capped:N`` (N > 0 int) or ``temperature:T`` (T > 0).

    ``where`` names the source of ``text`` (a flag or spec field) in the error message.
    """
    name, sep, arg = text.strip().partition(":")
    name = name.strip().lower()
    arg = arg.strip()
    if name in ("uniform", "proportional"):
        if sep:
            raise UserError(f"{where} '{text}': {name} takes no argument (fix: write {name})")
        return SamplerSpec(name)
    if name == "capped":
        try:
            cap = int(arg)
        except ValueError:
            cap = 0
        if cap <= 0:
            raise UserError(f"{where} '{text}': capped needs a positive whole number of examples "
                            "(fix: e.g. capped:10000)")
        return SamplerSpec("capped", cap)
    if name == "temperature":
        try:
            temp = float(arg)
        except ValueError:
            temp = math.nan
        if not (temp > 0 and math.isfinite(temp)):
            raise UserError(f"{where} '{text}': temperature needs a positive number T (fix: e.g. temperature:2)")
        return SamplerSpec("temperature", temp)
    import difflib

    close = difflib.get_close_matches(name, ["uniform", "proportional", "capped", "temperature"], n=1, cutoff=0.7)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UserError(f"{where} '{text}': unknown sampler{hint} (fix: use one of {FORMS})")


def _check_sizes(sizes: Mapping[str, int]) -> None:
    if not sizes:
        raise UserError("task sampler: no tasks to sample from (fix: give at least one training task)")
    for task, n in sizes.items():
        # bool is an int subclass; True as a size is a bug upstream, not one example
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise UserError(f"task sampler: task '{task}' has size {n!r}, not a positive number of training "
                            "examples (fix: check that its training split is not empty)")


class TaskSampler:
    """Draws the task of each optimiser step, reproducibly from (seed, step)."""

    def __init__(self, spec: SamplerSpec, sizes: Mapping[str, int], seed: int):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise UserError(f"task sampler: seed {seed!r} is not a non-negative integer (e.g. --seed 1)")
        self.spec = spec
        self.seed = int(seed)
        self.probs = spec.probabilities(sizes)
        self.tasks = list(self.probs)
        cumulative = np.cumsum(list(self.probs.values()))
        cumulative[-1] = 1.0  # rounding must not leave a sliver above the last task
        self._cumulative = cumulative

    def draw(self, step: int) -> str:
        """The task for optimiser step ``step`` (>= 0); depends only on the seed and ``step``."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        u = np.random.default_rng([self.seed, int(step), _STREAM]).random()
        # side="right": a task whose probability rounded to 0 (tiny T) owns an empty interval and is never drawn
        return self.tasks[int(np.searchsorted(self._cumulative, u, side="right"))]

    def counts(self, n_steps: int) -> dict[str, int]:
        """How many of steps 0 … n_steps-1 go to each task (every task listed, in order)."""
        counts = dict.fromkeys(self.tasks, 0)
        for step in range(n_steps):
            counts[self.draw(step)] += 1
        return counts

    def to_dict(self) -> dict:
        """For run manifests: the sampler's name, argument and the resulting probabilities."""
        return {"name": self.spec.name, "argument": self.spec.argument, "probabilities": dict(self.probs)}

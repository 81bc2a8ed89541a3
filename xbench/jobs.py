"""Jobs: the serialisable units of work that executors run (trainings, evaluations).

A job names its function as a ``"module:function"`` string and carries JSON-serialisable keyword
arguments, so a worker process (or a Ray worker on another machine) can run it from its description
alone: ``run_job(job)`` imports the function and calls ``fn(**job.args)``. ``deps`` are the ids of the
jobs that must finish first; their results are not passed along — a job reads what it needs from the
shared filesystem (checkpoint folders, cell files), which keeps jobs restartable on their own.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from xbench.errors import UserError


@dataclass(frozen=True)
class Job:
    id: str  # unique within a plan; derived from the content the job depends on
    target: str  # "module:function", called as function(**args)
    args: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable
    deps: tuple[str, ...] = ()  # ids of jobs that must finish before this one starts
    cpus: float = 1  # CPUs the job needs: Ray reserves them, and every executor gives PyTorch as many threads
    gpus: float = 0
    kind: str = "job"  # "train", "eval", … (for plans and logs)
    label: str = ""  # one human-readable line
    done: bool = False  # already complete when planned: executors skip it

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["deps"] = list(self.deps)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        return cls(**{**d, "deps": tuple(d.get("deps", ()))})


def resolve(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def run_job(job: Job | dict) -> Any:
    """Run one job from its description (what every executor does, in-process or in a worker).

    PyTorch gets as many threads as the job declares CPUs: a job's numerics (the order of float
    reductions) then depend on its declaration, not on the machine or executor that runs it."""
    if isinstance(job, dict):
        job = Job.from_dict(job)
    json.dumps(job.args)  # a job that could not be shipped to another machine is a planning bug
    try:
        import torch
    except ImportError:
        return resolve(job.target)(**job.args)
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(job.cpus)))
    try:
        return resolve(job.target)(**job.args)
    finally:
        torch.set_num_threads(before)  # the calling process keeps its own setting


def topological(jobs: Iterable[Job]) -> list[Job]:
    """The jobs in an order where every job comes after its dependencies (stable otherwise)."""
    jobs = list(jobs)
    by_id = {j.id: j for j in jobs}
    if len(by_id) != len(jobs):
        raise ValueError("duplicate job ids in a plan")
    order, state = [], {}

    def visit(job: Job, path: tuple[str, ...]) -> None:
        if state.get(job.id) == "done":
            return
        if state.get(job.id) == "visiting":
            raise UserError(f"jobs form a dependency cycle: {' -> '.join(path + (job.id,))}")
        state[job.id] = "visiting"
        for dep in job.deps:
            if dep not in by_id:
                raise ValueError(f"job {job.id} depends on unknown job {dep}")
            visit(by_id[dep], path + (job.id,))
        state[job.id] = "done"
        order.append(job)

    for job in jobs:
        visit(job, ())
    return order

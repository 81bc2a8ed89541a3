"""Executors run a plan of jobs (``xbench.jobs.Job``): ``local`` in this process, ``ray`` on a Ray cluster.

The protocol every executor follows::

    executor.run(jobs: list[Job], on_result: Callable[[Job, Any], None] | None = None) -> dict[str, Any]

- It returns job id → the value ``run_job`` returned, for every job it ran.
- Jobs with ``done=True`` are skipped (and left out of the result); they count as satisfied for the
  jobs that depend on them.
- A job starts only after all its ``deps`` have finished.
- ``on_result(job, value)`` is called in the calling process as each job finishes (progress, logs).
- On a job failure nothing that depends on it runs, the executor stops the rest and re-raises the
  first error. A ``UserError`` raised in a worker comes back as a ``UserError`` with the same
  message, so the CLI prints one line and exits 2.

Executors are registered through the ``xbench_executors`` hook and chosen by name with
``get_executor``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol

from xbench.errors import UserError
from xbench.jobs import Job

OnResult = Callable[[Job, Any], None]


class JobExecutor(Protocol):
    def run(self, jobs: list[Job], on_result: OnResult | None = None) -> dict[str, Any]: ...


def get_executor(name: str, registry=None, **options) -> JobExecutor:
    """The executor registered as ``name``, built with ``options`` (e.g. ``address="auto"`` for ray).

    An unknown name raises ``UserError`` listing the registered executors; an option the executor
    does not take raises ``UserError`` too (rather than a ``TypeError`` from deep inside).
    """
    if registry is None:
        from xbench.registry import get_registry

        registry = get_registry()
    cls = registry.get("executors", name).load()
    try:
        inspect.signature(cls).bind(**options)
    except TypeError:
        given = ", ".join(sorted(options))
        raise UserError(f"the {name} executor does not take the option(s) {given} "
                        f"(fix: drop them, or choose an executor that takes them)") from None
    return cls(**options)

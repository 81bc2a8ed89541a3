"""The ``local`` executor: every job in this process, one after another."""

from __future__ import annotations

from typing import Any

from xbench.executors import OnResult
from xbench.jobs import Job, run_job, topological


class LocalExecutor:
    """Runs jobs in topological order in the current process; stops at the first error.

    Jobs run one at a time; each with as many PyTorch threads as the CPUs it declares (``run_job``),
    as on Ray, so the same job gives the same numbers under either executor.
    """

    name = "local"

    def run(self, jobs: list[Job], on_result: OnResult | None = None) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for job in topological(jobs):
            if job.done:
                continue
            # run_job, not a direct call: the same path a Ray worker takes (JSON-checked args)
            value = run_job(job)
            results[job.id] = value
            if on_result is not None:
                on_result(job, value)
        return results

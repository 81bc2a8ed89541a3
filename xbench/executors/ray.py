"""The ``ray`` executor: every job a Ray task, placed by the cluster according to its cpus/gpus.

Ray is imported only when this executor is built, so xbench imports and lists plugins without it.
Jobs exchange checkpoints and cells through files, so on a multi-node cluster the run folder,
``XBENCH_HOME`` and the data folder must be on a filesystem every node mounts.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from xbench.errors import UserError
from xbench.executors import OnResult
from xbench.jobs import Job, run_job, topological

# Besides every XBENCH_* variable, what the Hugging Face libraries read: a worker must resolve the
# same caches and offline mode as the driver.
FORWARDED_ENV = ("HF_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")

# After a failure, how long cancelled jobs get to end before their workers are killed.
CANCEL_WAIT_SECONDS = 30.0


def import_ray():
    try:
        import ray
    except ModuleNotFoundError as exc:
        if exc.name != "ray":  # Ray is there but broken: show the real problem
            raise
        raise UserError("the ray executor needs Ray (fix: pip install 'xbench[ray]')") from None
    return ray


class RayExecutor:
    """Runs each job as a Ray task with ``num_cpus=job.cpus, num_gpus=job.gpus``.

    ``address``: ``None`` is Ray's default: the cluster named by ``RAY_ADDRESS`` or started on this
    machine with ``ray start``, else a new local Ray instance; ``"auto"`` joins a running cluster on
    this machine (never starts one); ``"HOST:PORT"`` joins that one. Ray is initialised on the first
    ``run`` unless it already is (then ``address`` and ``ray_init_kwargs`` are not used), and left
    running for later runs; Ray shuts it down when the process exits.

    A plan whose jobs are all done does not touch Ray; a job that no node can hold (too many
    cpus/gpus) is refused with a ``UserError`` before anything runs, as Ray would wait for it forever.

    A task depends on its dependencies' tasks (their ObjectRefs are its arguments), so Ray starts it
    only once they have finished, and never if one failed. On the first failure every job still queued
    or running is cancelled (running ones get a ``KeyboardInterrupt``, see ``cancel``; jobs are
    restartable, and a rerun skips the finished ones) and the error is re-raised in the driver.
    Workers get the driver's XBENCH_* and Hugging Face variables and its import folders (``worker_env``).
    """

    name = "ray"

    def __init__(self, address: str | None = None, **ray_init_kwargs):
        self.ray = import_ray()
        self.address = address
        self.ray_init_kwargs = ray_init_kwargs

    def run(self, jobs: list[Job], on_result: OnResult | None = None) -> dict[str, Any]:
        ray = self.ray
        order = topological(jobs)
        if all(job.done for job in order):
            return {}  # nothing to run: no need to start or join Ray
        self.connect()
        self.check_fits([job for job in order if not job.done])
        task = ray.remote(run_in_worker)
        runtime_env = {"env_vars": worker_env()}
        refs: dict[str, Any] = {}  # job id -> ObjectRef of its result
        for job in order:
            if job.done:
                continue
            deps = [refs[d] for d in job.deps if d in refs]  # a done dependency is satisfied already
            refs[job.id] = task.options(
                num_cpus=job.cpus, num_gpus=job.gpus, name=f"{job.kind}:{job.id}", runtime_env=runtime_env,
            ).remote(job.to_dict(), *deps)

        job_of = {ref: job for job in order if (ref := refs.get(job.id)) is not None}
        results: dict[str, Any] = {}
        pending = list(refs.values())
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for ref in ready:
                    job = job_of[ref]
                    results[job.id] = ray.get(ref)
                    if on_result is not None:
                        on_result(job, results[job.id])
        except BaseException as exc:  # a job failed, on_result raised, or Ctrl-C in the driver
            self.cancel(pending)
            err = self.user_error_in(exc)
            if err is None:
                raise
            raise err from None
        return {job.id: results[job.id] for job in order if job.id in results}

    def connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        try:
            ray.init(address=self.address or None, **self.ray_init_kwargs)
        except ConnectionError as exc:
            if not self.address:
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot reach a Ray cluster at address '{self.address}': {reason} "
                            "(fix: run 'ray start --head' on the head node first, or give no address "
                            "to start a local Ray instance)") from None

    def check_fits(self, jobs: list[Job]) -> None:
        """Refuse jobs no node can hold: Ray would wait for them forever (on a cluster without an
        autoscaler, nothing ever frees such a node)."""
        nodes = [n.get("Resources", {}) for n in self.ray.nodes() if n.get("Alive")]
        for job in jobs:
            if not any(job.cpus <= r.get("CPU", 0) and job.gpus <= r.get("GPU", 0) for r in nodes):
                have = sorted({f"{r.get('CPU', 0):g} CPUs + {r.get('GPU', 0):g} GPUs" for r in nodes})
                raise UserError(
                    f"job {job.id} ({job.label or job.kind}) needs {job.cpus:g} CPUs + {job.gpus:g} GPUs, "
                    f"more than any Ray node has (nodes: {', '.join(have) or 'none'}) "
                    "(fix: lower the job's cpus/gpus, or add a node that has them)")

    def cancel(self, refs: list) -> None:
        """Cancel these tasks and wait for them to end, so the cluster is free again.

        Ray interrupts a running task only when it next runs Python code; one stuck longer than
        ``CANCEL_WAIT_SECONDS`` in a single native call has its worker process killed.
        """
        self._cancel(refs, force=False)
        if refs:
            _, stuck = self.ray.wait(refs, num_returns=len(refs), timeout=CANCEL_WAIT_SECONDS)
            self._cancel(stuck, force=True)

    def _cancel(self, refs: list, force: bool) -> None:
        for ref in refs:
            try:
                self.ray.cancel(ref, force=force, recursive=True)
            except Exception:  # finished in the meantime, or already gone: nothing to cancel
                pass

    def user_error_in(self, exc: BaseException) -> UserError | None:
        """The ``UserError`` a worker raised, unwrapped from Ray's error (whose text is a traceback).

        Other errors are re-raised as Ray's error: its message carries the worker's traceback.
        """
        cause = exc
        while isinstance(cause, self.ray.exceptions.RayTaskError) and cause.cause is not None:
            cause = cause.cause
        return cause if isinstance(cause, UserError) and cause is not exc else None


def run_in_worker(job: dict, *finished_deps: Any) -> Any:
    """What a Ray worker runs. ``finished_deps`` are the dependencies' results: Ray hands them over
    once they exist, which is what orders the tasks; the job itself reads its inputs from files."""
    return run_job(job)


def worker_env() -> dict[str, str]:
    """The environment variables the driver hands to its workers (Ray's ``runtime_env``)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("XBENCH_") or k in FORWARDED_ENV}
    path = driver_python_path()
    if path:
        env["PYTHONPATH"] = path
    return env


def driver_python_path() -> str:
    """The driver's own import folders as a PYTHONPATH: its ``sys.path`` without the interpreter's
    standard library and site-packages (workers have those already).

    Ray workers start with a fresh ``sys.path``: a job target the driver imports through an added
    entry (a source checkout, pytest's ``pythonpath``) would not import in a worker otherwise.
    """
    installed = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    kept: list[str] = []
    for entry in sys.path:
        path = os.path.abspath(entry or os.getcwd())
        parts = path.split(os.sep)
        if (not os.path.isdir(path) or "site-packages" in parts or "dist-packages" in parts
                or any(path == p or path.startswith(p + os.sep) for p in installed)):
            continue
        if path not in kept:
            kept.append(path)
    return os.pathsep.join(kept)

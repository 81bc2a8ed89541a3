"""``xbench eval`` as a plan of jobs: one job per (task selection, seed), run by any executor.

The same job function serves ``xbench run`` (one experiment target) and ``xbench eval`` (the
one-model, no-intermediate case): it builds a ``Runner`` from the job's JSON arguments alone, reuses
finished cells and trained stages, trains what is missing and evaluates the rest, and returns the
cells. ``run_eval`` plans, executes and writes ``results.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

from xbench.evaluation.config import EvalConfig
from xbench.jobs import Job
from xbench.locks import file_lock

EVAL_TARGET = "xbench.evaluation.jobs:evaluate_job"


def evaluate_job(model: str, output: str, seed: int, tasks: str, **config) -> list[dict]:
    """Phase 3 and evaluation of one task address for one seed; returns the cells (as dicts)."""
    from xbench.distributed import launched
    from xbench.evaluation.runner import Runner
    from xbench.experiment.plan import slug

    if config.get("data_dir") is not None:
        config["data_dir"] = Path(config["data_dir"])
    runner = Runner(EvalConfig(model=model, tasks=tasks, seeds=[seed], output=Path(output), **config))
    if launched():  # every process of a distributed run works on the same job together
        runner.setup()
        return [cell.to_dict() for cell in runner.run_cells()]
    # one process at a time per (run folder, task, seed): a concurrent run waits, then reuses the cells
    with file_lock(Path(output) / ".locks" / f"{slug(tasks)}-seed-{seed}.lock"):
        runner.setup()
        return [cell.to_dict() for cell in runner.run_cells()]


def job_config(config: EvalConfig, task: str) -> dict:
    """The EvalConfig fields a job carries (JSON), with per-task languages narrowed to its task."""
    d = config.to_dict()
    for key in ("model", "tasks", "seeds", "output"):
        d.pop(key)
    if isinstance(config.languages, dict):
        d["languages"] = {task: config.languages[task]} if task in config.languages else None
    d.update(config.narrowed(task))  # TASK=… forms of --split / --train-stages: only this task's part
    if config.data_dir is not None:  # a worker may run in another folder
        d["data_dir"] = str(Path(config.data_dir).resolve())
    return d


def eval_jobs(config: EvalConfig, runner, cpus: float | None = None, gpus: float = 0) -> list[Job]:
    """One job per selected task address and seed (validated by ``runner``'s planning); each job
    declares this machine's CPUs unless told otherwise."""
    import os

    cpus = cpus or os.cpu_count() or 1
    jobs = []
    for sel in runner.selections:
        for seed in config.seeds:
            args = {"model": runner.model_path, "output": str(runner.output.resolve()), "seed": seed, "tasks": sel.address,
                    **job_config(config, sel.task.name)}
            jobs.append(Job(f"eval:{sel.address}/seed-{seed}", EVAL_TARGET, args, (), cpus, gpus, "eval",
                            f"{sel.address} seed {seed}"))
    return jobs


def run_eval(config: EvalConfig, executor=None, registry=None):
    """Plan, execute and save an eval run; returns ``RunResults``."""
    from xbench.distributed import is_main_process
    from xbench.evaluation.cell_key import spec_hash
    from xbench.evaluation.runner import Runner
    from xbench.executors.local import LocalExecutor
    from xbench.results.cells import CellResult
    from xbench.results.environment import collect_environment
    from xbench.results.run import RunResults

    from xbench.evaluation.option_scope import check_option_scopes

    planner = Runner(config, registry)  # resolves the model and tasks, checks the languages
    check_option_scopes(config, planner.selections, planner.catalog)
    executor = executor or LocalExecutor()
    started = time.time()
    jobs = eval_jobs(config, planner)
    values = executor.run(jobs)
    cells = [CellResult.from_dict(c) for job in jobs for c in values.get(job.id, [])]
    from xbench.engine.device import pick_device, pick_precision

    device = pick_device(config.device)
    results = RunResults(config=config.to_dict() | {"model_path": planner.model_path, "device": str(device),
                                                    "precision": pick_precision(config.precision, device),
                                                    "executor": type(executor).__name__},
                         environment=collect_environment(),
                         spec_hashes={s.task.name: spec_hash(s.task.doc) for s in planner.selections}, cells=cells)
    results.config["seconds"] = round(time.time() - started, 1)
    if is_main_process():
        results.save(planner.output)
    return results, planner.output

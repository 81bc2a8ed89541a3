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
    if cells and all(c.status == "missing" for c in cells):
        if is_main_process():
            drop_missing_markers(planner.output, cells, started)
        raise nothing_evaluated(cells, f"--data-dir {config.data_dir}" if config.data_dir else f"--tasks {config.tasks}")
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


def nothing_evaluated(cells, where: str):
    """The run evaluated no cell: an error with each reason the cells are missing (where the data
    was looked for), rather than a stored run of "missing" that reads as a finished evaluation."""
    from xbench.errors import UserError
    from xbench.results.table import _short_reason, order_languages

    groups: dict[tuple, list[str]] = {}
    for c in cells:
        reason = _short_reason(c.missing_reason or "no reason recorded", f"{c.task}/{c.split}/{c.language}")
        groups.setdefault((c.address, c.split, reason), []).append(c.language)
    whats, fixes = [], []
    for (address, split, reason), langs in groups.items():
        what, _, fix = reason.partition(" (fix: ")
        whats.append(f"{address} [{split}] ({', '.join(dict.fromkeys(order_languages(langs)))}): {what}")
        fix = fix.removesuffix(")")
        if fix and fix not in fixes:
            fixes.append(fix)
    return UserError(f"{where}: no cell could be evaluated, all {len(cells)} are missing, so no run was stored: "
                     f"{'; '.join(whats)} (fix: {'; '.join(fixes) or 'see the reasons above'})")


def drop_missing_markers(run_dir: Path, cells, since: float) -> None:
    """Remove the "missing" cell files this run wrote (a run that stores nothing leaves no cells a
    later run or report would read); a file that holds anything else, or predates the run, stays."""
    import json

    from xbench.results.cells import cell_path

    for c in cells:
        path = cell_path(run_dir, c.task, c.split, c.language, c.seed)
        try:
            if path.stat().st_mtime >= since - 1 and json.loads(path.read_text()).get("status") == "missing":
                path.unlink()
        except (OSError, ValueError, AttributeError):
            pass

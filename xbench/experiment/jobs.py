"""The job functions of an experiment plan: what a worker runs from a job's JSON arguments alone."""

from __future__ import annotations

from pathlib import Path

from xbench.locks import file_lock


def train_intermediate_job(**args) -> dict:
    """Phase 2: train (or reuse) one intermediate checkpoint; returns its manifest."""
    from xbench.train.intermediate import train_intermediate

    return train_intermediate(args, log=lambda line: None)


def evaluate_target_job(model: str, output: str, seed: int, tasks: str, **config) -> list[dict]:
    """Phase 3 and evaluation of one target for one seed, from ``model`` (a phase-2 checkpoint folder
    or the base model); returns the cells. Finished cells are reused, trained stages too."""
    from xbench.evaluation.config import EvalConfig
    from xbench.evaluation.runner import Runner
    from xbench.experiment.plan import slug

    for key in ("data_dir",):
        if config.get(key) is not None:
            config[key] = Path(config[key])
    eval_config = EvalConfig(model=model, tasks=tasks, seeds=[seed], output=Path(output), **config)
    # one process at a time per (run folder, target, seed): a concurrent run waits, then reuses the cells
    with file_lock(Path(output) / ".locks" / f"{slug(tasks)}-seed-{seed}.lock"):
        runner = Runner(eval_config)
        runner.setup()
        return [cell.to_dict() for cell in runner.run_cells()]

"""Expanding an experiment into a plan of jobs.

Per (model, intermediate configuration, seed): one phase-2 training job (none for the baseline),
keyed by content, so it is trained once and reused by every target. Per (model, configuration,
target, seed): one evaluation job that depends on it; it runs the target's phase-3 stages from the
phase-2 encoder with a fresh head of the target's task (retrieval targets evaluate the encoder
directly) and evaluates every language. Per perturbation of ``perturbations:`` that applies to the
target, one more evaluation job after that one: the same checkpoints (its ``checkpoints_dir`` is the
clean run folder, nothing is retrained), evaluated on perturbed inputs into a run folder of its own
(``<run folder>/perturbed/<name>-<strength>/``). Jobs carry only JSON arguments, so any executor can
run them anywhere the files are visible.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from xbench.experiment.spec import Experiment, Intermediate, Target
from xbench.jobs import Job

TRAIN_TARGET = "xbench.train.intermediate:train_intermediate_job"
EVAL_TARGET = "xbench.evaluation.jobs:evaluate_job"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_") or "x"


def model_slug(model: str) -> str:
    """A folder name for a model: the alias itself, or a path's last part plus a hash of the path
    (two folders of the same name stay apart)."""
    if "/" not in model and "\\" not in model:
        return slug(model)
    import hashlib

    return f"{slug(Path(model).name)}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"


@dataclass
class RunSettings:
    """What the command line adds to the experiment file."""

    output: Path
    data_dir: Path | None = None
    device: str = "auto"
    precision: str = "auto"
    batch_size: object = "auto"
    progress: bool = False
    cpus: float = field(default_factory=lambda: os.cpu_count() or 1)  # per job, unless `resources:` says
    gpus: float = 0


@dataclass
class Plan:
    experiment: Experiment
    settings: RunSettings
    jobs: list[Job] = field(default_factory=list)
    runs: dict = field(default_factory=dict)  # (model, configuration, perturbation spec or None) -> run folder

    def run_dir(self, model: str, config: str, perturbation=None) -> Path:
        """The run folder of a (model, configuration), or of one perturbation of it (an ``xbench eval
        --perturb`` folder: ``perturbed/<slug>`` inside the clean one)."""
        folder = self.settings.output / model_slug(model) / slug(config)
        return folder / "perturbed" / perturbation.slug if perturbation is not None else folder


def eval_config_args(exp: Experiment, target: Target, settings: RunSettings) -> dict:
    """The ``EvalConfig`` fields of one target (experiment-wide values, then the target's own)."""
    opts = target.options
    return {"tasks": target.address, "languages": opts.get("languages"), "split": opts.get("split"),
            "train_stages": opts.get("train_stages"), "limit": opts.get("limit", exp.setting("limit")),
            "train_limit": opts.get("train_limit", exp.setting("train_limit")),
            "epochs": opts.get("epochs", exp.setting("epochs")),
            "data_dir": str(settings.data_dir) if settings.data_dir else None, "device": settings.device,
            "precision": settings.precision, "batch_size": settings.batch_size, "progress": settings.progress}


def intermediate_args(model: str, config: Intermediate, seed: int, settings: RunSettings) -> dict:
    t = config.training
    return {"model": model, "tasks": [f"{x.task}:{x.split}:{x.language}" for x in config.tasks],
            "sampler": t.get("sampler", "proportional"), "max_steps": t.get("max_steps"), "seed": seed,
            "limit": t.get("limit"), "learning_rate": t.get("learning_rate"), "batch_size": t.get("batch_size"),
            "grad_accum": t.get("grad_accum"), "data_dir": str(settings.data_dir) if settings.data_dir else None,
            "device": settings.device, "precision": settings.precision, "progress": settings.progress}


def build_plan(exp: Experiment, settings: RunSettings, registry=None) -> Plan:
    """Every job of the grid; phase-2 jobs are marked done when their checkpoint is complete."""
    from xbench.train.intermediate import IntermediatePlan, settings_from_args

    plan = Plan(exp, settings)
    resources = exp.setting("resources") or {}
    cpus, gpus = resources.get("cpus", settings.cpus), resources.get("gpus", settings.gpus)
    for model in exp.models:
        for config in exp.intermediates:
            clean_dir = plan.run_dir(model, config.name)
            plan.runs[(model, config.name, None)] = clean_dir
            for p in exp.perturbations:
                plan.runs[(model, config.name, p.spec)] = plan.run_dir(model, config.name, p.perturbation)
            for seed in exp.seeds:
                deps, model_path = (), model
                if not config.is_baseline:
                    args = intermediate_args(model, config, seed, settings)
                    phase2 = IntermediatePlan(settings_from_args(args), registry)
                    args["output"] = str(settings.output / "intermediate" / phase2.key)
                    phase2.output = Path(args["output"])
                    job_id = f"phase2:{phase2.key}"
                    if job_id not in {j.id for j in plan.jobs}:
                        plan.jobs.append(Job(job_id, TRAIN_TARGET, args, (), cpus, gpus, "train",
                                             f"phase 2 {model} {config.name} seed {seed}",
                                             done=phase2.done() is not None))
                    deps, model_path = (job_id,), args["output"]
                for target in exp.targets:
                    args = {"model": model_path, "output": str(clean_dir), "seed": seed,
                            **eval_config_args(exp, target, settings)}
                    clean_id = f"eval:{model_slug(model)}/{slug(config.name)}/{slug(target.address)}/seed-{seed}"
                    label = f"{model} {config.name} {target.address} seed {seed}"
                    plan.jobs.append(Job(clean_id, EVAL_TARGET, args, deps, cpus, gpus, "eval",
                                         f"phase 3 + eval {label}"))
                    for p in exp.perturbations:
                        if target.address not in p.targets:
                            continue
                        perturbed = args | {"output": str(plan.runs[(model, config.name, p.spec)]),
                                            "checkpoints_dir": str(clean_dir), "perturbation": p.spec}
                        plan.jobs.append(Job(f"{clean_id}/{p.perturbation.slug}", EVAL_TARGET, perturbed,
                                             deps + (clean_id,), cpus, gpus, "eval",
                                             f"eval {label} perturbed {p.spec} (checkpoints of the clean job)"))
    return plan

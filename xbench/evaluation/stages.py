"""Training stages (phase 3, and any chain of English stages) with content-keyed checkpoints.

A stage's checkpoint lives in ``<checkpoints>/seed-<S>/models/<chain>__<key>`` (``checkpoints``: the run
folder, or for a perturbed run the clean run's folder) where ``key`` is a hash of
everything the trained weights depend on: the base checkpoint's identity (a hash of its weight files,
or the previous stage's key), the stage's task, split, language, spec hash, recipe, data fingerprint,
training limit, checkpoint-selection rule, the code versions of the task type and of the selection
metric, the seed, the precision and the loop version. Editing a recipe, changing a data file,
selecting on another split or a new version of the code that trains or selects therefore trains a
new checkpoint instead of silently reusing an old one. ``done.json`` keeps the full stage record.

A head is reused only for the task it was trained on: a checkpoint is evaluated as is only when its
``xbench_head.json`` names the evaluated task (or ``--head-task`` names the task the head was trained
on, flagged); otherwise the training stages start from its encoder with a fresh head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from xbench.data.errors import DataFileError, LayoutError
from xbench.distributed import main_first
from xbench.errors import UserError
from xbench.evaluation.config import Stage
from xbench.evaluation.features import encode_cached
from xbench.evaluation.models import save_checkpoint, split_held_out
from xbench.locks import file_lock

# bump when the fine-tuning loop changes what it produces from the same inputs. 2: fused AdamW (other
# rounding), and per-epoch selection no longer scored with the last layer's dropout on
LOOP_VERSION = 2


class NoTrainingData(Exception):
    """A training stage's data is missing: the task's cells become 'missing' with this reason."""


def content_key(ident: dict) -> str:
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass
class PlannedStage:
    """One stage, resolved: its data, selection rule and key (nothing trained yet)."""

    stage: Stage
    spec: object
    recipe: object
    train: list[dict]
    held_out: list[dict]
    loaded: object
    record: dict
    key: str
    work: Path
    target_dev: bool = False


@dataclass
class ModelChoice:
    """The checkpoint a task is evaluated with, and how it came to be."""

    path: Path
    info: dict
    flags: list[str] = field(default_factory=list)
    identity: str | None = None  # content identity of the evaluated weights (known once trained)


def head_choice(runner, sel) -> ModelChoice | None:
    """The given checkpoint as is, when that is right: prompted evaluation (a causal LM), a zero-shot
    task type, a head trained on this task, ``--head-task`` naming the head's task (flagged), or ``--no-finetune`` (untrained head)."""
    spec = sel.task
    tt = runner.task_type(spec.doc, spec.name)
    model_path = Path(runner.model_path)
    if getattr(runner, "prompted", False):
        return ModelChoice(model_path, {"finetuned": False, "reason": f"prompted evaluation ({runner.adapter_name} adapter)"})
    if not tt.needs_training:
        return ModelChoice(model_path, {"finetuned": False, "reason": "zero-shot task type"})
    head = tt.saved_head(runner.model_path)
    if head is not None and tt.head_fits(head):
        if head.get("task") == spec.name:
            return ModelChoice(model_path, {"finetuned": False, "reason": "checkpoint carries this task's head",
                                            "head": head})
        if runner.config.head_task and head.get("task") == runner.config.head_task:
            return ModelChoice(model_path, {"finetuned": False, "head": head,
                                            "reason": f"--head-task {runner.config.head_task}: head trained on another task"},
                               [f"head_from_task={head.get('task')}"])
    if not runner.config.finetune:
        return ModelChoice(model_path, {"finetuned": False, "reason": "--no-finetune"}, ["untrained_head"])
    return None


def plan_stages(runner, sel, seed: int, reported: set) -> tuple[list[PlannedStage], list[str]]:
    """Resolve the task's training stages (data, selection rule, content keys), training nothing."""
    from xbench.models.fingerprint import weights_hash

    spec = sel.task
    stages, overridden = runner.config.stages_for(spec.name, spec.doc.get("train_stages", []))
    flags = ["train_stage_override"] if overridden else []
    flags += [f"{name}={value}" for name, value in (("train_limit", runner.config.train_limit),
                                                     ("epochs", runner.config.epochs)) if value]
    if not stages:
        raise NoTrainingData(f"task {spec.name} has no training stages (fix: --train-stages TASK:SPLIT)")
    flags += check_train_on_eval(runner, sel, stages)
    check_stage_splits(runner, spec.name, stages)
    last = runner.catalog.task(stages[-1].task)
    if last.type != spec.type:
        raise UserError(f"task {spec.name} ({spec.type}): the last training stage {stages[-1].task} is a "
                        f"{last.type} task; its head cannot be used (fix: end --train-stages with a {spec.type} task)")
    parent = {"weights": weights_hash(runner.model_path)}
    planned = []
    for i, stage in enumerate(stages):
        p = plan_stage(runner, stage, seed, reported, parent, stages[:i + 1])
        p.target_dev = i == len(stages) - 1
        planned.append(p)
        parent = {"stage": p.key}
    return planned, flags


def plan_stage(runner, stage: Stage, seed: int, reported: set, parent: dict, chain: list[Stage]) -> PlannedStage:
    """One stage's data and selection rule, and the key of the checkpoint they determine."""
    from xbench.evaluation.cell_key import code_versions, spec_hash
    from xbench.train.recipe import pick_recipe

    spec = runner.catalog.task(stage.task)
    recipe = pick_recipe(spec.doc, runner.n_layers, stage.recipe, {"epochs": runner.config.epochs})
    try:
        loaded = runner.cached_load(spec, stage.split, stage.language, runner.config.train_limit)
    except DataFileError as err:  # the file is there but unusable: the user's to repair, not a gap
        raise DataFileError(f"{err.message} (training data of stage {stage.task}:{stage.split}, {stage.language})",
                            file=err.file, line=err.line, fix=err.fix) from None
    except LayoutError:  # the data root itself cannot be read: every cell would be "missing"
        raise
    except UserError as err:
        raise NoTrainingData(f"no training data for stage {stage.task}:{stage.split} ({stage.language}): {err} "
                             f"(fix: put {stage.task}'s {stage.split} files under --data-dir, or train on data "
                             "you have: --train-stages TASK:SPLIT)") from None
    examples = loaded.dataset.to_list()
    train, held_out, selection, selection_data = examples, [], None, None
    dev_split = spec.doc.get("dev_split") or ("validation" if "validation" in spec.splits else None)
    if dev_split and dev_split != stage.split and (stage.task, dev_split, stage.language) not in reported:
        try:
            dev = runner.cached_load(spec, dev_split, stage.language, None)
            held_out = dev.dataset.to_list()
            selection, selection_data = f"{stage.task} {dev_split} ({stage.language})", dev.fingerprint
        except (DataFileError, LayoutError):  # a broken dev file is not an absent one
            raise
        except UserError:
            held_out = []
    if not held_out:  # no usable dev set: hold out 10% of the training data
        train, held_out = split_held_out(examples, seed)
        selection, selection_data = "held-out 10% of the training data", f"seeded split of {loaded.fingerprint}"
    record = {"task": stage.task, "split": stage.split, "language": stage.language, "spec_version": spec.version,
              "spec": spec_hash(spec.doc), "recipe": recipe.to_dict(), "data": loaded.fingerprint,
              "data_flags": list(loaded.flags), "train_limit": runner.config.train_limit,
              "selection": {"rule": "best epoch by " + spec.primary_metric, "on": selection, "data": selection_data},
              # the task type trains and the metric picks the epoch: a change to either's code is a new checkpoint
              "code": code_versions(runner.registry, spec.doc, [spec.primary_metric])}
    key = content_key({"parent": parent, "stage": record, "seed": seed, "precision": runner.precision,
                       "loop": LOOP_VERSION})
    name = "+".join(s.slug for s in chain)
    work = runner.checkpoints / f"seed-{seed}" / "models" / f"{name}__{key}"
    return PlannedStage(stage, spec, recipe, train, held_out, loaded, record, key, work)


def check_stage_splits(runner, target: str, stages: list[Stage]) -> None:
    """A stage on a split its task does not define is a typo, not missing data: refused at once."""
    from xbench.spec.suggest import did_you_mean

    for stage in stages:
        splits = list(runner.catalog.task(stage.task).splits)
        if stage.split not in splits:
            raise UserError(f"--train-stages (task {target}): {stage.task} has no split '{stage.split}'"
                            f"{did_you_mean(stage.split, splits)} (fix: one of {', '.join(splits)}, "
                            f"e.g. {stage.task}:{splits[0] if splits else 'train'})")


def check_train_on_eval(runner, sel, stages: list[Stage]) -> list[str]:
    """Training on the evaluated task's non-training data would leak its (parallel) test items:
    refused unless --allow-train-on-eval, and then flagged."""
    for stage in stages:
        if stage.task == sel.task.name and stage.split != "train":
            if runner.config.allow_train_on_eval:
                return ["train_on_eval"]
            raise UserError(f"task {sel.task.name}: training stage {stage.task}:{stage.split} uses evaluation "
                            f"data (its languages are translations of the same items, so evaluation would leak) "
                            f"(fix: use a training split, or --allow-train-on-eval to do it anyway, flagged)")
    return []


def trained_choice(planned: list[PlannedStage], flags: list[str]) -> ModelChoice | None:
    """The chain's final checkpoint if every stage is already trained (else None)."""
    from xbench.models.fingerprint import weights_hash
    from xbench.train.loop import load_done

    info = {"finetuned": True, "stages": []}
    for p in planned:
        done = load_done(p.work)
        if done is None:
            return None
        info["stages"].append({"key": p.key, **done.to_dict(), "reused": True})
    path = Path(info["stages"][-1]["path"])
    return ModelChoice(path, info, flags, weights_hash(str(path)))


def train_chain(runner, sel, planned: list[PlannedStage], flags: list[str], seed: int, reported: set) -> ModelChoice:
    """Train every stage not yet trained (each under a lock, so concurrent runs train it once)."""
    from xbench.models.fingerprint import weights_hash

    current, info = Path(runner.model_path), {"finetuned": True, "stages": []}
    for p in planned:
        with main_first():  # other processes of a distributed run reuse the main one's result
            result = train_stage(runner, p, current, seed, reported, target=sel if p.target_dev else None)
        info["stages"].append({"key": p.key, **result})
        current = Path(result["path"])
    return ModelChoice(current, info, flags, weights_hash(str(current)))


def train_stage(runner, p: PlannedStage, base: Path, seed: int, reported: set, target=None) -> dict:
    """Fine-tune one stage (or reuse it when already trained); the best epoch on the selection data
    is kept. Target-language dev scores of every candidate are recorded beside."""
    import torch

    from xbench.train.loop import finetune, load_done

    p.work.mkdir(parents=True, exist_ok=True)
    with file_lock(p.work / ".lock"):
        done = load_done(p.work)
        if done is not None:
            return done.to_dict() | {"reused": True}
        tt = runner.task_type(p.spec.doc, p.spec.name, p.recipe.max_length)
        features = encode_cached(tt, p.loaded, p.train, p.spec.version)
        torch.manual_seed(seed)
        model = tt.load_model(str(base))
        target_dev = runner.target_dev_sets(target, reported) if target is not None else {}
        score = runner.scorer("select")

        def select(m):
            extra = {}
            if target_dev:
                target_tt = runner.task_type(target.task.doc, target.task.name, p.recipe.max_length)
                extra["target_dev"] = {lang: score(m, ex, lang, target.task, target_tt) for lang, ex in target_dev.items()}
            return score(m, p.held_out, p.stage.language, p.spec, tt), extra

        result = finetune(model, tt, features, recipe=p.recipe, seed=seed, device=runner.device,
                          precision=runner.precision, work_dir=p.work,
                          save_model=save_checkpoint(tt, runner.tokenizer), select_fn=select if p.held_out else None,
                          save_every_seconds=runner.config.save_every_seconds, progress=runner.config.progress,
                          desc=f"train {p.stage.task}:{p.stage.split}", record=p.record)
    return result.to_dict() | {"n_train": len(p.train), "n_held_out": len(p.held_out)}

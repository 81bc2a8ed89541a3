"""Experiment files: one YAML describing a whole grid (models × intermediate configurations × targets ×
seeds), read safely, checked against ``xbench/spec/experiment.schema.json`` and the catalog, every
problem reported as one located line (file:line, field, fix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xbench.errors import SpecError, UserError
from xbench.spec import validate
from xbench.spec.suggest import did_you_mean
from xbench.spec.yamlio import read_yaml

BASELINE = "none"
TARGET_KEYS = ("languages", "split", "train_stages", "limit", "train_limit", "epochs")
TRAINING_KEYS = ("max_steps", "limit", "sampler", "learning_rate", "batch_size", "grad_accum")


@dataclass
class Intermediate:
    name: str
    tasks: list = field(default_factory=list)  # IntermediateTask; empty for the baseline
    training: dict = field(default_factory=dict)  # sampler, max_steps, limit, … (defaults merged in)

    @property
    def is_baseline(self) -> bool:
        return not self.tasks


@dataclass
class Target:
    address: str
    options: dict = field(default_factory=dict)  # languages, split, train_stages, limit, train_limit, epochs


@dataclass
class ExperimentPerturbation:
    """One entry of ``perturbations:``: evaluated for every (model, configuration) on the targets whose
    tasks it applies to (``choice_swap``: multiple-choice targets); the other targets are skipped."""

    perturbation: object  # xbench.perturbations.Perturbation
    targets: list[str]  # the addresses it is evaluated on
    skipped: list[str] = field(default_factory=list)  # addresses whose task types it does not apply to

    @property
    def spec(self) -> str:
        return self.perturbation.spec


@dataclass
class Experiment:
    name: str
    path: Path
    models: list[str]
    intermediates: list[Intermediate]
    targets: list[Target]
    seeds: list[int]
    doc: dict
    perturbations: list[ExperimentPerturbation] = field(default_factory=list)

    def setting(self, key: str, default=None):
        return self.doc.get(key, default)


def load_experiment(path: Path | str, registry=None) -> Experiment:
    from xbench.evaluation.config import EvalConfig, parse_batch_size
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog
    from xbench.train.intermediate import parse_tasks
    from xbench.train.samplers import parse_sampler

    path = Path(path)
    if path.is_dir():
        first = min(path.glob("*.yaml"), default=None)
        raise UserError(f"{path}: is a folder, not an experiment file (fix: give one experiment file"
                        f"{f', e.g. {first}' if first else ''})")
    if not path.is_file():
        raise UserError(f"{path}: no such experiment file (fix: check the path; examples/ has experiment files)")
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        what = "the file is empty" if doc is None else f"the top level is a {type(doc).__name__}"
        raise SpecError(f"{what}; an experiment file must be a mapping", file=str(path), line=1,
                        fix="give it the keys experiment:, models:, intermediate:, targets:")
    problems = validate.schema_problems(doc, "experiment")
    if problems:
        raise problems[0].to_error([path])

    def fail(keypath: tuple, message: str, fix: str | None = None):
        raise validate.Problem(keypath, message, fix).to_error([path])

    registry = registry or get_registry()
    for i, model in enumerate(doc["models"]):
        _check_model(model, i, registry, fail)
    catalog = Catalog(registry)
    defaults = dict(doc.get("intermediate_training", {}))
    intermediates = []
    for name, value in doc["intermediate"].items():
        if value == BASELINE:
            intermediates.append(Intermediate(name))
            continue
        try:
            tasks = parse_tasks(value["tasks"])
        except UserError as err:
            fail(("intermediate", name, "tasks"), str(err))
        for i, t in enumerate(tasks):
            if t.task not in catalog.tasks:
                fail(("intermediate", name, "tasks", i), f"unknown task '{t.task}'{did_you_mean(t.task, catalog.tasks)}",
                     "see `xbench tasks list`")
            # a misspelt split would otherwise surface only when phase 2 starts, after other jobs ran
            _check_split(catalog.tasks[t.task], t.split, ("intermediate", name, "tasks", i),
                         f"intermediate task {t.task}", f"{t.task}:<split>", fail)
        training = {**defaults, **{k: v for k, v in value.items() if k != "tasks"}}
        try:
            parse_sampler(training.get("sampler", "proportional"), where=f"intermediate.{name}.sampler")
        except UserError as err:
            fail(("intermediate", name, "sampler"), str(err))
        intermediates.append(Intermediate(name, tasks, training))
    # the baseline first, as the paper's table shows it
    intermediates.sort(key=lambda c: not c.is_baseline)
    targets, selected = [], {}
    for i, entry in enumerate(doc["targets"]):
        address, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        try:
            selections = catalog.select_many(address, option=None)
        except UserError as err:
            fail(("targets", i), str(err))
        names = list(dict.fromkeys(sel.task.name for sel in selections))
        named = EvalConfig(model="-", tasks=address, split=options.get("split"),
                           train_stages=options.get("train_stages"))
        for key, tasks in (("split", named.split_tasks()), ("train_stages", named.stage_targets())):
            unknown = [t for t in tasks if t not in names]
            if unknown:
                fail(("targets", i, address, key), f"names {', '.join(unknown)}, not a task of target {address}, "
                     "so it would do nothing", f"use one of {', '.join(names)}, or drop that part")
        for sel in selections:
            # (a split the task lacks planned no cell at all: the run "succeeded" with nothing done)
            split, asked = named.split_for(sel.task.name, sel.task.eval_splits[0])
            if asked:
                _check_split(sel.task, split, ("targets", i, address, "split"), f"target {sel.address}",
                             "`split: <one of them>`", fail)
            stages, _ = named.stages_for(sel.task.name, sel.task.get("train_stages") or [])
            for stage in stages:
                other = catalog.tasks.get(stage.task)
                if other is None:
                    fail(("targets", i, address, "train_stages"), f"training stage task '{stage.task}' is unknown"
                         f"{did_you_mean(stage.task, catalog.tasks)}", "see `xbench tasks list`")
                _check_split(other, stage.split, ("targets", i, address, "train_stages"),
                             f"training stage {stage.task}", f"{stage.task}:<split>", fail)
            for lang in options.get("languages", []):
                if lang not in sel.languages and lang != sel.task.doc.get("options", {}).get("reference_cell", {}).get("language"):
                    fail(("targets", i, address, "languages"), f"language '{lang}' is not a language of {sel.address}",
                         f"its languages: {' '.join(sel.languages)}")
        targets.append(Target(address, dict(options)))
        selected[address] = selections
    perturbations = [_perturbation(text, i, selected, registry, fail)
                     for i, text in enumerate(doc.get("perturbations", []))]
    try:
        parse_batch_size(doc.get("batch_size", "auto"))
    except UserError:
        fail(("batch_size",), f"{doc['batch_size']!r} is not 'auto' or a whole number >= 1",
             "e.g. `batch_size: 32`, or `batch_size: auto`")
    executor = doc.get("executor")
    if executor is not None and executor not in registry.collect("executors"):
        fail(("executor",), f"unknown executor '{executor}'{did_you_mean(executor, registry.collect('executors'))}",
             f"registered executors: {', '.join(sorted(registry.collect('executors')))}")
    return Experiment(doc["experiment"], path, list(doc["models"]), intermediates, targets,
                      list(doc.get("seeds", [1])), doc, perturbations)


def _check_split(task, split: str, keypath: tuple, what: str, form: str, fail) -> None:
    if split not in task.splits:
        fail(keypath, f"{what}: task {task.name} has no split '{split}'{did_you_mean(split, task.splits)}",
             f"use one of its splits ({', '.join(task.splits)}): {form}")


def _check_model(model: str, i: int, registry, fail) -> None:
    """An entry of ``models:`` as the model loader would find it, reported at its line (its errors
    otherwise name ``--model``, an option this command does not have)."""
    import os

    from xbench.models.aliases import alias_hint, resolve_model

    try:
        resolved = resolve_model(model, registry)
    except UserError as err:
        fail(("models", i), strip_model_option(str(err), model))
    if resolved != model or Path(model).expanduser().exists():
        return
    hint = alias_hint(model)  # a hub id that is a near-miss of an alias: offline, a typo for sure
    if hint and os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on") and not _hub_cached(model):
        fail(("models", i), f"'{model}' is neither a local folder, a registered alias nor a cached hub model{hint}",
             "give a registered alias, a checkpoint folder, or a hub id ORG/NAME")


def _hub_cached(model: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model, "config.json"), str)
    except Exception:  # noqa: BLE001 - not a valid repo id: not cached
        return False


def strip_model_option(message: str, model: str) -> str:
    """A model loader's line without its ``--model NAME:`` head (the caller says where the name is)."""
    head = f"--model {model}: "
    return f"{model}: {message[len(head):]}" if message.startswith(head) else message


def model_error(exp: Experiment, err: UserError) -> UserError:
    """A model loader's error about an entry of ``models:``, located at that entry of the file (the
    error itself when it is about something else)."""
    for i, model in enumerate(exp.models):
        if str(err).startswith(f"--model {model}: "):
            return validate.Problem(("models", i), strip_model_option(str(err), model)).to_error([exp.path])
    return err


def _perturbation(text: str, i: int, selected: dict, registry, fail) -> ExperimentPerturbation:
    """An entry of ``perturbations:``, parsed and matched with the targets it applies to: all of a
    target's tasks, or none of them (a target with some of each is an error)."""
    from xbench.perturbations.apply import applies
    from xbench.perturbations.parse import parse_perturbation

    try:
        perturbation = parse_perturbation(text, registry, option="perturbation")
    except UserError as err:
        fail(("perturbations", i), str(err))
    found = ExperimentPerturbation(perturbation, [])
    for address, selections in selected.items():
        fits = [sel.task.name for sel in selections
                if applies(registry.get("task_types", sel.task.doc["type"]).load(), perturbation)]
        if fits and len(fits) < len(selections):
            others = [sel.task.name for sel in selections if sel.task.name not in fits]
            fail(("perturbations", i), f"{perturbation.name} applies to {', '.join(fits)} but not to "
                 f"{', '.join(others)} of target {address}", "list the tasks it applies to as targets of their own")
        (found.targets if fits else found.skipped).append(address)
    if not found.targets:
        fail(("perturbations", i), f"{perturbation.name} applies to none of the targets "
             f"({', '.join(selected)})", "drop it, or add a target it applies to")
    return found

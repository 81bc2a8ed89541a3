"""Intermediate-task training (phase 2 of Phang et al. 2020): ``xbench train`` and experiment jobs.

``train_intermediate`` trains one shared encoder on one or more tasks (``TASK[:SPLIT[:LANG]]``; an
intermediate task may be in any language — XNLI de dev is as valid as XNLI en dev) and writes a
checkpoint folder that is itself a plain encoder checkpoint (``--model DIR`` works; phase 3 puts a
fresh head of its own task on it), plus ``heads/<task>/`` (each task's head weights and description)
and ``manifest.json`` (tasks, sampler, steps, seed, versions, source model hash, the content key),
written last: a folder without a manifest is unfinished and is resumed.

The content key hashes everything the weights depend on: the base weights, each task's spec, split,
language, data fingerprint and limit, its task type's code version, the recipe, sampler, steps, seed,
precision and loop version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from xbench.data.errors import DataFileError
from xbench.errors import UserError
from xbench.evaluation.cell_key import code_versions
from xbench.evaluation.config import SPLIT_ALIASES
from xbench.evaluation.stages import content_key
from xbench.locks import file_lock
from xbench.paths import write_atomic

MANIFEST = "manifest.json"
LOOP_VERSION = 2  # bump when multi-task training changes what it produces; 2: fused AdamW (other rounding)
ADDRESS = re.compile(r"^(?P<task>[a-z][a-z0-9_]*)(?::(?P<split>[a-z_]+))?(?::(?P<lang>[a-z]{2,3}))?$")


@dataclass(frozen=True)
class IntermediateTask:
    task: str
    split: str = "train"
    language: str = "en"

    @property
    def slug(self) -> str:
        return f"{self.task}.{self.split}" + ("" if self.language == "en" else f".{self.language}")


def parse_tasks(text: str | list[str]) -> list[IntermediateTask]:
    """``siqa,cosmosqa:validation,xnli:validation:de`` (split defaults to train, language to en)."""
    parts = text if isinstance(text, list) else [p.strip() for p in text.split(",")]
    out = []
    for part in filter(None, parts):
        m = ADDRESS.match(str(part))
        if not m:
            raise UserError(f"intermediate task '{part}' is not TASK[:SPLIT[:LANG]] "
                            "(e.g. siqa, cosmosqa:validation, xnli:validation:de)")
        out.append(IntermediateTask(m["task"], SPLIT_ALIASES.get(m["split"], m["split"] or "train"), m["lang"] or "en"))
    if not out:
        raise UserError("--tasks: name at least one intermediate task (e.g. siqa)")
    if len({t.task for t in out}) != len(out):
        raise UserError(f"--tasks {text!r}: a task appears twice (one head per task; use one split of it)")
    return out


@dataclass
class IntermediateSettings:
    model: str
    tasks: list[IntermediateTask]
    output: Path | None = None  # None: <XBENCH_HOME>/checkpoints/<key>
    sampler: str = "proportional"
    max_steps: int | None = None
    seed: int = 1
    limit: int | None = None  # training items per task
    data_dir: Path | None = None
    device: str = "auto"
    precision: str = "auto"
    adapter: str = "hf"
    learning_rate: float | None = None
    batch_size: int | None = None
    grad_accum: int | None = None
    save_every_seconds: float = 120.0
    progress: bool = True
    recipe_overrides: dict = field(default_factory=dict)
    trust_remote_code: bool = False  # let the model folder run its own Python code (config.json auto_map)
    allow_pickle: bool = False  # load pickle weights (pytorch_model.bin) when a folder has no safetensors

    def __post_init__(self):
        """Nonsense numbers are refused before anything loads (``xbench train`` and experiment jobs),
        by the same checks as ``EvalConfig``; messages use the CLI option names."""
        from xbench.evaluation.config import positive_int, positive_number

        self.max_steps = positive_int("--max-steps", self.max_steps, "drop it for one pass over the tasks' items")
        self.limit = positive_int("--limit", self.limit, "drop it to train on every item")
        self.batch_size = positive_int("--batch-size", self.batch_size, "drop it for the recipe's batch size")
        self.grad_accum = positive_int("--grad-accum", self.grad_accum, "drop it for the recipe's value")
        self.learning_rate = positive_number("--learning-rate", self.learning_rate,
                                             "e.g. --learning-rate 2e-5, or drop it for the recipe's")
        self.save_every_seconds = positive_number("--checkpoint-every", self.save_every_seconds,
                                                  "seconds between checkpoints, e.g. 120; 0 = every step",
                                                  zero_ok=True)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise UserError(f"--seed {self.seed!r}: must be a whole number >= 0 (fix: e.g. --seed 1)")


def read_manifest(folder: Path) -> dict | None:
    f = Path(folder) / MANIFEST
    if not f.is_file():
        return None
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


class IntermediatePlan:
    """The resolved training (data loaded, key computed); ``run()`` trains it or reuses it."""

    def __init__(self, settings: IntermediateSettings, registry=None):
        from xbench.engine.device import pick_device, pick_precision
        from xbench.models.aliases import resolve_model
        from xbench.models.fingerprint import weights_hash
        from xbench.registry import get_registry
        from xbench.spec.catalog import Catalog
        from xbench.train.recipe import pick_recipe
        from xbench.train.samplers import TaskSampler, parse_sampler

        self.settings = s = settings
        self.registry = registry or get_registry()
        self.catalog = Catalog(self.registry)
        self.model_path = resolve_model(s.model, self.registry)
        self.device = pick_device(s.device)
        self.precision = pick_precision(s.precision, self.device)
        from xbench.models.hf import make_adapter

        self.adapter = make_adapter(self.registry, s.adapter, trust_remote_code=s.trust_remote_code,
                                    allow_pickle=s.allow_pickle)
        self.n_layers = self.adapter.num_layers(self.model_path)
        if hasattr(self.adapter, "check_weights"):  # pickle-only weights are refused before any data is read
            self.adapter.check_weights(self.model_path)
        self.specs = {t.task: self.catalog.task(t.task) for t in s.tasks}
        self.loaded, self.flags = {}, []
        for t in s.tasks:
            spec = self.specs[t.task]
            if spec.type not in self.registry.collect("task_types") or not self.task_type_cls(spec).needs_training:
                raise UserError(f"intermediate task {t.task}: its type {spec.type} has no trainable head "
                                "(retrieval types cannot be intermediate tasks)")
            if t.split not in spec.splits:
                raise UserError(f"intermediate task {t.task}: no split '{t.split}' (its splits: "
                                f"{', '.join(spec.splits)}) (fix: {t.task}:<split>)")
            self.loaded[t.task] = self.load(spec, t)
            if t.split != "train":
                self.flags.append(f"intermediate_on_{t.split}:{t.task}")
        first = self.specs[s.tasks[0].task]
        overrides = {"learning_rate": s.learning_rate, "batch_size": s.batch_size, "grad_accum": s.grad_accum,
                     **s.recipe_overrides}
        self.recipe = pick_recipe(first.doc, self.n_layers, None, overrides)
        self.task_recipes = {t.task: pick_recipe(self.specs[t.task].doc, self.n_layers) for t in s.tasks}
        self.sizes = {t.task: len(self.loaded[t.task].dataset) for t in s.tasks}
        self.sampler_spec = parse_sampler(s.sampler)
        self.sampler = TaskSampler(self.sampler_spec, self.sizes, s.seed)
        from xbench.train.multitask import default_steps

        self.steps = s.max_steps or default_steps(self.sizes, self.recipe)
        if self.steps < 1:
            raise UserError(f"--max-steps {s.max_steps}: must be a positive number of optimiser steps")
        self.base_hash = weights_hash(self.model_path)
        self.record = {
            "base_weights": self.base_hash,
            "tasks": [{"task": t.task, "split": t.split, "language": t.language,
                       "spec_version": self.specs[t.task].version, "spec": _spec_hash(self.specs[t.task].doc),
                       "data": self.loaded[t.task].fingerprint, "max_length": self.task_recipes[t.task].max_length,
                       "n_train": self.sizes[t.task],
                       # the code that turns its examples into training features and losses
                       "task_type": code_versions(self.registry, self.specs[t.task].doc, [])["task_type"]}
                      for t in s.tasks],
            "limit": s.limit, "sampler": self.sampler.to_dict(), "steps": self.steps, "recipe": self.recipe.to_dict(),
            "seed": s.seed, "precision": self.precision, "selection": "last step", "loop": LOOP_VERSION}
        self.key = content_key(self.record)
        from xbench.paths import xbench_home

        self.output = Path(s.output) if s.output else xbench_home() / "checkpoints" / self.key

    def task_type_cls(self, spec):
        return self.registry.get("task_types", spec.type).load()

    def load(self, spec, t: IntermediateTask):
        if t.language not in spec.split_languages(t.split):
            raise UserError(f"intermediate task {t.task}:{t.split}: no language '{t.language}' "
                            f"(its languages there: {' '.join(spec.split_languages(t.split))})")
        try:
            return _load_split(spec, t.split, t.language, self.settings.data_dir, self.settings.limit)
        except DataFileError as err:  # there but unusable: located where it is, not "no data"
            raise DataFileError(f"{err.message} (training data of intermediate task {t.task}:{t.split}, "
                                f"{t.language})", file=err.file, line=err.line, fix=err.fix) from None
        except UserError as err:
            raise UserError(f"intermediate task {t.task}:{t.split} ({t.language}): no data ({err})") from None

    def done(self) -> dict | None:
        """The manifest of this exact training if it is already complete in the output folder."""
        manifest = read_manifest(self.output)
        return manifest if manifest is not None and manifest.get("key") == self.key else None

    def run(self, log=print) -> dict:
        """Train (resuming an interrupted run) unless already done; returns the manifest."""
        self.output.mkdir(parents=True, exist_ok=True)
        with file_lock(self.output / ".lock"):  # two runs never train the same checkpoint
            manifest = self.done()
            if manifest is not None:
                return manifest | {"reused": True}
            existing = read_manifest(self.output)
            if existing is not None:
                raise UserError(f"{self.output}: holds an intermediate checkpoint trained with other settings "
                                f"(key {existing.get('key')}, now {self.key}) (fix: another --output, or remove it)")
            return self._train(log)

    def _train(self, log) -> dict:
        import torch

        from xbench.evaluation.features import encode_cached
        from xbench.train.multitask import TaskStream, head_state, train_multitask

        s = self.settings
        tokenizer = self.adapter.load_tokenizer(self.model_path)
        models, streams = {}, {}
        for i, t in enumerate(s.tasks):
            spec = self.specs[t.task]
            tt = self.task_type_cls(spec)(spec.doc, tokenizer, max_length=self.task_recipes[t.task].max_length,
                                          adapter=self.adapter)
            examples = self.loaded[t.task].dataset.to_list()
            features = encode_cached(tt, self.loaded[t.task], examples, spec.version)
            torch.manual_seed(s.seed * 1000 + i)  # each head's initialisation depends on the seed only
            models[t.task] = tt.load_model(self.model_path)
            streams[t.task] = TaskStream(t.task, tt, features, i)
        log(f"intermediate training {'+'.join(t.slug for t in s.tasks)} (seed {s.seed}, {self.steps} steps, "
            f"sampler {self.sampler_spec}) -> {self.output}")
        out = train_multitask(models, streams, self.sampler, steps=self.steps, recipe=self.recipe, seed=s.seed,
                              device=self.device, precision=self.precision, work_dir=self.output,
                              save_every_seconds=s.save_every_seconds, progress=s.progress)
        # the folder itself is the encoder checkpoint; heads beside it; the manifest last
        out["encoder"].save_pretrained(self.output)
        tokenizer.save_pretrained(self.output)
        from safetensors.torch import save_file

        for t in s.tasks:
            folder = self.output / "heads" / t.task
            folder.mkdir(parents=True, exist_ok=True)
            save_file({k: v.detach().cpu().contiguous() for k, v in head_state(out["models"][t.task]).items()},
                      folder / "head.safetensors")
            streams[t.task].task_type.save_head_info(folder)
        import xbench

        manifest = {**self.record, "key": self.key, "model": s.model, "flags": sorted(set(self.flags)),
                    "steps_per_task": out["steps_per_task"], "resumed_from": out["resumed_from"],
                    "seconds": out["seconds"], "xbench_version": xbench.__version__,
                    "torch_version": torch.__version__}
        from xbench.train.loop import sync_tree

        sync_tree(self.output)  # the weights are on disk before the manifest that declares them complete
        write_atomic(self.output / MANIFEST, json.dumps(manifest, indent=2) + "\n")
        (self.output / "train_state.pt").unlink(missing_ok=True)  # large; the weights are saved
        return manifest


_LOADED: dict[tuple, object] = {}


def _load_split(spec, split: str, language: str, data_dir, limit):
    """A training split, loaded once per process (a plan computes keys for many seeds and models);
    keyed by the spec's content, so a changed spec is loaded anew."""
    from xbench.data import load_split

    key = (_spec_hash(spec.doc), split, language, str(data_dir), limit)
    if key not in _LOADED:
        _LOADED[key] = load_split(spec, split, language, data_dir=data_dir, limit=limit)
    return _LOADED[key]


def _spec_hash(doc: dict) -> str:
    from xbench.evaluation.runner import spec_hash

    return spec_hash(doc)


def settings_from_args(args: dict) -> IntermediateSettings:
    """Settings from a job's JSON arguments (paths as strings, tasks as TASK:SPLIT:LANG strings)."""
    known = {f.name for f in fields(IntermediateSettings)}
    values = {k: v for k, v in args.items() if k in known and v is not None}
    values["tasks"] = parse_tasks(args["tasks"])
    for key in ("output", "data_dir"):
        if values.get(key) is not None:
            values[key] = Path(values[key])
    return IntermediateSettings(**values)


def train_intermediate(settings: IntermediateSettings | dict, log=print) -> dict:
    """Plan and run one intermediate training (what ``xbench train`` and experiment jobs call)."""
    if isinstance(settings, dict):
        settings = settings_from_args(settings)
    return IntermediatePlan(settings).run(log)


def train_intermediate_job(**args) -> dict:
    """The experiment job of one phase-2 training (JSON arguments); returns its manifest."""
    return train_intermediate(args, log=lambda line: None)

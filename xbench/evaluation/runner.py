"""One evaluation run: plan cells, fine-tune through the training stages, evaluate every language.

A cell is (task address, language, split, seed). Each finished cell is written atomically as it
finishes (``xbench.results.cells.write_cell``) together with its per-item file and its prediction
file; a rerun reuses a finished cell only when its key (``xbench.evaluation.cell_key``: everything
it depends on) is unchanged and its file is intact, unless ``overwrite``. The engine knows no task by
name: what a task needs comes from its spec (training stages, splits, options) and its task type.

Pieces live beside it: ``cell_inputs`` (what a task type is handed), ``cell_key`` (the reuse key and
decision), ``cell_scores`` (metrics and bootstrap intervals) and ``stages`` (training).
"""

from __future__ import annotations

import time
from pathlib import Path

from xbench.distributed import is_main_process
from xbench.data.errors import DataFileError, LayoutError
from xbench.data.skips import MALFORMED
from xbench.errors import UserError
from xbench.evaluation import artifacts
from xbench.evaluation.cell_inputs import CellContext, CellInput, EngineSettings
from xbench.evaluation.cell_key import cell_key, reusable_cell, spec_hash
from xbench.evaluation.cell_scores import score_cell
from xbench.evaluation.config import EvalConfig, default_output
from xbench.evaluation.features import encode_cached
from xbench.evaluation.models import quiet_transformers
from xbench.evaluation.stages import NoTrainingData, head_choice, plan_stages, trained_choice, train_chain
from xbench.perturbations import apply as perturbations
from xbench.results.cells import CellResult, cell_path, write_cell

# re-exported: other modules import these from here
__all__ = ["Runner", "EngineSettings", "CellInput", "CellContext", "spec_hash", "intermediate_record"]


class Runner:
    def __init__(self, config: EvalConfig, registry=None):
        from xbench.models.aliases import resolve_model
        from xbench.registry import get_registry
        from xbench.spec.catalog import Catalog

        self.config = config
        self.registry = registry or get_registry()
        self.catalog = Catalog(self.registry)
        self.output = Path(config.output or default_output(config.model))
        self.model_path = resolve_model(config.model, self.registry)
        self._loaded = {}  # (task, split, language, limit) -> LoadedSplit, for training stages
        from xbench.train.intermediate import read_manifest

        # an intermediate-trained checkpoint (``xbench train``): its record goes into every cell
        self.intermediate = read_manifest(Path(self.model_path)) if Path(self.model_path).is_dir() else None
        self.selections = self.catalog.select_many(config.tasks)
        if not self.selections:
            raise UserError(f"--tasks {config.tasks!r} selects no task (see `xbench tasks list`)")
        self._check_languages()
        config.check_task_options(list(dict.fromkeys(sel.task.name for sel in self.selections)))
        self.checkpoints = Path(config.checkpoints_dir) if config.checkpoints_dir else self.output
        # evaluation inputs only (xbench.perturbations.apply); checked here, before anything is trained
        self.perturbation = perturbations.prepare(config.perturbation, self.registry, self.selections,
                                                  self.languages_for)
        from xbench.retrieval.layers import check_layer_override

        check_layer_override(config.retrieval_layer, self.model_path, [sel.task for sel in self.selections],
                             config.model)  # the model's depth, before any data or weights are read

    # ---- planning ---------------------------------------------------------------------------------
    def _check_languages(self) -> None:
        """Every language the user named must belong to a selected task (and, per task, to that task)."""
        names = {sel.task.name for sel in self.selections}
        if isinstance(self.config.languages, dict):
            unknown_tasks = set(self.config.languages) - names
            if unknown_tasks:
                raise UserError(f"--languages names {', '.join(sorted(unknown_tasks))}, not among the selected "
                                f"tasks ({', '.join(sorted(names))})")
        for sel in self.selections:
            wanted = self.config.languages_for(sel.task.name)
            if not wanted:
                continue
            offered = set(self.all_languages(sel))
            if isinstance(self.config.languages, dict):
                unknown = [lang for lang in wanted if lang not in offered]
            else:
                everywhere = {lang for s in self.selections for lang in self.all_languages(s)}
                unknown = [lang for lang in wanted if lang not in everywhere]
            if unknown:
                raise unknown_language_error(unknown, sel.address if isinstance(self.config.languages, dict) else
                                             ", ".join(s.address for s in self.selections),
                                             offered if isinstance(self.config.languages, dict) else everywhere)

    @staticmethod
    def all_languages(sel) -> list[str]:
        langs = list(sel.languages)
        ref = sel.task.doc.get("options", {}).get("reference_cell")
        if ref and ref["language"] not in langs:
            langs.append(ref["language"])  # e.g. English COPA beside XCOPA, outside the task mean
        return langs

    def languages_for(self, sel) -> list[str]:
        wanted = self.config.languages_for(sel.task.name)
        langs = self.all_languages(sel)
        return [lang for lang in langs if lang in wanted] if wanted else langs

    # ---- the run ----------------------------------------------------------------------------------
    def setup(self) -> None:
        """Device, precision, model adapter and tokenizer (once per runner)."""
        import torch

        from xbench.distributed import init_if_launched
        from xbench.engine.device import pick_device, pick_precision

        init_if_launched()
        quiet_transformers()
        self.device = pick_device(self.config.device)
        self.precision = pick_precision(self.config.precision, self.device)
        torch.set_grad_enabled(True)
        self.output.mkdir(parents=True, exist_ok=True)
        from xbench.models.hf import choose_adapter, make_adapter

        from xbench.evaluation.adapter_fit import check_adapter_fits, check_adapter_options

        check_adapter_fits(self.config.adapter, self.model_path, self.registry)  # before anything loads
        self.adapter_name = choose_adapter(self.config.adapter, self.model_path, self.registry)
        self.adapter = make_adapter(self.registry, self.adapter_name, trust_remote_code=self.config.trust_remote_code,
                                    allow_pickle=self.config.allow_pickle)
        # a prompted adapter (causal LM) scores answers by log-likelihood: nothing is fine-tuned
        self.prompted = bool(getattr(self.adapter, "prompted", False))
        check_adapter_options(self.config, self.adapter_name, self.prompted)
        if self.prompted and self.config.train_stages:
            raise UserError(f"--train-stages: {self.config.model} is evaluated prompted (adapter {self.adapter_name}), "
                            "which fine-tunes nothing (fix: drop --train-stages, or --adapter hf for an encoder)")
        self.tokenizer = self.adapter.load_tokenizer(self.model_path)
        from xbench.gcpause import freeze_startup

        freeze_startup()  # the model libraries are in: keep full collections from rescanning them
        self.n_layers = self.adapter.num_layers(self.model_path)
        if hasattr(self.adapter, "check_weights"):  # pickle-only weights are refused before any data is read
            self.adapter.check_weights(self.model_path)

    def run_cells(self) -> list[CellResult]:
        """Every selected task × seed: reuse finished cells, train what is missing, evaluate the rest."""
        return [cell for sel in self.selections for seed in self.config.seeds for cell in self.run_task(sel, seed)]

    def status(self) -> dict:
        """What a run would do, without training or evaluating: cells finished and to compute, and
        training stages already trained or still to train (by content key)."""
        out = {"cells": 0, "cells_done": 0, "stages": set(), "stages_done": set()}
        for sel in self.selections:
            spec = sel.task
            split, _ = self.config.split_for(spec.name, spec.eval_splits[0])
            langs = self.languages_for(sel)
            reported = {(spec.name, split, lang) for lang in langs}
            for seed in self.config.seeds:
                try:
                    choice, planned, _ = self.choose_model(sel, seed, reported)
                except NoTrainingData:
                    continue
                for p in planned:
                    out["stages"].add(p.key)
                    if (p.work / "done.json").is_file():
                        out["stages_done"].add(p.key)
                for lang in langs:
                    out["cells"] += 1
                    try:
                        loaded = self.load(sel, split, lang)
                    except UserError:
                        continue
                    if self.finished_cell(sel, split, lang, seed, self.cell_fingerprint(sel, loaded, choice),
                                          quiet=True):
                        out["cells_done"] += 1
        return out

    def run_task(self, sel, seed: int) -> list[CellResult]:
        """The task's cells for one seed. Evaluated cells are written as each finishes; missing ones
        only once the task is through: an error about the model (weights that do not load) then stops
        the run with nothing written that reads as a per-cell data gap."""
        cells = self.task_cells(sel, seed)
        if is_main_process():
            for cell in cells:
                if cell.status == "missing":
                    write_cell(self.output, cell)
        return cells

    def task_cells(self, sel, seed: int) -> list[CellResult]:
        spec = sel.task
        split, _ = self.config.split_for(spec.name, spec.eval_splits[0])
        if split not in spec.splits:
            raise UserError(f"task {spec.name}: no split '{split}' (its splits: {', '.join(spec.splits)}) "
                            f"(fix: --split {spec.name}=<one of them>)")
        langs = self.languages_for(sel)
        flags = [f"{name}={value}" for name, value in (("limit", self.config.limit),) if value]
        data, cells = {}, []
        for lang in langs:
            try:
                data[lang] = self.load(sel, split, lang, stand_in_for=None if split in spec.eval_splits
                                       else spec.eval_splits[0])
            except (DataFileError, LayoutError):  # the file (or data root) is there but cannot be read: the
                raise                              # user's to repair, not a gap
            except UserError as err:
                if lang in (self.config.languages_for(spec.name) or ()):
                    raise UserError(f"{spec.name}/{lang}: you asked for this language but its data is missing: {err}") from None
                cells.append(self.missing_cell(sel, lang, split, seed, str(err), flags))
        if not data:
            return cells
        if self.prompted:
            from xbench.prompting.evaluate import prompt_problem

            tt = self.task_type(spec.doc, spec.name)
            for lang in list(data):
                problem = prompt_problem(tt, self.prompt_doc(sel, lang), lang)
                if problem:
                    cells.append(self.missing_cell(sel, lang, split, seed, problem, flags))
                    del data[lang]
            if not data:
                return cells
        reported = {(spec.name, split, lang) for lang in langs}
        try:
            choice, planned, train_flags = self.choose_model(sel, seed, reported)
        except NoTrainingData as exc:
            return cells + [self.missing_cell(sel, lang, split, seed, str(exc), flags) for lang in data]
        todo = {}
        for lang, loaded in data.items():
            done = self.finished_cell(sel, split, lang, seed, self.cell_fingerprint(sel, loaded, choice))
            if done is not None:
                cells.append(done)
            else:
                todo[lang] = loaded
        if not todo:
            return cells
        if choice is None:  # some cell needs the fine-tuned model: train what is not trained yet
            choice = train_chain(self, sel, planned, train_flags, seed, reported)
        task_type = self.task_type(spec.doc, spec.name)
        import torch

        torch.manual_seed(seed)  # a head the checkpoint lacks (--no-finetune) is drawn from the run's seed
        model = task_type.load_model(str(choice.path)).to(self.device)
        for lang, loaded in todo.items():
            cells.append(self.evaluate_cell(sel, lang, split, seed, loaded, model, choice,
                                            flags + choice.flags + list(loaded.flags)))
        return cells

    def choose_model(self, sel, seed: int, reported: set):
        """(the checkpoint to evaluate if already known, the planned training stages, their flags)."""
        from xbench.models.fingerprint import weights_hash

        choice = head_choice(self, sel)
        if choice is not None:
            choice.identity = weights_hash(str(choice.path))
            return choice, [], choice.flags
        planned, flags = plan_stages(self, sel, seed, reported)
        return trained_choice(planned, flags), planned, flags

    def finished_cell(self, sel, split: str, lang: str, seed: int, fingerprint: str | None,
                      quiet: bool = False) -> CellResult | None:
        """The stored cell if it was computed from exactly these inputs (``xbench.evaluation.cell_key``)."""
        path = cell_path(self.output, sel.task.name, split, lang, seed)
        cell = reusable_cell(path, fingerprint, overwrite=self.config.overwrite, quiet=quiet)
        if cell is not None:
            cell.address, cell.group = sel.address, sel.group  # same data, addressed as asked now
        return cell

    # ---- data -------------------------------------------------------------------------------------
    def load(self, sel, split: str, lang: str, stand_in_for: str | None = None) -> "CellInput":
        """The examples of one cell (a reference cell reads its own task, e.g. English COPA)."""
        from xbench.data import load_split

        spec = sel.task
        ref = spec.doc.get("options", {}).get("reference_cell")
        if ref and lang == ref["language"] and lang not in spec.languages:
            spec = self.catalog.task(ref["task"])
        loaded = load_split(spec, split, lang, data_dir=self.config.data_dir, limit=self.config.limit,
                            stand_in_for=stand_in_for)
        cell = CellInput(loaded, loaded.dataset.to_list(), {})
        english = sel.task.doc.get("options", {}).get("question_from_english")
        if english and spec is sel.task:
            self.align_english_questions(cell, english, split)
        return cell

    def align_english_questions(self, cell: "CellInput", english_task: str, split: str) -> None:
        """Use the question word of the aligned English item (parallel by position)."""
        from xbench.data import load_split

        english = load_split(self.catalog.task(english_task), split, "en", data_dir=self.config.data_dir,
                             limit=self.config.limit)
        en = english.dataset.to_list()
        # a skipped row shifts every later item (with --limit the counts may still agree): refused, located
        skipped = [s for s in [*cell.loaded.skipped, *english.skipped] if s.kind == MALFORMED]
        if skipped or len(en) != len(cell.examples):
            first = skipped[0] if skipped else None
            loaded = cell.loaded
            this, other = f"{loaded.task}/{split}/{loaded.language}", f"{english_task}/{split}/en"
            raise DataFileError(f"{len(skipped)} malformed row(s) were skipped (the first: {first.reason}), so {this} "
                                f"cannot be aligned by position with its parallel English source {other} for the "
                                "question words" if first else
                                f"{this} has {len(cell.examples)} items but its parallel English source {other} has "
                                f"{len(en)}, so the question words cannot be aligned by position",
                                file=first.file if first else (loaded.files or ["<data>"])[0],
                                line=first.line if first else None,
                                fix="repair the skipped rows" if first else
                                "use both files as released (the same items, in the same order)")
        changed = 0
        for ex, ref in zip(cell.examples, en):
            changed += ex.get("question") != ref.get("question")
            ex["question"] = ref.get("question")
        cell.info["questions_from_english"] = changed

    # ---- models -----------------------------------------------------------------------------------
    def task_type(self, doc: dict, name: str, max_length: int | None = None):
        cls = self.registry.get("task_types", doc["type"]).load()
        from xbench.train.recipe import pick_recipe

        recipe = pick_recipe(doc, self.n_layers)
        if self.config.retrieval_layer is not None and "retrieval" in doc:
            doc = {**doc, "retrieval": {**doc["retrieval"], "layer_override": self.config.retrieval_layer}}
        return cls(doc, self.tokenizer, max_length=max_length or recipe.max_length, adapter=self.adapter)

    def prompt_doc(self, sel, lang: str) -> dict:
        """The spec whose prompts a cell uses: a reference-only language (English COPA beside XCOPA)
        is prompted as its own task is."""
        spec = sel.task
        ref = spec.doc.get("options", {}).get("reference_cell")
        if ref and lang == ref["language"] and lang not in spec.languages:
            return self.catalog.task(ref["task"]).for_language(lang)
        return spec.for_language(lang)

    def cell_fingerprint(self, sel, cell: CellInput, choice) -> str | None:
        """What a finished cell depends on (``xbench.evaluation.cell_key.cell_key``); None while the
        checkpoint is untrained."""
        return cell_key(self, sel, cell, choice)

    def target_dev_sets(self, sel, reported: set) -> dict[str, list[dict]]:
        """Target-language dev examples of the evaluated task, scored for every candidate checkpoint
        (zero-shot results vary with checkpoint choice); only where dev exists and is not reported."""
        spec = sel.task
        dev = spec.doc.get("dev_split") or ("validation" if "validation" in spec.splits else None)
        if dev is None or dev not in spec.splits:
            return {}
        out = {}
        for lang in self.languages_for(sel):
            if lang == "en" or (spec.name, dev, lang) in reported or lang not in spec.split_languages(dev):
                continue
            try:
                out[lang] = self.load(sel, dev, lang).examples
            except (DataFileError, LayoutError):  # a broken file is not an absent one
                raise
            except UserError:
                continue
        return out

    def cached_load(self, spec, split: str, lang: str, limit: int | None):
        """A training or selection split, loaded once per run (several targets share stages)."""
        from xbench.data import load_split

        key = (spec.name, split, lang, limit)
        if key not in self._loaded:
            self._loaded[key] = load_split(spec, split, lang, data_dir=self.config.data_dir, limit=limit)
        return self._loaded[key]

    def scorer(self, desc: str):
        """A function scoring a model on examples by a task's primary metric (checkpoint selection)."""
        engine = EngineSettings(self.device, self.precision, self.config.batch_size, False, desc)

        def score(model, examples, lang, task_spec, task_type) -> float:
            preds, _ = task_type.predict(model, examples, engine)
            fn = self.registry.get("metrics", task_spec.primary_metric).load()
            return float(fn(preds, task_type.references(examples), language=lang,
                            options=task_spec.for_language(lang).get("options")))

        return score

    # ---- cells ------------------------------------------------------------------------------------
    def missing_cell(self, sel, lang, split, seed, reason, flags) -> CellResult:
        cell = CellResult(task=sel.task.name, address=sel.address, group=sel.group, language=lang, split=split,
                          seed=seed, status="missing", missing_reason=reason, flags=list(flags),
                          info={"fingerprint": None})
        return cell  # written by run_task

    def evaluate_cell(self, sel, lang, split, seed, loaded, model, choice, flags) -> CellResult:
        spec = sel.task
        doc = spec.for_language(lang)
        tt = self.task_type(doc, spec.name)
        perturbed = perturbations.perturb_cell(tt, loaded.examples, self.perturbation, seed=seed, task=spec.name,
                                               language=lang)
        examples = perturbed.examples
        engine = EngineSettings(self.device, self.precision, self.config.batch_size, self.config.progress,
                                f"{spec.name} {lang}")
        started = time.time()
        context = CellContext(loaded.loaded, lambda other: self.load(sel, other, lang).loaded,
                              lambda task_type, exs: encode_cached(task_type, loaded.loaded, exs, spec.version),
                              lambda other: self.load(sel, other, lang).examples, sel.group)
        if self.prompted:
            from xbench.prompting.evaluate import PromptSettings

            settings = PromptSettings(spec.name, lang, split, seed, self.config.num_fewshot)
            tt = self.task_type(self.prompt_doc(sel, lang), spec.name)
            out = self.adapter.evaluate_cell(tt, model, examples, engine, context, settings)
            flags = flags + self.adapter.cell_flags(settings)
        else:
            out = tt.evaluate(model, examples, engine, context)
        out = perturbed.finish(tt, out)  # back to the clean items' order and choice indices, before scoring
        refs = out.references
        labelled = bool(refs) and all(r is not None for r in refs)
        groups = tt.resampling_groups(loaded.examples)
        scores = score_cell(self.registry, spec.name, list(spec.metrics), lang, doc.get("options"), out,
                            groups) if labelled else None
        if is_main_process():
            records = artifacts.with_subsets(out.records, loaded.examples)
            artifacts.write_items(artifacts.items_path(self.output, seed, spec.name, split, lang),
                                  artifacts.with_resampling_units(records, loaded.examples, groups))
            ext, text = out.submission
            artifacts.write_predictions(artifacts.predictions_path(self.output, seed, spec.name, split, lang, ext), text)
        flags = flags + out.flags
        ref = doc.get("options", {}).get("reference_cell")
        if ref and lang == ref["language"] and lang not in spec.languages:
            flags = flags + ["reference_only"]
        info = {"fingerprint": self.cell_fingerprint(sel, loaded, choice), "train": choice.info,
                "model_dir": str(choice.path), "weights": choice.identity,
                "source": loaded.loaded.source,
                "seconds": round(time.time() - started, 2), **loaded.info, **out.info}
        if scores is not None:
            info["bootstrap"] = scores.bootstrap  # how the intervals in ``ci`` were made
        if loaded.loaded.skipped:
            info["skipped_rows"] = len(loaded.loaded.skipped)
        if self.intermediate is not None:
            info["intermediate"], more = intermediate_record(self.intermediate, spec.name, split)
            flags = sorted(set(flags) | set(more))
        cell = CellResult(task=spec.name, address=sel.address, group=sel.group, language=lang, split=split,
                          seed=seed, metrics=scores.metrics if scores else {}, ci=scores.ci if scores else {},
                          n_items=out.n_items, flags=sorted(set(flags)),
                          status="ok" if labelled else "predict_only", info=info)
        if is_main_process():
            write_cell(self.output, cell)
        return cell


def unknown_language_error(unknown: list[str], where: str, offered) -> UserError:
    """``--languages`` named languages the selected task(s) do not have: each with its did-you-mean."""
    from xbench.languages.suggest import language_hint

    hints = {word: language_hint(word, offered) for word in unknown}
    several = len(unknown) > 1
    text = (f"--languages: unknown language{'s' if several else ''} {', '.join(repr(w) for w in unknown)} "
            f"for task{'s' if ',' in where else ''} {where}")
    if several:
        text += "".join(f"; '{w}': {h}" for w, h in hints.items() if h)
    elif hints[unknown[0]]:
        text += f"; {hints[unknown[0]]}"
    return UserError(f"{text} (languages on offer: {' '.join(sorted(offered))}) (fix: give ISO 639-1 codes from "
                     f"that list, comma-separated; `xbench languages` lists codes and names)")


def intermediate_record(manifest: dict, task: str, split: str) -> tuple[dict, list[str]]:
    """(what a cell records of the intermediate training behind its checkpoint, its flags). Intermediate
    data of the evaluated task and split is parallel to the evaluated items (translations): flagged."""
    record = {k: manifest.get(k) for k in ("key", "model", "base_weights", "tasks", "sampler", "steps", "seed")}
    flags = list(manifest.get("flags", []))
    for t in manifest.get("tasks", []):
        if t.get("task") == task and t.get("split") == split:
            flags.append(f"intermediate_parallel_to_eval:{t['task']}.{t['split']}.{t['language']}")
    return record, flags

"""The interface every task type implements, and shared helpers.

Flow: loader rows → ``canonical_row`` (a class method: the data layer needs no tokenizer or model)
→ examples (canonical dicts from ``xbench.data``) → ``encode`` → features (token ids, one or more
per example) → the engine batches them (``collate``) and runs the model → per-feature outputs (numpy
arrays) → ``decode`` → one prediction per example → ``references``/metrics, per-item records and the
official submission file.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HEAD_FILE = "xbench_head.json"


@dataclass
class CellOutput:
    predictions: list
    references: list  # None entries: unlabelled (predict-only)
    records: list[dict]  # one per item, for items/<task>/<split>-<lang>.jsonl
    submission: tuple[str, str]  # (extension, text) in XTREME's layout
    info: dict = field(default_factory=dict)  # recorded with the cell (e.g. layer used, threshold)
    flags: list[str] = field(default_factory=list)  # comparability flags the evaluation itself adds
    n_items: int | None = None  # items scored (default: len(references))
    # predictions under another decision rule, scored with every spec metric as <metric>_<variant>
    # (prompted cells: "norm", the per-character log-likelihood argmax)
    variants: dict[str, list] = field(default_factory=dict)

    def __post_init__(self):
        if self.n_items is None:
            self.n_items = len(self.references)


class TaskType:
    """Base class. Subclasses set ``auto_model`` (the transformers Auto class name for the head) and
    their canonical data: ``canonical_columns``, ``canonical_features()`` and ``canonical_row()``."""

    auto_model = "AutoModel"
    pad_fields = {"input_ids": None, "attention_mask": 0, "token_type_ids": 0}
    # code version: part of the key a finished cell is reused under (xbench.evaluation.cell_key); bump
    # when the same data and weights give other predictions, references, records or resampling groups
    version = 1

    # ---- canonical data: class-level, used by xbench.data without a tokenizer or model ------------
    canonical_columns: tuple[str, ...] = ()  # the keys of every canonical example, "id" first
    text_columns: tuple[str, ...] = ()       # string columns holding text (defaults of the data checks)
    length_unit = "characters"               # what ``text_length`` counts (data check outliers)
    # whether an item id may occur only once per data file: per-item results, analysis and paired
    # bootstrap join items by id (loading refuses a repeat; a type whose data repeats ids sets False)
    unique_item_ids = True

    @classmethod
    def canonical_features(cls):
        """The ``datasets.Features`` of ``canonical_columns`` (import ``datasets`` inside: it is heavy)."""
        raise NotImplementedError(f"{cls.__qualname__} defines no canonical_features()")

    @classmethod
    def canonical_row(cls, row: dict, fields: dict, options: dict) -> dict:
        """One canonical example from a loader row. ``fields`` is the spec's mapping (field → column),
        ``options`` the spec's ``options:``. Raise ``xbench.data.canonical.BadRow`` for a row that does
        not fit (a counted skip) and ``KeyError(column)`` for a mapped column the row lacks (the helpers
        in ``xbench.data.canonical`` do both). Set ``id`` only to override the generic stable id."""
        raise NotImplementedError(f"{cls.__qualname__} defines no canonical_row()")

    # ---- data checks (``xbench data check``; ``is_item`` also when loading): defaults for one item per row
    @classmethod
    def is_item(cls, row: dict) -> bool:
        """Whether a canonical row is an item of its own (not, e.g., a retrieval candidate); a cell
        whose rows hold no item has no data for its language."""
        return True

    @classmethod
    def count_items(cls, rows: list[dict], gold=None) -> int:
        """What the spec's ``size`` counts for a cell (``gold``: the cell's gold pairs, if any)."""
        return sum(1 for r in rows if cls.is_item(r))

    @classmethod
    def texts(cls, row: dict) -> list[str]:
        """The texts a tokenizer is measured on (default: the ``text_columns``)."""
        return [row[c] for c in cls.text_columns]

    @classmethod
    def text_length(cls, row: dict) -> int:
        """The size used for length outliers, in ``length_unit`` (default: characters of ``texts``)."""
        return sum(len(t) for t in cls.texts(row))

    @classmethod
    def has_empty_text(cls, row: dict, fields: dict) -> bool:
        """Whether a row has an empty text field (default: a blank one of ``texts``)."""
        return any(not str(t).strip() for t in cls.texts(row))

    @classmethod
    def row_labels(cls, row: dict) -> list[str]:
        """A row's labels as strings, checked against the spec's ``labels:`` (none: unlabelled)."""
        return []

    @classmethod
    def label_problem(cls, row: dict, fields: dict) -> str | None:
        """Why a row's label cannot be trained or scored by this type whatever the spec's ``labels:``
        say (e.g. a choice index with no such choice), else None; loading refuses such a row."""
        return None

    @classmethod
    def label_summary(cls, rows: list[dict], gold=None) -> str:
        """A short distribution (default: count of each label, and of unlabelled rows)."""
        counts, unlabelled = {}, 0
        for r in rows:
            labels = cls.row_labels(r)
            unlabelled += not labels
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        text = " ".join(f"{k}:{n}" for k, n in sorted(counts.items()))
        return (text + (f" unlabelled:{unlabelled}" if unlabelled else "")).strip()

    @classmethod
    def notable_rows(cls, rows: list[dict]) -> list:
        """Rows kept and scored but worth a note (``xbench.data.check.problems.Problem``s): shown as the
        loaded split's ``notes`` and by the data check."""
        return []

    @classmethod
    def row_problems(cls, rows: list[dict]) -> list:
        """Further type-specific problems the data check reports (``Problem``s)."""
        return []

    def __init__(self, spec: dict[str, Any], tokenizer, max_length: int = 128, adapter=None):
        self.spec = spec
        self.adapter = adapter  # the model adapter (default: Hugging Face transformers)
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.options = spec.get("options", {})
        self.labels = list(spec.get("labels", []))

    # ---- model ------------------------------------------------------------------------------------
    @property
    def num_labels(self) -> int:
        return len(self.labels)

    def head_info(self) -> dict:
        """What identifies a trained head: a checkpoint with the same head info is used as is."""
        return {"type": self.spec["type"], "task": self.spec["name"], "labels": self.labels}

    def load_model(self, path: str):
        """The checkpoint with this type's head (newly initialised if the checkpoint has none)."""
        kwargs = {}
        if self.num_labels:
            kwargs = {"num_labels": self.num_labels,
                      "id2label": {i: str(l) for i, l in enumerate(self.labels)},
                      "label2id": {str(l): i for i, l in enumerate(self.labels)}}
        return self.model_adapter.load_model(path, self.auto_model, ignore_mismatched_sizes=True, **kwargs)

    @property
    def model_adapter(self):
        if self.adapter is None:
            from xbench.models.hf import HFAdapter

            self.adapter = HFAdapter()
        return self.adapter

    @staticmethod
    def saved_head(path: str | Path) -> dict | None:
        """The head description a checkpoint folder carries (``xbench_head.json``), if any."""
        f = Path(path) / HEAD_FILE
        if not f.is_file():
            return None
        return json.loads(f.read_text(encoding="utf-8"))

    def head_fits(self, saved: dict) -> bool:
        """Whether a saved head has this type's shape (same type and labels). Whether it may be used
        is decided by the task it was trained on (``xbench.evaluation.stages.head_choice``)."""
        mine = self.head_info()
        return saved.get("type") == mine["type"] and [str(x) for x in saved.get("labels", [])] == [str(x) for x in mine["labels"]]

    def save_head_info(self, path: str | Path) -> None:
        (Path(path) / HEAD_FILE).write_text(json.dumps(self.head_info(), ensure_ascii=False), encoding="utf-8")

    # ---- data -------------------------------------------------------------------------------------
    def encode(self, examples: list[dict]) -> list[dict]:
        """Features for the model; each carries ``example_index`` (its example's position)."""
        raise NotImplementedError

    def collate(self, features: list[dict]):
        """Pad a batch to its own longest member (dynamic padding) and make tensors."""
        import torch

        batch = {}
        for key, pad in self.pad_fields.items():
            if key not in features[0]:
                continue
            value = self.tokenizer.pad_token_id if pad is None else pad
            batch[key] = torch.tensor(pad_nested([f[key] for f in features], value))
        if "labels" in features[0]:
            batch["labels"] = torch.tensor(self.collate_labels([f["labels"] for f in features]))
        return batch

    def collate_labels(self, labels: list):
        return labels

    @staticmethod
    def length(feature: dict) -> int:
        ids = feature["input_ids"]
        return sum(map(len, ids)) if ids and isinstance(ids[0], list) else len(ids)

    # ---- running ----------------------------------------------------------------------------------
    needs_training = True  # False for zero-shot types (retrieval) that use the encoder as it is
    reads_first_position = False  # True: the head reads position 0 ([CLS]) alone (see inference_model)

    def evaluate(self, model, examples: list[dict], engine, cell=None) -> "CellOutput":
        """Everything the engine records for one cell: predictions and references (aligned, as the
        metrics take them), per-item records and the submission file. ``cell`` gives access to the
        cell's extra data (e.g. gold pairs) and to other splits (``cell.load(split)``)."""
        features = cell.encode(self, examples) if cell is not None and cell.encode is not None else None
        preds, scores = self.predict(model, examples, engine, features)
        records = [self.item_record(ex, p, s) for ex, p, s in zip(examples, preds, scores)]
        return CellOutput(preds, self.references(examples), records, self.submission(examples, preds))

    def predict(self, model, examples: list[dict], engine, features: list[dict] | None = None) -> tuple[list, list]:
        """(predictions, per-item score summaries) for one language's examples.

        ``engine`` carries device, precision, batch size and progress settings
        (``xbench.evaluation.runner.EngineSettings``). Subclasses that do not classify feature by
        feature (retrieval) override this.
        """
        from xbench.engine.inference import run_batches

        features = self.encode(examples) if features is None else features
        with self.inference_model(model, features) as run_model:
            outputs = run_batches(run_model, features, self.collate, self.outputs, batch_size=engine.batch_size,
                                  device=engine.device, precision=engine.precision, desc=engine.desc,
                                  progress=engine.progress)
        return self.decode(examples, features, outputs), self.summaries(examples, features, outputs)

    def inference_model(self, model, features: list[dict]):
        """A context giving the model as evaluation runs it. With ``reads_first_position`` (the head
        reads the final hidden state at position 0 alone), the last encoder layer computes that
        position only, where a probe on two of ``features`` shows the same logits
        (``xbench.models.first_position``); otherwise the model as it is."""
        if not self.reads_first_position or not features:
            return contextlib.nullcontext(model)
        from xbench.models.first_position import PROBE_ITEMS, first_position_only

        return first_position_only(model, self.collate(features[:PROBE_ITEMS]))

    def summaries(self, examples: list[dict], features: list[dict], outputs: list) -> list:
        """Per-item scores kept in the items file (default: the example's first feature's logits)."""
        out = [None] * len(examples)
        for f, o in zip(features, outputs):
            if out[f["example_index"]] is None and getattr(o, "ndim", 0) == 1:
                out[f["example_index"]] = [round(float(x), 5) for x in o]
        return out

    # ---- perturbed evaluation (``xbench eval --perturb``, ``xbench.perturbations``) ------------------
    perturbable: tuple[str, ...] = ("words",)  # the kinds of perturbation (``Perturbation.acts_on``) handled

    def perturbation_key(self, example: dict):
        """What, with the run's seed, task and language, seeds an item's noise (default: its id)."""
        return example.get("id")

    def perturb(self, example: dict, perturbation, rng, language: str) -> tuple[dict, dict]:
        """(the example as evaluated under ``perturbation``, the changed fields' new values — recorded
        in the items file as ``perturbed``). Default: every ``text_columns`` text, as running text in
        the cell's language."""
        from xbench.perturbations import perturb_fields

        return perturb_fields(example, self.text_columns, perturbation, rng, language)

    def perturbed_output(self, out: CellOutput, examples: list[dict], changes: list[dict]) -> CellOutput:
        """A perturbed evaluation's output, made comparable item by item with the clean one
        (``examples``: the clean examples; ``changes``: what ``perturb`` changed in each). Default: each
        record whose ``id`` is an item's gets that item's changes as ``perturbed``."""
        by_id = {ex.get("id"): change for ex, change in zip(examples, changes) if self.is_item(ex)}
        for record in out.records:
            if record.get("id") in by_id:
                record["perturbed"] = by_id[record["id"]]
        return out

    # ---- prompted evaluation (causal LMs, ``xbench.prompting``) ------------------------------------
    def prompt_slots(self, example: dict, words: dict) -> tuple[dict, list[dict]]:
        """(the item's template slots, one dict per answer) for a spec's ``prompts:``. Each answer
        dict holds that answer's own slots (e.g. ``choice``, ``word``) and ``answer``: the prediction
        it stands for. ``words`` is the prompt's word mapping for this language. A type without a
        prompted form (tagging, span QA, retrieval) keeps this default."""
        raise NotImplementedError(f"task type {self.spec['type']} has no prompted form")

    @classmethod
    def has_prompted_form(cls) -> bool:
        return cls.prompt_slots is not TaskType.prompt_slots

    # ---- outputs ----------------------------------------------------------------------------------
    def outputs(self, model_output, batch) -> list[np.ndarray]:
        """Per-feature arrays from one batch's model output (logits, without padding)."""
        return list(model_output.logits.float().cpu().numpy())

    def decode(self, examples: list[dict], features: list[dict], outputs: list[np.ndarray]) -> list:
        raise NotImplementedError

    def references(self, examples: list[dict]) -> list:
        return [ex["label"] for ex in examples]

    def resampling_groups(self, examples: list[dict]) -> tuple[str, list] | None:
        """(the unit's name, one group label per reference) when items are not independent, so the
        bootstrap resamples groups of them with all their items (a cluster bootstrap); None (default):
        each item is a unit."""
        return None

    def item_record(self, example: dict, prediction, output_summary: Any = None) -> dict:
        ref = self.references([example])[0]
        return {"id": example.get("id"), "prediction": prediction, "reference": ref, "correct": prediction == ref,
                "scores": output_summary}

    def submission(self, examples: list[dict], predictions: list) -> tuple[str, str]:
        """(extension, file text) in XTREME's submission layout; default one label per line."""
        return "tsv", "".join(f"{p}\n" for p in predictions)


def pad_nested(rows: list, value) -> list:
    """Pad lists (or lists of lists, for multiple choice) to a common length."""
    if rows and rows[0] and isinstance(rows[0][0], list):
        width = max(len(seq) for row in rows for seq in row)
        return [[seq + [value] * (width - len(seq)) for seq in row] for row in rows]
    width = max(len(r) for r in rows)
    return [list(r) + [value] * (width - len(r)) for r in rows]

"""Sentence(-pair) classification: XNLI, PAWS-X, MNLI, QQP, ANLI.

Canonical example: id, text_a, text_b ("" for single sentences), label (string; "" unlabelled).
"""

from __future__ import annotations

import numpy as np

from xbench.data import canonical as C
from xbench.errors import UserError
from xbench.tasktypes.base import TaskType


class SequenceClassification(TaskType):
    auto_model = "AutoModelForSequenceClassification"
    reads_first_position = True  # the head reads [CLS]/<s> alone (pooler or first-token head)

    # ---- canonical data ---------------------------------------------------------------------------
    canonical_columns = ("id", "text_a", "text_b", "label")
    text_columns = ("text_a", "text_b")

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Value

        return Features({c: Value("string") for c in cls.canonical_columns})

    @classmethod
    def canonical_row(cls, row, fields, options):
        label = C.optional(row, fields, "label")
        return {"text_a": C.text(row, fields, "text_a", None), "text_b": C.text(row, fields, "text_b"),
                "label": "" if label is None else str(label)}

    @classmethod
    def has_empty_text(cls, row, fields):
        # a single-sentence task maps no text_b: its "" is not an empty field
        return not row["text_a"].strip() or ("text_b" in fields and not row["text_b"].strip())

    @classmethod
    def row_labels(cls, row):
        return [row["label"]] if row["label"] != "" else []

    @classmethod
    def notable_rows(cls, rows):
        from xbench.data.check.problems import collect

        found = collect(rows, lambda r: "NS" in (r["text_a"].strip(), r["text_b"].strip()), "ns_rows",
                        "{n} untranslated 'NS' placeholder rows (kept and scored, as XTREME's preprocessing does)")
        return [found] if found else []

    def _label_index(self, value, example) -> int:
        try:
            return self._index[str(value)]
        except KeyError:
            raise UserError(f"task {self.spec['name']}: item {example.get('id')}: label {value!r} is not in the "
                            f"spec's labels {self.labels} (fix: correct the data or the spec's `labels:`)") from None

    def encode(self, examples):
        self._index = {str(l): i for i, l in enumerate(self.labels)}
        texts_a = [ex["text_a"] for ex in examples]
        texts_b = [ex["text_b"] for ex in examples] if "text_b" in examples[0] else None
        enc = self.tokenizer(texts_a, texts_b, truncation=True, max_length=self.max_length)
        features = []
        for i, ex in enumerate(examples):
            f = {k: enc[k][i] for k in enc.keys()}
            f["example_index"] = i
            if ex.get("label") not in (None, ""):  # "": unlabelled
                f["labels"] = self._label_index(ex["label"], ex)
            features.append(f)
        return features

    def prompt_slots(self, example, words):
        # one answer per label, in the spec's label order; `word`: the prompt's word for the label
        slots = {"text_a": example["text_a"], "text_b": example.get("text_b", "")}
        return slots, [{"label": str(l), "word": words.get(str(l)), "answer": str(l)} for l in self.labels]

    def decode(self, examples, features, outputs):
        preds = [None] * len(examples)
        for f, logits in zip(features, outputs):
            preds[f["example_index"]] = str(self.labels[int(np.argmax(logits))])
        return preds

    def references(self, examples):
        return [str(ex["label"]) if ex.get("label") not in (None, "") else None for ex in examples]

"""The ``sentence_pair_regression`` task type: how similar are two sentences, on a graded scale (STS-style).

A new kind of task, not a renamed built-in: its examples have their own canonical schema (id,
sentence1, sentence2, score: a float, None when unlabelled), its model has a one-output regression
head (``AutoModelForSequenceClassification`` with ``num_labels=1``: transformers trains it with mean
squared error), and its predictions are numbers, scored by how they rank the pairs (``pairwise_accuracy``).
Fine-tuned on English pairs, evaluated zero-shot on pairs in other languages.

Spec options: ``score_range: [low, high]`` (a score outside it is a counted skip).
"""

from __future__ import annotations

import math

from xbench.data import canonical as C
from xbench.tasktypes.base import TaskType


class SentencePairRegression(TaskType):
    auto_model = "AutoModelForSequenceClassification"

    # ---- canonical data: what xbench's data layer calls (class methods, no model needed) ----------
    canonical_columns = ("id", "sentence1", "sentence2", "score")
    text_columns = ("sentence1", "sentence2")  # the default data checks: empty texts, lengths, tokenizer

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Value

        return Features({"id": Value("string"), "sentence1": Value("string"), "sentence2": Value("string"),
                         "score": Value("float64")})

    @classmethod
    def canonical_row(cls, row, fields, options):
        # C.text raises KeyError for a mapped column the row lacks, BadRow for an unmapped required field
        return {"sentence1": C.text(row, fields, "sentence1", None),
                "sentence2": C.text(row, fields, "sentence2", None),
                "score": cls._score(C.optional(row, fields, "score"), options.get("score_range"))}

    @staticmethod
    def _score(value, score_range) -> float | None:
        if value is None or value == "":
            return None  # unlabelled
        if isinstance(value, bool):
            raise C.BadRow(f"score {value!r} is not a number")
        try:
            score = float(value)
        except (TypeError, ValueError):
            raise C.BadRow(f"score {value!r} is not a number") from None
        if not math.isfinite(score):
            raise C.BadRow(f"score {value!r} is not a finite number")
        if score_range and not score_range[0] <= score <= score_range[1]:
            raise C.BadRow(f"score {score:g} is outside {score_range[0]}..{score_range[1]}")
        return score

    @classmethod
    def label_summary(cls, rows, gold=None):
        scores = [r["score"] for r in rows if r["score"] is not None]
        unlabelled = len(rows) - len(scores)
        text = f"scores {min(scores):g}..{max(scores):g}, mean {sum(scores) / len(scores):.2f}" if scores else ""
        return (text + (f" unlabelled:{unlabelled}" if unlabelled else "")).strip()

    # ---- model ------------------------------------------------------------------------------------
    @property
    def num_labels(self) -> int:
        return 1

    def load_model(self, path: str):
        return self.model_adapter.load_model(path, self.auto_model, ignore_mismatched_sizes=True, num_labels=1,
                                             problem_type="regression")

    def encode(self, examples):
        enc = self.tokenizer([ex["sentence1"] for ex in examples], [ex["sentence2"] for ex in examples],
                             truncation=True, max_length=self.max_length)
        features = []
        for i, ex in enumerate(examples):
            f = {k: enc[k][i] for k in enc.keys()}
            f["example_index"] = i
            if ex.get("score") is not None:
                f["labels"] = float(ex["score"])
            features.append(f)
        return features

    def decode(self, examples, features, outputs):
        preds = [None] * len(examples)
        for f, out in zip(features, outputs):
            preds[f["example_index"]] = float(out[0])
        return preds

    def references(self, examples):
        return [None if ex.get("score") is None else float(ex["score"]) for ex in examples]

    def item_record(self, example, prediction, output_summary=None):
        ref = self.references([example])[0]
        return {"id": example.get("id"), "prediction": round(prediction, 5), "reference": ref,
                "abs_error": None if ref is None else round(abs(prediction - ref), 5)}

    def submission(self, examples, predictions):
        # one predicted score per line, in the order of the items (as STS submissions are)
        return "tsv", "".join(f"{p:.5f}\n" for p in predictions)

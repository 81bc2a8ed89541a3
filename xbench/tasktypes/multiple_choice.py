"""Multiple choice: COPA, XCOPA, SIQA, Cosmos QA, CommonsenseQA, HellaSwag, RACE.

Each choice is encoded as the pair (first part, choice); the model scores every pair and the
highest score wins. The first part is the context, with the question worked in by the spec's
``options.question_template`` (XCOPA, XTREME-R recipe: "{context} What was the {question}?") or
appended as is. XCOPA's question word must come from the aligned English item (the published
question field disagrees in th/tr/sw); the engine supplies it as ``question`` before encoding when
the spec says ``options.question_from_english``.

Canonical example: id, context, question ("" when unmapped), choices (list of strings), label
(0-based int; -1 unlabelled).
"""

from __future__ import annotations

import json

import numpy as np

from xbench.data import canonical as C
from xbench.errors import UserError
from xbench.tasktypes.base import TaskType


class MultipleChoice(TaskType):
    auto_model = "AutoModelForMultipleChoice"
    reads_first_position = True  # the head reads [CLS]/<s> alone (pooler or first-token head)

    # ---- canonical data ---------------------------------------------------------------------------
    canonical_columns = ("id", "context", "question", "choices", "label")

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Sequence, Value

        s = Value("string")
        return Features({"id": s, "context": s, "question": s, "choices": Sequence(s), "label": Value("int64")})

    @classmethod
    def canonical_row(cls, row, fields, options):
        choices = C.choice_list(row, fields["choices"])
        return {"context": C.text(row, fields, "context", None), "question": C.text(row, fields, "question"),
                "choices": choices, "label": C.choice_label(C.optional(row, fields, "label"), len(choices))}

    @classmethod
    def texts(cls, row):
        return [row["context"], row["question"], *row["choices"]]

    @classmethod
    def text_length(cls, row):
        return len(row["context"])

    @classmethod
    def has_empty_text(cls, row, fields):
        return not row["context"].strip() or not row["choices"] or any(not c.strip() for c in row["choices"])

    @classmethod
    def row_labels(cls, row):
        return [str(row["label"])] if row["label"] != -1 else []

    @classmethod
    def label_problem(cls, row, fields):
        n = len(row["choices"])
        if -1 <= row["label"] < n:
            return None
        names = fields.get("choices")
        of = "/".join(names) if isinstance(names, list) else f"the {n} choices in column {names!r}"
        return f"label {row['label']} is outside {{{', '.join(map(str, range(n)))}}}: it is the index of {of}"

    @property
    def num_labels(self) -> int:
        return 0  # the head scores each choice; there is no label vocabulary

    def head_info(self) -> dict:
        return {"type": self.spec["type"], "task": self.spec["name"], "labels": []}

    def first_part(self, ex: dict) -> str:
        template = self.options.get("question_template")
        if template and ex.get("question") is not None:
            return template.format(**ex)
        if ex.get("question"):
            return f"{ex['context']} {ex['question']}".strip()
        return ex["context"]

    def encode(self, examples):
        firsts, seconds, owners = [], [], []
        for i, ex in enumerate(examples):
            first = self.first_part(ex)
            for choice in ex["choices"]:
                firsts.append(first)
                seconds.append(choice)
                owners.append(i)
        enc = self.tokenizer(firsts, seconds, truncation=True, max_length=self.max_length)
        features = [{k: [] for k in enc.keys()} | {"example_index": i} for i in range(len(examples))]
        for row, owner in enumerate(owners):
            for k in enc.keys():
                features[owner][k].append(enc[k][row])
        for i, ex in enumerate(examples):
            if ex.get("label") not in (None, -1):  # -1: unlabelled
                features[i]["labels"] = int(ex["label"])
        return features

    # ---- perturbed evaluation ---------------------------------------------------------------------
    perturbable = ("words", "choices")

    def perturb(self, example, perturbation, rng, language):
        """Text perturbations: the context, the question and every choice. A question the spec's
        ``options.question_template`` fills in (COPA/XCOPA's "cause"/"effect") is a slot word, not
        text, and stays. ``choices`` perturbations reorder the choices; the label follows its choice."""
        from xbench.perturbations import perturb_fields

        choices = list(example["choices"])
        if perturbation.acts_on == "choices":
            order = perturbation.permutation(len(choices), rng)
            if order == list(range(len(choices))):
                return example, {}
            new = {**example, "choices": [choices[j] for j in order]}
            if example.get("label") not in (None, -1):
                new["label"] = order.index(int(example["label"]))
            return new, {"choices": new["choices"], "permutation": order}
        fields = ("context",) if self.options.get("question_template") else ("context", "question")
        new, changed = perturb_fields(example, fields, perturbation, rng, language)
        perturbed = [perturbation.text(c, rng, language) for c in choices]
        if perturbed != choices:
            new["choices"] = changed["choices"] = perturbed
        return new, changed

    def perturbed_output(self, out, examples, changes):
        """Predictions, references and per-choice scores of permuted items are mapped back to the
        original choice order (predictions and records hold the item's id in the same order)."""
        orders = {}
        for ex, change in zip(examples, changes):
            if "permutation" in change:
                if orders.get(ex.get("id"), change["permutation"]) != change["permutation"]:
                    raise UserError(f"task {self.spec['name']}: item id {ex.get('id')!r} occurs twice with different "
                                    "choice orders, so predictions cannot be mapped back (fix: give items unique ids)")
                orders[ex.get("id")] = change["permutation"]
        if orders:
            def back(value, order):
                return order[value] if isinstance(value, int) else value

            for k, record in enumerate(out.records[:len(out.predictions)]):
                order = orders.get(record.get("id"))
                if order is None:
                    continue
                out.predictions[k] = back(out.predictions[k], order)
                out.references[k] = back(out.references[k], order)
                for preds in out.variants.values():
                    preds[k] = back(preds[k], order)
                for key in ("prediction", "prediction_norm", "reference"):
                    if key in record:
                        record[key] = back(record[key], order)
                if "correct" in record:
                    record["correct"] = record["prediction"] == record["reference"]
                for key in ("scores", "choices"):  # per shown choice -> per original choice
                    if isinstance(record.get(key), list) and len(record[key]) == len(order):
                        record[key] = [record[key][order.index(j)] for j in range(len(order))]
            out.submission = self.submission(examples, out.predictions)
        return super().perturbed_output(out, examples, changes)

    def prompt_slots(self, example, words):
        # `connective`: the prompt's word for the question (XCOPA/COPA: cause -> "because")
        question = example.get("question") or ""
        slots = {"context": example["context"], "question": question, "connective": words.get(question)}
        return slots, [{"choice": c, "answer": i} for i, c in enumerate(example["choices"])]

    def decode(self, examples, features, outputs):
        preds = [None] * len(examples)
        for f, scores in zip(features, outputs):
            preds[f["example_index"]] = int(np.argmax(scores))
        return preds

    def references(self, examples):
        return [int(ex["label"]) if ex.get("label") not in (None, -1) else None for ex in examples]

    def submission(self, examples, predictions):
        # XTREME-R's xcopa submission: jsonl with an int label per line
        return "jsonl", "".join(json.dumps({"label": int(p)}) + "\n" for p in predictions)

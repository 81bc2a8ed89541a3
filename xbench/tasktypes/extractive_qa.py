"""Extractive QA (SQuAD 1.1/2.0, XQuAD, MLQA, TyDiQA-GoldP), as XTREME's run_squad does it.

Contexts longer than ``max_length`` become several windows (``doc_stride`` tokens apart); the
question is cut to ``max_query_length`` tokens; an answer is the best span over all windows among
the ``n_best`` start and end logits, at most ``max_answer_length`` tokens long. Windows that do not
contain the answer are trained to point at the first token (no answer in this window).

Canonical example: id, title, question, context, answers {text: [...], answer_start: [...]}.
Bootstrap intervals resample articles (or paragraphs), not questions (``resampling_groups``).
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from xbench.data import canonical as C
from xbench.tasktypes.base import TaskType, pad_nested

DEFAULTS = {"doc_stride": 128, "max_query_length": 64, "n_best": 20, "max_answer_length": 30}


class ExtractiveQA(TaskType):
    auto_model = "AutoModelForQuestionAnswering"
    version = 4  # 2: the bootstrap resamples articles (paragraphs when untitled); 3: repeated ids flagged;
    # 4: items files name each question's resampling unit (xbench analyze resamples the same units)

    # ---- canonical data ---------------------------------------------------------------------------
    canonical_columns = ("id", "title", "question", "context", "answers")
    text_columns = ("question", "context")
    # XTREME's TyDiQA split shortens ids so that questions share them: evaluation flags it
    # (repeated_question_ids=N) and per-item analysis numbers the repeats
    unique_item_ids = False

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Sequence, Value

        s = Value("string")
        return Features({"id": s, "title": s, "question": s, "context": s,
                         "answers": {"text": Sequence(s), "answer_start": Sequence(Value("int64"))}})

    @classmethod
    def canonical_row(cls, row, fields, options):
        answers = C.value(row, fields["answers"])
        if not isinstance(answers, dict) or len(answers.get("text", [])) != len(answers.get("answer_start", [])):
            raise C.BadRow("answers must be {text: [...], answer_start: [...]} of equal length")
        return {"title": C.text(row, fields, "title"), "question": C.text(row, fields, "question", None),
                "context": C.text(row, fields, "context", None),
                "answers": {"text": [str(t) for t in answers["text"]],
                            "answer_start": [int(a) for a in answers["answer_start"]]}}

    @classmethod
    def text_length(cls, row):
        return len(row["context"])

    @classmethod
    def has_empty_text(cls, row, fields):
        return (not row["question"].strip() or not row["context"].strip()
                or any(not t.strip() for t in row["answers"]["text"]))

    @classmethod
    def label_summary(cls, rows, gold=None):
        unanswerable = sum(1 for r in rows if not r["answers"]["text"] or not any(r["answers"]["text"]))
        return f"no answer:{unanswerable}" if unanswerable else "all answered"

    @classmethod
    def row_problems(cls, rows):
        from xbench.data.check.problems import collect

        def off(r):
            ctx = r["context"]
            return any(ctx[s:s + len(t)] != t for t, s in zip(r["answers"]["text"], r["answers"]["answer_start"]) if t)
        found = collect(rows, off, "answer_offset", "{n} questions with an answer text not at its answer_start")
        return [found] if found else []

    def __init__(self, spec, tokenizer, max_length: int = 384, adapter=None):
        super().__init__(spec, tokenizer, max_length, adapter)
        self.settings = {k: int(self.options.get(k, v)) for k, v in DEFAULTS.items()}
        self.with_negative = bool(self.options.get("version_2_with_negative", False))

    @property
    def num_labels(self) -> int:
        return 0

    def head_info(self) -> dict:
        return {"type": self.spec["type"], "task": self.spec["name"], "labels": []}

    def perturb(self, example, perturbation, rng, language):
        """The question only: the context and the answers' character offsets into it stay valid."""
        from xbench.perturbations import perturb_fields

        return perturb_fields(example, ("question",), perturbation, rng, language)

    def _short_question(self, question: str) -> str:
        q = question.lstrip()
        enc = self.tokenizer(q, add_special_tokens=False, return_offsets_mapping=True)
        limit = self.settings["max_query_length"]
        if len(enc["input_ids"]) <= limit:
            return q
        return q[:enc["offset_mapping"][limit - 1][1]]

    def encode(self, examples):
        questions = [self._short_question(ex["question"]) for ex in examples]
        contexts = [ex["context"] for ex in examples]
        enc = self.tokenizer(questions, contexts, truncation="only_second", max_length=self.max_length,
                             stride=self.settings["doc_stride"], return_overflowing_tokens=True,
                             return_offsets_mapping=True)
        features = []
        for i in range(len(enc["input_ids"])):
            ex_index = enc["overflow_to_sample_mapping"][i]
            seq_ids = enc.sequence_ids(i)
            offsets = [o if s == 1 else None for o, s in zip(enc["offset_mapping"][i], seq_ids)]
            f = {k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
            f.update(example_index=ex_index, offsets=offsets)
            answers = examples[ex_index].get("answers")
            if answers is not None:
                f["start_positions"], f["end_positions"] = self._positions(answers, offsets)
            features.append(f)
        return features

    @staticmethod
    def _positions(answers: dict, offsets: list) -> tuple[int, int]:
        """Token span of the first gold answer in this window, or (0, 0) when it is not inside."""
        texts, starts = answers.get("text") or [], answers.get("answer_start") or []
        if not texts:
            return 0, 0
        a_start = int(starts[0])
        a_end = a_start + len(texts[0])
        in_ctx = [i for i, o in enumerate(offsets) if o is not None]
        if not in_ctx or offsets[in_ctx[0]][0] > a_start or offsets[in_ctx[-1]][1] < a_end:
            return 0, 0
        start = next(i for i in in_ctx if offsets[i][1] > a_start)
        end = next(i for i in reversed(in_ctx) if offsets[i][0] < a_end)
        return start, end

    def collate(self, features):
        import torch

        batch = {}
        for key, pad in self.pad_fields.items():
            if key in features[0]:
                value = self.tokenizer.pad_token_id if pad is None else pad
                batch[key] = torch.tensor(pad_nested([f[key] for f in features], value))
        if "start_positions" in features[0]:
            batch["start_positions"] = torch.tensor([f["start_positions"] for f in features])
            batch["end_positions"] = torch.tensor([f["end_positions"] for f in features])
        return batch

    def outputs(self, model_output, batch):
        starts = model_output.start_logits.float().cpu().numpy()
        ends = model_output.end_logits.float().cpu().numpy()
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        return [np.stack([s[:n], e[:n]]) for s, e, n in zip(starts, ends, lengths)]

    def decode(self, examples, features, outputs):
        n_best, max_len = self.settings["n_best"], self.settings["max_answer_length"]
        best: list[tuple[float, str]] = [(-np.inf, "") for _ in examples]
        null: list[float] = [np.inf for _ in examples]
        for f, out in zip(features, outputs):
            i = f["example_index"]
            start_logits, end_logits = out
            offsets = f["offsets"]
            null[i] = min(null[i], float(start_logits[0] + end_logits[0]))
            starts = np.argsort(start_logits)[::-1][:n_best]
            ends = np.argsort(end_logits)[::-1][:n_best]
            context = examples[i]["context"]
            for s in starts:
                if offsets[s] is None:
                    continue
                for e in ends:
                    if offsets[e] is None or e < s or e - s + 1 > max_len:
                        continue
                    score = float(start_logits[s] + end_logits[e])
                    if score > best[i][0]:
                        best[i] = (score, context[offsets[s][0]:offsets[e][1]])
        preds = []
        for (score, text), null_score in zip(best, null):
            preds.append("" if self.with_negative and null_score > score else text)
        return preds

    def summaries(self, examples, features, outputs):
        return [None] * len(examples)

    def references(self, examples):
        # no gold answer texts: unlabelled (XTREME blanks test answers); SQuAD 2.0 impossible questions
        # are labelled with no answers, which the spec marks with options.version_2_with_negative
        out = []
        for ex in examples:
            texts = [t for t in (ex.get("answers") or {}).get("text") or [] if t]
            out.append(texts if texts or self.with_negative else None)
        return out

    def resampling_groups(self, examples):
        """Questions on one article share its text and topic, so they are not independent: the unit is
        the article (its title; XQuAD, MLQA), else the paragraph (its context; TyDiQA-GoldP has no titles)."""
        if examples and all(ex.get("title") for ex in examples):
            return "article", [ex["title"] for ex in examples]
        return "paragraph", [ex.get("context") or "" for ex in examples]

    def item_record(self, example, prediction, output_summary=None):
        return {"id": example.get("id"), "prediction": prediction, "reference": self.references([example])[0]}

    def evaluate(self, model, examples, engine, cell=None):
        out = super().evaluate(model, examples, engine, cell)
        counts = Counter(str(ex["id"]) for ex in examples)
        repeated = sum(n for n in counts.values() if n > 1)
        if repeated:  # the submission layout cannot hold them all: say so rather than score a lossy file
            out.flags.append(f"repeated_question_ids={repeated}")
        return out

    def submission(self, examples, predictions) -> tuple[str, str]:
        """XTREME's QA layout: one JSON object {question id: answer text}."""
        return "json", json.dumps({str(ex["id"]): p for ex, p in zip(examples, predictions)}, ensure_ascii=False)

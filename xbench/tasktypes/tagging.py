"""Token tagging (UD POS, PAN-X NER, CCG supertags), following XTREME's preprocessing.

Only the first sub-token of each word carries a label (others are ignored with -100). Sentences
longer than ``max_length`` sub-tokens are split into segments at word boundaries and the
predictions merged back, so every word gets a prediction. A word the tokenizer turns into nothing
(e.g. a lone U+200C) is replaced by the unknown token, as XTREME's scripts do.

Canonical example: id, tokens, tags (empty when unlabelled).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from xbench.data import canonical as C
from xbench.errors import UserError
from xbench.tasktypes.base import TaskType

IGNORE = -100


class TokenTagging(TaskType):
    auto_model = "AutoModelForTokenClassification"

    # ---- canonical data ---------------------------------------------------------------------------
    canonical_columns = ("id", "tokens", "tags")
    length_unit = "tokens"

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Sequence, Value

        return Features({"id": Value("string"), "tokens": Sequence(Value("string")), "tags": Sequence(Value("string"))})

    @classmethod
    def canonical_row(cls, row, fields, options):
        tokens, tags = C.value(row, fields["tokens"]), C.optional(row, fields, "tags") or []
        if not isinstance(tokens, list) or not isinstance(tags, list):
            raise C.BadRow("tokens and tags must be lists")
        if tags and len(tags) != len(tokens):
            raise C.BadRow(f"{len(tokens)} tokens but {len(tags)} tags")
        return {"tokens": [str(t) for t in tokens], "tags": [str(t) for t in tags]}

    @classmethod
    def texts(cls, row):
        return [" ".join(row["tokens"])]

    @classmethod
    def text_length(cls, row):
        return len(row["tokens"])

    @classmethod
    def has_empty_text(cls, row, fields):
        return not row["tokens"] or any(not t.strip() for t in row["tokens"])

    @classmethod
    def row_labels(cls, row):
        return list(row["tags"])

    @classmethod
    def label_summary(cls, rows, gold=None):
        tags = Counter(t for r in rows for t in r["tags"])
        total = sum(tags.values())
        if not total:
            return "unlabelled"
        top = ", ".join(f"{t} {100 * n / total:.0f}%" for t, n in tags.most_common(3))
        return f"{len(tags)} tags; {top}"

    # ---- perturbed evaluation ---------------------------------------------------------------------
    def perturb(self, example, perturbation, rng, language):
        """The word list itself, so every word keeps exactly one tag: a dropped word takes its tag
        with it, swapped words move with theirs, a word changed in place (character noise, a
        code-switched translation) keeps its tag. A new word must be one token."""
        tokens, tags = list(example["tokens"]), list(example.get("tags") or [])
        out = perturbation.words(tokens, rng, language) if tokens else []
        bad = [w for _, w in out if not w or any(ch.isspace() for ch in w)]
        if bad:
            raise UserError(f"task {self.spec['name']}: perturbation {perturbation.name} turned a word into "
                            f"{bad[0]!r}, not one token, so the tags would no longer align (fix the perturbation: "
                            "words() must return one non-empty token without whitespace per word)")
        new_tokens = [w for _, w in out]
        if new_tokens == tokens:
            return example, {}
        changed = {"tokens": new_tokens}
        if tags:
            new_tags = [tags[i] for i, _ in out]
            if new_tags != tags:
                changed["tags"] = new_tags
        return {**example, **changed}, changed

    def collate_labels(self, labels):
        from xbench.tasktypes.base import pad_nested

        return pad_nested(labels, IGNORE)

    def _segments(self, words: list[str], pieces: list[int]) -> list[tuple[int, int]]:
        """[start, end) word ranges whose sub-tokens fit in max_length (minus special tokens)."""
        budget = self.max_length - self.tokenizer.num_special_tokens_to_add(pair=False)
        spans, start, used = [], 0, 0
        for w, n in enumerate(pieces):
            n = min(n, budget)  # a single over-long word is truncated inside its own segment
            if used + n > budget and w > start:
                spans.append((start, w))
                start, used = w, 0
            used += n
        spans.append((start, len(words)))
        return spans

    def encode(self, examples):
        index = {t: i for i, t in enumerate(self.labels)}
        unk = self.tokenizer.unk_token
        features = []
        for i, ex in enumerate(examples):
            words = [w if w else unk for w in ex["tokens"]]
            piece_ids = self.tokenizer(words, add_special_tokens=False, is_split_into_words=False)["input_ids"]
            words = [w if ids else unk for w, ids in zip(words, piece_ids)]
            pieces = [max(1, len(ids)) for ids in piece_ids]
            tags = ex.get("tags") or None  # empty: unlabelled (e.g. XTREME's test files)
            for start, end in self._segments(words, pieces):
                enc = self.tokenizer(words[start:end], is_split_into_words=True, truncation=True,
                                     max_length=self.max_length)
                word_ids = enc.word_ids()
                f = {k: enc[k] for k in enc.keys()}
                f.update(example_index=i, word_offset=start, n_words=end - start,
                         first_positions=first_positions(word_ids))
                if tags is not None:
                    labels = [IGNORE] * len(word_ids)
                    for w, pos in enumerate(f["first_positions"]):
                        if pos >= 0:
                            try:
                                labels[pos] = index[tags[start + w]]
                            except KeyError:
                                raise UserError(f"task {self.spec['name']}: item {ex.get('id')}: tag "
                                                f"{tags[start + w]!r} is not in the spec's labels "
                                                f"(fix: add it to `labels:` or correct the data)") from None
                    f["labels"] = labels
                features.append(f)
        return features

    def outputs(self, model_output, batch):
        logits = model_output.logits.float().cpu().numpy()
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        return [row[:n] for row, n in zip(logits, lengths)]

    def decode(self, examples, features, outputs):
        preds = [[None] * len(ex["tokens"]) for ex in examples]
        for f, logits in zip(features, outputs):
            sent = preds[f["example_index"]]
            for w, pos in enumerate(f["first_positions"]):
                if pos >= 0:
                    sent[f["word_offset"] + w] = self.labels[int(np.argmax(logits[pos]))]
        fallback = "O" if "O" in self.labels else self.labels[0]
        # a word cut off by truncation inside an over-long single word keeps the fallback tag
        return [[t if t is not None else fallback for t in sent] for sent in preds]

    def references(self, examples):
        return [list(ex["tags"]) if ex.get("tags") else None for ex in examples]

    def item_record(self, example, prediction, output_summary=None):
        ref = self.references([example])[0]
        return {"id": example.get("id"), "prediction": prediction, "reference": ref,
                "correct_tokens": None if ref is None else sum(p == r for p, r in zip(prediction, ref)),
                "n_tokens": len(prediction)}

    def submission(self, examples, predictions):
        # one tag per token per line, a blank line between sentences (XTREME's panx/udpos layout)
        return "tsv", "".join("".join(f"{t}\n" for t in sent) + "\n" for sent in predictions)


def first_positions(word_ids: list) -> list[int]:
    """Position of each word's first sub-token (-1 if it has none in this segment)."""
    n = max((w for w in word_ids if w is not None), default=-1) + 1
    out = [-1] * n
    for pos, w in enumerate(word_ids):
        if w is not None and out[w] < 0:
            out[w] = pos
    return out

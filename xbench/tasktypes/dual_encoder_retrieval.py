"""Dual-encoder retrieval: rank a candidate pool for each query (LAReQA, Mewsli-X).

Queries and candidates are embedded by the same encoder (the spec's retrieval layer and pooling,
L2-normalised; a candidate with context is encoded as the pair (candidate, context)), candidates
ranked by cosine similarity, and the top ``retrieval.top_k`` (default 20) ids scored with the
spec's metric (LAReQA mAP@20, Mewsli-X MRR@20). XTREME-R fine-tunes the dual encoder on English
first (SQuAD for LAReQA, Wikipedia mention-entity pairs for Mewsli-X); xbench does not train dual
encoders yet, so these cells evaluate the checkpoint as given and are flagged
``dual_encoder_not_finetuned``.

Canonical example: id, kind ("query"/"candidate"), query, targets (candidate ids), candidate_id,
candidate, candidate_context. Query rows leave the candidate columns "", candidate rows the query
ones; a candidate's id is its candidate id.
"""

from __future__ import annotations

import json

from xbench.data import canonical as C
from xbench.errors import UserError
from xbench.tasktypes.base import CellOutput, TaskType
from xbench.tasktypes.bitext_retrieval import BitextRetrieval


class DualEncoderRetrieval(BitextRetrieval):
    # ---- canonical data (every data method of BitextRetrieval is replaced) -------------------------
    canonical_columns = ("id", "kind", "query", "targets", "candidate_id", "candidate", "candidate_context")
    text_columns = ()

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Sequence, Value

        s = Value("string")
        return Features({"id": s, "kind": s, "query": s, "targets": Sequence(s), "candidate_id": s,
                         "candidate": s, "candidate_context": s})

    @classmethod
    def canonical_row(cls, row, fields, options):
        if row.get("kind", "query") == "candidate":
            candidate_id = C.text(row, fields, "candidate_id", None)
            return {"kind": "candidate", "query": "", "targets": [], "candidate_id": candidate_id,
                    "candidate": C.text(row, fields, "candidate", None),
                    "candidate_context": C.text(row, fields, "candidate_context"), "id": candidate_id}
        targets = C.optional(row, fields, "targets")
        targets = [] if targets is None else [targets] if isinstance(targets, (str, int)) else list(targets)
        return {"kind": "query", "query": C.text(row, fields, "query", None), "targets": [str(t) for t in targets],
                "candidate_id": "", "candidate": "", "candidate_context": ""}

    @classmethod
    def is_item(cls, row):
        return row["kind"] != "candidate"

    @classmethod
    def count_items(cls, rows, gold=None):
        return sum(1 for r in rows if cls.is_item(r))  # the spec counts queries

    @classmethod
    def texts(cls, row):
        return [row["query"] or row["candidate"]]

    @classmethod
    def text_length(cls, row):
        return len(row["query"] or row["candidate"])

    @classmethod
    def has_empty_text(cls, row, fields):
        return not row["query"].strip() and not row["candidate"].strip()

    @classmethod
    def label_summary(cls, rows, gold=None):
        queries = sum(1 for r in rows if r["kind"] == "query")
        return f"queries:{queries} candidates:{len(rows) - queries}"

    # ---- perturbed evaluation (BitextRetrieval's choices do not apply) ------------------------------
    def perturbation_key(self, example):
        return TaskType.perturbation_key(self, example)

    def perturb(self, example, perturbation, rng, language):
        """The queries only; the candidate pool is left as is."""
        from xbench.perturbations import perturb_fields

        if example.get("kind") != "query":
            return example, {}
        return perturb_fields(example, ("query",), perturbation, rng, language)

    def perturbed_output(self, out, examples, changes):
        return TaskType.perturbed_output(self, out, examples, changes)

    def evaluate(self, model, examples, engine, cell=None) -> CellOutput:
        import torch

        from xbench.retrieval.knn import knn

        queries = [ex for ex in examples if ex.get("kind") == "query"]
        candidates = [ex for ex in examples if ex.get("kind") == "candidate"]
        if not queries or not candidates:
            raise UserError(f"{self.spec['name']}: need query and candidate rows "
                            f"({len(queries)} queries, {len(candidates)} candidates) — check the data layout")
        choice = self.layer(model)
        q = self.embed(model, [ex["query"] for ex in queries], engine, choice.layer)
        texts = [ex["candidate"] if not ex.get("candidate_context") else f"{ex['candidate']} {ex['candidate_context']}"
                 for ex in candidates]
        c = self.embed(model, texts, engine, choice.layer)
        k = min(int(self.retrieval.get("top_k", 20)), len(candidates))
        ranked = knn(q.to(torch.float32), c.to(torch.float32), k).indices.tolist()
        ids = [ex["candidate_id"] for ex in candidates]
        predictions = [[ids[j] for j in row] for row in ranked]
        references = [list(ex["targets"]) for ex in queries]
        records = [{"id": ex["id"], "prediction": p, "reference": r} for ex, p, r in zip(queries, predictions, references)]
        submission = json.dumps({str(ex["id"]): p for ex, p in zip(queries, predictions)}, ensure_ascii=False)
        info = {"layer": choice.describe(), "pooling": self.retrieval.get("pooling", "mean"),
                "n_queries": len(queries), "n_candidates": len(candidates), "top_k": k}
        return CellOutput(predictions, references, records, ("json", submission), info,
                          ["dual_encoder_not_finetuned"])

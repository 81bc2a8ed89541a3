"""Bitext retrieval with sentence embeddings: Tatoeba (nearest neighbour) and BUCC (margin mining).

The spec's ``retrieval.mode`` chooses the behaviour (never the shape of the data): ``tatoeba``
(aligned pairs, cosine nearest neighbour, XTREME's sorted-English prediction file) or ``bucc``
(k-NN ratio-margin mining with greedy 1:1 selection, threshold tuned on the dev gold). Data of the
other shape is an error naming the mode.

The encoder is read out of any checkpoint (raw pretrained, intermediate-trained or fine-tuned with a
head): one hidden layer chosen by the spec's ``retrieval.layers`` for the model's depth, else its
``layer_rule``; mean or CLS pooling; L2-normalised. Each distinct token sequence is encoded once and
its vector reused for every sentence that tokenises to it, so identical inputs get bitwise-identical
embeddings whatever the batch shapes (exact ties stay exact and go to the lower index). Embeddings
are cached on disk under ``$XBENCH_HOME/cache/embeddings`` keyed by the weights' hash, layer,
pooling, max length and the sentences. The layer used is recorded with every cell.

BUCC duplicates (spec ``options.duplicates``): ``drop`` (default, XTREME's scorer: mined pairs on a
text that occurs under several ids are dropped) or ``all`` (every id combination; flagged
``bucc_duplicates=all``). Tatoeba cells of a group listed in ``retrieval.finetuned_encoder_groups``
(XTREME-R, which embeds with a SQuAD-fine-tuned encoder) are flagged ``encoder_not_finetuned`` when
the checkpoint carries no record of task fine-tuning (see ``encoder_training``).

Canonical example: id, source, target, source_id, target_id. Aligned pairs (Tatoeba) fill both sides;
mining data (BUCC) has one row per sentence, filling the side named by its ``side`` column (spec
option ``side_column``) and leaving the other side "".
"""

from __future__ import annotations

from pathlib import Path

from xbench.data import canonical as C
from xbench.errors import UserError
from xbench.paths import xbench_home
from xbench.tasktypes.base import CellOutput, TaskType

EMBED_BATCH_CPU = 64
MODES = ("tatoeba", "bucc")
# bump when the vectors computed for the same weights, layer, pooling and sentences change
EMBED_VERSION = 2  # 2: one forward pass per distinct token sequence
# config ``architectures`` of checkpoints without a task head (pretrained or bare encoders)
UNTRAINED_ARCHITECTURE_SUFFIXES = ("Model", "ForMaskedLM", "ForPreTraining", "LMHeadModel", "ForCausalLM")


class BitextRetrieval(TaskType):
    auto_model = "AutoModel"
    needs_training = False
    version = 2  # 2: BUCC references carry the data's source sentences (the bootstrap's population)

    # ---- canonical data ---------------------------------------------------------------------------
    canonical_columns = ("id", "source", "target", "source_id", "target_id")
    text_columns = ("source",)  # the non-English side: the language being measured

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Value

        return Features({c: Value("string") for c in cls.canonical_columns})

    @classmethod
    def canonical_row(cls, row, fields, options):
        side = row.get(options.get("side_column", "side"))
        if side in ("source", "target"):
            other = "target" if side == "source" else "source"
            return {side: C.text(row, fields, side, None), f"{side}_id": C.text(row, fields, f"{side}_id"),
                    other: "", f"{other}_id": ""}
        return {"source": C.text(row, fields, "source", None), "target": C.text(row, fields, "target", None),
                "source_id": C.text(row, fields, "source_id"), "target_id": C.text(row, fields, "target_id")}

    @classmethod
    def is_item(cls, row):
        return bool(row["source"]) or not row["target"]  # a mining target sentence is not an item

    @classmethod
    def count_items(cls, rows, gold=None):
        return len(gold) if gold is not None else len(rows)  # mining: the spec counts gold pairs

    @classmethod
    def text_length(cls, row):
        return len(row["source"] or row["target"])

    @classmethod
    def has_empty_text(cls, row, fields):
        if row["source"] and row["target"]:
            return not row["source"].strip() or not row["target"].strip()
        return not row["source"].strip() and not row["target"].strip()  # a mining row fills one side

    @classmethod
    def label_summary(cls, rows, gold=None):
        src = sum(1 for r in rows if r["source"])
        tgt = sum(1 for r in rows if r["target"])
        both = sum(1 for r in rows if r["source"] and r["target"])
        text = f"pairs:{both}" if both == len(rows) else f"source:{src} target:{tgt}"
        return text + (f" gold:{len(gold)}" if gold is not None else "")

    def __init__(self, spec, tokenizer, max_length: int = 512, adapter=None):
        retrieval = spec.get("retrieval", {})
        super().__init__(spec, tokenizer, int(retrieval.get("max_length", 512)), adapter)
        self.retrieval = retrieval

    @property
    def num_labels(self) -> int:
        return 0

    def load_model(self, path: str):
        model = self.model_adapter.load_model(path, "AutoModel")  # a checkpoint with a head yields its encoder
        model.xbench_path = str(path)
        return model

    # ---- embeddings -------------------------------------------------------------------------------
    def layer(self, model):
        from xbench.retrieval.layers import choose_layer

        return choose_layer(model.config.num_hidden_layers, self.retrieval.get("layers"),
                            self.retrieval.get("layer_rule"), self.retrieval.get("layer_override"))

    def embed(self, model, sentences: list[str], engine, layer: int):
        """[n, hidden] float32 L2-normalised embeddings, from the cache when possible."""
        import torch

        from xbench.engine.inference import run_batches
        from xbench.retrieval import embed_cache
        from xbench.retrieval.layers import l2_normalize, pool

        pooling = self.retrieval.get("pooling", "mean")
        weights = _weights_fingerprint(model)
        key = embed_cache.cache_key(weights=weights, layer=layer, pooling=pooling,
                                    data=embed_cache.sentences_fingerprint(sentences),
                                    extra={"max_length": self.max_length, "embed_version": EMBED_VERSION})
        cache = embed_cache.EmbeddingCache(xbench_home() / "cache" / "embeddings")

        def compute():
            enc = self.tokenizer(sentences, truncation=True, max_length=self.max_length)
            features, inverse = unique_features([{k: enc[k][i] for k in enc.keys()} for i in range(len(sentences))])

            def to_outputs(output, batch):
                hidden = output.hidden_states[layer]
                return list(pool(hidden, batch["attention_mask"], pooling).cpu())

            def forward(**batch):
                return model(**batch, output_hidden_states=True)

            size = engine.batch_size if engine.batch_size != "auto" or engine.device.type != "cpu" else EMBED_BATCH_CPU
            rows = run_batches(_Callable(model, forward), features, self.collate, to_outputs, batch_size=size,
                               device=engine.device, precision=engine.precision, desc=engine.desc,
                               progress=engine.progress)
            if not rows:
                return torch.zeros(0, model.config.hidden_size)
            # one vector per distinct sequence, copied (bitwise) to each of its sentences
            return l2_normalize(torch.stack(rows))[torch.tensor(inverse, dtype=torch.long)]

        vectors, _ = cache.get_or_compute(key, compute)
        return vectors

    # ---- perturbed evaluation ---------------------------------------------------------------------
    def query_side(self) -> str:
        """The side whose sentences are the queries: Tatoeba's English (``target``) in the official
        ``en_to_xx`` direction, the non-English ``source`` for ``xx_to_en``; BUCC mines both ways, and
        its non-English ``source`` sentences are the ones perturbed."""
        if self.mode() == "tatoeba" and self.retrieval.get("direction", "en_to_xx") == "en_to_xx":
            return "target"
        return "source"

    def perturbation_key(self, example):
        # BUCC deduplicates identical sentences: they must get identical noise to stay duplicates
        return example.get("source") if self.mode() == "bucc" else example.get("id")

    def perturb(self, example, perturbation, rng, language):
        """The query side only (``query_side``); the searched side is left as is. The target side
        is English."""
        from xbench.perturbations import perturb_fields

        side = self.query_side()
        return perturb_fields(example, (side,), perturbation, rng, "en" if side == "target" else language)

    def perturbed_output(self, out, examples, changes):
        """Tatoeba rows follow the sorted English lines: perturbed English sorts differently, so the
        rows (predictions, records, the prediction file) are put back in the clean sorted order that
        XTREME's gold file has. BUCC records name their source sentence by ``source_id``."""
        if self.mode() == "bucc":
            by_id = {ex.get("source_id"): change for ex, change in zip(examples, changes) if ex.get("source")}
            for record in out.records:
                record["perturbed"] = by_id.get(record.get("source_id"), {})
            return out
        if self.query_side() == "target":
            from xbench.retrieval.tatoeba import SortedEnglish

            row_of = {gold: row for row, gold in enumerate(out.references)}
            rows = [row_of[gold] for gold in SortedEnglish.from_lines([ex["target"] for ex in examples]).original_index]
            out.predictions = [out.predictions[r] for r in rows]
            out.references = [out.references[r] for r in rows]
            out.records = [{**out.records[r], "row": new} for new, r in enumerate(rows)]
            out.submission = ("tsv", "".join(f"{p}\n" for p in out.predictions))
        return super().perturbed_output(out, examples, changes)

    # ---- evaluation -------------------------------------------------------------------------------
    def mode(self) -> str:
        """``retrieval.mode`` of the spec: ``tatoeba`` or ``bucc`` (required; the data never decides)."""
        mode = self.retrieval.get("mode")
        if mode not in MODES:
            raise UserError(f"{self.spec['name']}: field retrieval.mode is {mode!r}; a bitext_retrieval spec "
                            f"must name its behaviour (fix the spec: retrieval.mode: {' or '.join(MODES)})")
        return mode

    def evaluate(self, model, examples, engine, cell=None) -> CellOutput:
        mode = self.mode()
        choice = self.layer(model)
        info = {"mode": mode, "layer": choice.describe(), "pooling": self.retrieval.get("pooling", "mean")}
        if mode == "tatoeba":
            return self._tatoeba(model, examples, engine, choice.layer, info, cell)
        return self._bucc(model, examples, engine, choice.layer, info, cell)

    def _tatoeba(self, model, examples, engine, layer, info, cell=None) -> CellOutput:
        from xbench.retrieval.tatoeba import SortedEnglish, retrieve

        unpaired = sum(1 for ex in examples if not (ex.get("source") and ex.get("target")))
        if unpaired:
            raise UserError(f"{self.spec['name']}: retrieval.mode is tatoeba (aligned sentence pairs) but {unpaired} "
                            f"of {len(examples)} rows fill only one side, as mining data does (fix the spec's "
                            f"retrieval.mode, or the data layout)")
        flags = []
        groups = self.retrieval.get("finetuned_encoder_groups") or []
        group = getattr(cell, "group", None)
        if group is not None and group in groups:
            training = encoder_training(model)
            info["encoder_training"] = training
            if training is None:
                flags.append("encoder_not_finetuned")
        direction = self.retrieval.get("direction", "en_to_xx")
        english = SortedEnglish.from_lines([ex["target"] for ex in examples])
        xx = self.embed(model, [ex["source"] for ex in examples], engine, layer)
        en = self.embed(model, list(english.texts), engine, layer)
        result = retrieve(xx, en, english, direction=direction)
        records = []
        for row, (pred, gold) in enumerate(zip(result.predictions, result.gold)):
            records.append({"row": row, "id": examples[gold]["id"] if direction == "en_to_xx" else examples[row]["id"],
                            "prediction": pred, "reference": gold, "correct": pred == gold})
        text = "".join(f"{p}\n" for p in result.predictions)
        return CellOutput(list(result.predictions), list(result.gold), records, ("tsv", text),
                          info | {"direction": direction}, flags)

    def _bucc(self, model, examples, engine, layer, info, cell) -> CellOutput:
        from xbench.metrics.retrieval import GoldPairs
        from xbench.retrieval.bucc import UniqueSentences, mine
        from xbench.retrieval.bucc_scoring import (DUPLICATE_POLICIES, OFFICIAL_DUPLICATES, candidate_pairs, evaluate,
                                                   select_threshold)

        duplicates = self.options.get("duplicates", OFFICIAL_DUPLICATES)
        if duplicates not in DUPLICATE_POLICIES:
            raise UserError(f"{self.spec['name']}: unknown duplicates policy {duplicates!r} (field options.duplicates; "
                            f"use one of {', '.join(DUPLICATE_POLICIES)})")

        def candidates(rows):
            paired = sum(1 for r in rows if r.get("source") and r.get("target"))
            if paired:
                raise UserError(f"{self.spec['name']}: retrieval.mode is bucc (mining two monolingual corpora, one row "
                                f"per sentence) but {paired} rows are aligned pairs, e.g. the hub export that holds only "
                                f"the gold pairs (fix: use the local BUCC files, or the spec's retrieval.mode)")
            src = [r for r in rows if r.get("source")]
            tgt = [r for r in rows if r.get("target")]
            if not src or not tgt:
                raise UserError(f"{self.spec['name']}: mining needs sentences on both sides "
                                f"({len(src)} source, {len(tgt)} target)")
            s = UniqueSentences.from_rows([r["source_id"] for r in src], [r["source"].strip() for r in src])
            t = UniqueSentences.from_rows([r["target_id"] for r in tgt], [r["target"].strip() for r in tgt])
            mined = mine(self.embed(model, list(s.texts), engine, layer),
                         self.embed(model, list(t.texts), engine, layer), k=int(self.retrieval.get("k", 4)))
            return candidate_pairs(mined, s, t, duplicates=duplicates)

        gold = set(map(tuple, cell.loaded.gold)) if cell is not None and cell.loaded.gold else None
        pairs = candidates(examples)
        dev_split = self.spec.get("dev_split", "validation")
        threshold, tuned_on = None, None
        if cell is not None and cell.loaded.split != dev_split:
            dev = cell.load(dev_split)  # the threshold comes from dev ("sample") gold, applied here
            if not dev.gold:
                raise self._no_gold(dev, f"the {dev_split} split the threshold of {cell.loaded.split} is tuned on")
            dev_pairs = candidates(dev.dataset.to_list())
            threshold = select_threshold(dev_pairs, set(map(tuple, dev.gold))).threshold
            tuned_on = dev_split
        elif gold is None:
            raise self._no_gold(cell.loaded if cell is not None else None, "the split evaluated")
        result = evaluate(pairs, gold, threshold=threshold)
        info |= {"duplicates": duplicates,
                 "threshold": result.threshold, "threshold_tuned_on": tuned_on or cell.loaded.split if cell else None,
                 "precision": result.scores.precision, "recall": result.scores.recall,
                 "n_candidates": len(pairs), "n_predicted": len(result.pairs)}
        predicted = set(result.pairs)
        records = [{"source_id": p.src_id, "target_id": p.tgt_id, "score": round(p.score, 6),
                    "predicted": (p.src_id, p.tgt_id) in predicted,
                    "gold": None if gold is None else (p.src_id, p.tgt_id) in gold} for p in pairs]
        text = "".join(f"{s}\t{t}\n" for s, t in result.pairs)
        flags = ["threshold_tuned_on_scored_gold"] if result.tuned_on_scored_gold else []
        if duplicates != OFFICIAL_DUPLICATES:
            flags.append(f"bucc_duplicates={duplicates}")
        # the bootstrap's population: the data's source sentences, whatever was predicted (bucc_f1)
        sources = {r["source_id"] for r in examples if r.get("source")}
        reference = GoldPairs.of(gold, sources) if gold is not None else None
        return CellOutput([predicted], [reference], records, ("tsv", text), info, flags, n_items=len(sources))


    def _no_gold(self, loaded, role: str) -> UserError:
        """No gold pairs where the mining threshold must be tuned: which cell, which files, the way out."""
        if loaded is None:
            return UserError(f"{self.spec['name']}: no gold pairs to tune the mining threshold on "
                             f"(fix: evaluate through xbench eval, which reads the split's gold file)")
        pair = f"{loaded.language}-en"
        return UserError(f"{self.spec['name']}/{loaded.language} ({pair}): no gold pairs for {role} "
                         f"({loaded.split}; read {', '.join(loaded.files) or loaded.source}) (fix: put the {pair} "
                         f"gold file ({pair}.<split>.gold, <source-id><TAB><en-id> per line) beside them, as the "
                         f"data layout's `gold:` option names it)")


class _Callable:
    """Wraps a model so the engine's ``model(**batch)`` asks for hidden states."""

    def __init__(self, model, forward):
        self.model, self.forward = model, forward

    def __call__(self, **batch):
        return self.forward(**batch)

    def eval(self):
        self.model.eval()
        return self


def unique_features(features: list[dict]) -> tuple[list[dict], list[int]]:
    """(each distinct feature once, in order of first occurrence; for every input, the position of its
    feature among them). Features are equal when every field (token ids, type ids, mask) is."""
    position: dict[tuple, int] = {}
    unique, inverse = [], []
    for feature in features:
        signature = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(feature.items()))
        slot = position.setdefault(signature, len(unique))
        if slot == len(unique):
            unique.append(feature)
        inverse.append(slot)
    return unique, inverse


def encoder_training(model) -> dict | None:
    """What records that the evaluated encoder was fine-tuned on a task, or None when nothing does.

    Evidence, in order: an xbench head file (``xbench_head.json``: the task it was trained on), an
    ``xbench train`` manifest (its intermediate tasks), or a config ``architectures`` entry naming a
    task head (e.g. ``XLMRobertaForQuestionAnswering``) rather than a bare or pretraining model.
    """
    from xbench.train.intermediate import read_manifest

    path = getattr(model, "xbench_path", None)
    if path and Path(path).is_dir():
        head = TaskType.saved_head(path)
        if head is not None:
            return {"head_task": head.get("task")}
        manifest = read_manifest(Path(path))
        if manifest is not None:
            return {"intermediate_tasks": [t.get("task") for t in manifest.get("tasks", [])]}
    heads = [a for a in (getattr(model.config, "architectures", None) or [])
             if not a.endswith(UNTRAINED_ARCHITECTURE_SUFFIXES)]
    return {"architecture": heads[0]} if heads else None


def _weights_fingerprint(model) -> str:
    from xbench.retrieval.embed_cache import checkpoint_fingerprint, state_dict_fingerprint

    path = getattr(model, "xbench_path", None)
    if path and Path(path).is_dir():
        return checkpoint_fingerprint(Path(path))
    return state_dict_fingerprint(model.state_dict())

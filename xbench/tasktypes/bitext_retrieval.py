"""Bitext retrieval with sentence embeddings: Tatoeba (nearest neighbour) and BUCC (margin mining).

The encoder is read out of any checkpoint (raw pretrained, intermediate-trained or fine-tuned with a
head): one hidden layer chosen by the spec's ``retrieval.layers`` for the model's depth, else its
``layer_rule``; mean or CLS pooling; L2-normalised. Embeddings are cached on disk under
``$XBENCH_HOME/cache/embeddings`` keyed by the weights' hash, layer, pooling, max length and the
sentences. The layer used is recorded with every cell.

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


class BitextRetrieval(TaskType):
    auto_model = "AutoModel"
    needs_training = False

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
                                    extra={"max_length": self.max_length})
        cache = embed_cache.EmbeddingCache(xbench_home() / "cache" / "embeddings")

        def compute():
            enc = self.tokenizer(sentences, truncation=True, max_length=self.max_length)
            features = [{k: enc[k][i] for k in enc.keys()} for i in range(len(sentences))]

            def to_outputs(output, batch):
                hidden = output.hidden_states[layer]
                return list(pool(hidden, batch["attention_mask"], pooling).cpu())

            def forward(**batch):
                return model(**batch, output_hidden_states=True)

            size = engine.batch_size if engine.batch_size != "auto" or engine.device.type != "cpu" else EMBED_BATCH_CPU
            rows = run_batches(_Callable(model, forward), features, self.collate, to_outputs, batch_size=size,
                               device=engine.device, precision=engine.precision, desc=engine.desc,
                               progress=engine.progress)
            return l2_normalize(torch.stack(rows)) if rows else torch.zeros(0, model.config.hidden_size)

        vectors, _ = cache.get_or_compute(key, compute)
        return vectors

    # ---- evaluation -------------------------------------------------------------------------------
    def evaluate(self, model, examples, engine, cell=None) -> CellOutput:
        choice = self.layer(model)
        info = {"layer": choice.describe(), "pooling": self.retrieval.get("pooling", "mean")}
        aligned = all(ex.get("source") and ex.get("target") for ex in examples)
        if aligned:
            return self._tatoeba(model, examples, engine, choice.layer, info)
        return self._bucc(model, examples, engine, choice.layer, info, cell)

    def _tatoeba(self, model, examples, engine, layer, info) -> CellOutput:
        from xbench.retrieval.tatoeba import SortedEnglish, retrieve

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
                          info | {"direction": direction})

    def _bucc(self, model, examples, engine, layer, info, cell) -> CellOutput:
        from xbench.retrieval.bucc import UniqueSentences, mine
        from xbench.retrieval.bucc_scoring import candidate_pairs, evaluate, select_threshold

        def candidates(rows):
            src = [r for r in rows if r.get("source")]
            tgt = [r for r in rows if r.get("target")]
            if not src or not tgt:
                raise UserError(f"{self.spec['name']}: mining needs sentences on both sides "
                                f"({len(src)} source, {len(tgt)} target)")
            s = UniqueSentences.from_rows([r["source_id"] for r in src], [r["source"].strip() for r in src])
            t = UniqueSentences.from_rows([r["target_id"] for r in tgt], [r["target"].strip() for r in tgt])
            mined = mine(self.embed(model, list(s.texts), engine, layer),
                         self.embed(model, list(t.texts), engine, layer), k=int(self.retrieval.get("k", 4)))
            return candidate_pairs(mined, s, t)

        gold = set(map(tuple, cell.loaded.gold)) if cell is not None and cell.loaded.gold else None
        pairs = candidates(examples)
        dev_split = self.spec.get("dev_split", "validation")
        threshold, tuned_on = None, None
        if cell is not None and cell.loaded.split != dev_split:
            dev = cell.load(dev_split)  # the threshold comes from dev ("sample") gold, applied here
            dev_pairs = candidates(dev.dataset.to_list())
            threshold = select_threshold(dev_pairs, set(map(tuple, dev.gold or []))).threshold
            tuned_on = dev_split
        result = evaluate(pairs, gold, threshold=threshold)
        info |= {"threshold": result.threshold, "threshold_tuned_on": tuned_on or cell.loaded.split if cell else None,
                 "precision": result.scores.precision, "recall": result.scores.recall,
                 "n_candidates": len(pairs), "n_predicted": len(result.pairs)}
        predicted = set(result.pairs)
        records = [{"source_id": p.src_id, "target_id": p.tgt_id, "score": round(p.score, 6),
                    "predicted": (p.src_id, p.tgt_id) in predicted,
                    "gold": None if gold is None else (p.src_id, p.tgt_id) in gold} for p in pairs]
        text = "".join(f"{s}\t{t}\n" for s, t in result.pairs)
        flags = ["threshold_tuned_on_scored_gold"] if result.tuned_on_scored_gold else []
        n_src = len({r["source_id"] for r in examples if r.get("source")})
        return CellOutput([predicted], [gold] if gold is not None else [None], records, ("tsv", text), info, flags,
                          n_items=n_src)


class _Callable:
    """Wraps a model so the engine's ``model(**batch)`` asks for hidden states."""

    def __init__(self, model, forward):
        self.model, self.forward = model, forward

    def __call__(self, **batch):
        return self.forward(**batch)

    def eval(self):
        self.model.eval()
        return self


def _weights_fingerprint(model) -> str:
    from xbench.retrieval.embed_cache import checkpoint_fingerprint, state_dict_fingerprint

    path = getattr(model, "xbench_path", None)
    if path and Path(path).is_dir():
        return checkpoint_fingerprint(Path(path))
    return state_dict_fingerprint(model.state_dict())

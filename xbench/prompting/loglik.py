"""Log-likelihoods of continuations under a causal LM, each item's shared prefix computed once.

Tokenisation follows lm-evaluation-harness (0.4.x) so that per-choice scores are the same: the
context's trailing whitespace moves to the continuation; the pair is encoded whole and the
continuation is what follows the context's own encoding; an empty context is the BOS token (EOS
when there is none); sequences longer than the model's window lose tokens on the left.

Speed: the inputs of an item's answers share a token prefix (its context, or more: in XNLI-style
prompts the premise is part of every continuation). Each item is packed into one row
``prefix + suffix_1 + suffix_2 + …`` with the positions each token has in its own sequence and a
block attention mask (a suffix sees the prefix and itself), so every distinct token is computed once
and the scores are those of separate forwards. Rows are sorted by length and batched by a token
budget; identical rows are computed once; only the positions that are scored go through the LM head.
The first rows a model scores are checked against plain per-answer forwards (once per model): a
model that does not honour custom masks or positions is scored plainly (recorded as
``prefix_sharing: false``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from tqdm.auto import tqdm

from xbench.engine.device import autocast

CPU_TOKEN_BUDGET = 1024    # padded tokens per batch on CPU: larger batches fall out of cache and run slower
GPU_TOKEN_BUDGET = 65536   # start on GPUs; halved on out-of-memory
CHECK_TOLERANCE = 1e-4     # packed vs plain scores on the first rows a model scores
CHECK_ROWS = 4
_SHARING_CHECKED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> packing is exact


@dataclass
class ChoiceScore:
    loglikelihood: float
    greedy: bool   # every continuation token is the model's argmax
    tokens: int    # continuation tokens scored


@dataclass
class Row:
    """One item packed: token ids, their positions, segment of each token (0 = shared prefix)."""

    ids: list[int]
    positions: list[int]
    segments: list[int]
    targets: list[list[tuple[int, int]]]  # per answer: (row index predicting it, target token)
    inputs: list[list[int]]               # per answer: its own input sequence (the plain check)


class Tokenization:
    """lm-evaluation-harness's encoding of (context, continuation) pairs, batched through the fast tokenizer."""

    def __init__(self, tokenizer, max_length: int):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.prefix_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        self.bos_text = tokenizer.decode([self.prefix_id]) if self.prefix_id is not None else None

    def _encode(self, texts: list[str], special: bool | None) -> list[list[int]]:
        """Token ids; ``special=None`` is the tokenizer's default, except that a text already starting
        with the BOS text gets no second one (lm-evaluation-harness's ``tok_encode``)."""
        if special is not None:
            return self.tokenizer(texts, add_special_tokens=special)["input_ids"] if texts else []
        starts = [bool(self.bos_text) and t.startswith(self.bos_text) for t in texts]
        out: list = [None] * len(texts)
        for has_bos in (False, True):
            idx = [i for i, s in enumerate(starts) if s == has_bos]
            if idx:
                for i, ids in zip(idx, self.tokenizer([texts[i] for i in idx], add_special_tokens=not has_bos)["input_ids"]):
                    out[i] = ids
        return out

    def pairs(self, pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        moved = []
        for context, continuation in pairs:
            n = len(context) - len(context.rstrip())
            moved.append((context[:-n], context[-n:] + continuation) if n and context else (context, continuation))
        full = [i for i, (c, _) in enumerate(moved) if c]
        empty = [i for i, (c, _) in enumerate(moved) if not c]
        wholes = self._encode([moved[i][0] + moved[i][1] for i in full], None)
        contexts = self._encode([moved[i][0] for i in full], None)
        out: list = [None] * len(pairs)
        for i, whole, ctx in zip(full, wholes, contexts):
            out[i] = (ctx, whole[len(ctx):])
        for i, cont in zip(empty, self._encode([moved[i][1] for i in empty], False)):
            out[i] = ([self.prefix_id], cont) if not cont or cont[0] != self.prefix_id else (cont[:1], cont[1:])
        return out

    def row(self, encoded: list[tuple[list[int], list[int]]]) -> Row:
        """The packed row of one item's answers."""
        inputs, conts = [], []
        for ctx, cont in encoded:
            seq = (ctx + cont)[-(self.max_length + 1):]
            inputs.append(seq[:-1])
            conts.append(seq[len(seq) - len(cont):] if cont else [])
        shared = _common_prefix(inputs)
        ids, positions, segments = list(inputs[0][:shared]), list(range(shared)), [0] * shared
        targets = []
        for a, (inp, cont) in enumerate(zip(inputs, conts)):
            offset = len(ids)
            ids += inp[shared:]
            positions += range(shared, len(inp))
            segments += [a + 1] * (len(inp) - shared)
            first = len(inp) - len(cont)
            targets.append([(t if t < shared else offset + t - shared, tok)
                            for t, tok in zip(range(first, len(inp)), cont)])
        return Row(ids, positions, segments, targets, inputs)


def _common_prefix(seqs: list[list[int]]) -> int:
    n = min(len(s) for s in seqs)
    for i in range(n):
        tok = seqs[0][i]
        if any(s[i] != tok for s in seqs[1:]):
            return i
    return n


def model_window(model, tokenizer) -> int:
    """The longest input the model takes (lm-evaluation-harness's rule: config, then tokenizer, then 2048)."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(model.config, attr, None)
        if value:
            return int(value)
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if limit and limit < 1e9 else 2048


class LoglikScorer:
    def __init__(self, model, tokenizer, *, device, precision: str = "fp32", batch_size="auto",
                 progress: bool = False, desc: str = ""):
        self.model = model.eval()
        self.device, self.precision, self.batch_size = device, precision, batch_size
        self.progress, self.desc = progress, desc
        self.tokens = Tokenization(tokenizer, model_window(model, tokenizer))
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.prefix_sharing: bool | None = None  # decided on the first batch (once per model)
        self.lm_head_only_scored = _plain_lm_head(model)

    # ---- public -----------------------------------------------------------------------------------
    def score(self, items: list[list[tuple[str, str]]]) -> list[list[ChoiceScore]]:
        """Per item, per (context, continuation) pair: the continuation's log-likelihood."""
        flat = [pair for item in items for pair in item]
        encoded = self.tokens.pairs(flat)
        rows, pos = [], 0
        for item in items:
            rows.append(self.tokens.row(encoded[pos:pos + len(item)]))
            pos += len(item)
        return self.score_rows(rows)

    def score_rows(self, rows: list[Row]) -> list[list[ChoiceScore]]:
        from xbench.engine.inference import distributed_info, gather

        unique: dict[tuple, int] = {}  # identical rows (duplicate items) are computed once
        owner = [unique.setdefault((tuple(r.ids), tuple(r.positions), tuple(r.segments)), i) for i, r in enumerate(rows)]
        distinct = sorted(set(owner), key=lambda i: (-len(rows[i].ids), i))  # longest first: OOM shows at once
        rank, world = distributed_info()
        mine = distinct[rank::world]
        results: dict[int, list[ChoiceScore]] = {}
        budget = self._budget()
        bar = tqdm(total=len(mine), desc=self.desc, unit="item", disable=not self.progress or rank != 0,
                   leave=False, dynamic_ncols=True)
        start = 0
        while start < len(mine):
            width = len(rows[mine[start]].ids)
            count = budget if self.batch_size != "auto" else max(1, budget // max(width, 1))
            batch = mine[start:start + count]
            try:
                scores = self._batch([rows[i] for i in batch])
            except _oom_errors() as exc:
                if self.batch_size != "auto" or len(batch) == 1:
                    raise
                del exc
                _empty_cache(self.device)
                budget = max(1, budget // 2)
                continue
            results.update(zip(batch, scores))
            start += len(batch)
            bar.update(len(batch))
        bar.close()
        if world > 1:
            results = gather(results)
        return [results[o] for o in owner]

    # ---- batches ----------------------------------------------------------------------------------
    def _budget(self) -> int:
        if self.batch_size != "auto":
            return int(self.batch_size)  # rows (items) per batch
        return GPU_TOKEN_BUDGET if self.device.type == "cuda" else CPU_TOKEN_BUDGET

    def _batch(self, rows: list[Row]) -> list[list[ChoiceScore]]:
        if self.prefix_sharing is None:
            self.prefix_sharing = self._sharing_works(rows[:CHECK_ROWS])
        return self._packed(rows) if self.prefix_sharing else self._plain(rows)

    def _sharing_works(self, rows: list[Row]) -> bool:
        """Whether packed rows score as plain forwards do, checked once per model on a few rows."""
        known = _SHARING_CHECKED.get(self.model)
        if known is None:
            packed, plain = self._packed(rows), self._plain(rows)
            worst = max(abs(a.loglikelihood - b.loglikelihood) for p, q in zip(packed, plain) for a, b in zip(p, q))
            known = _SHARING_CHECKED[self.model] = worst <= CHECK_TOLERANCE
        return known

    def _packed(self, rows: list[Row]) -> list[list[ChoiceScore]]:
        import torch

        width = max(len(r.ids) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        pos = torch.zeros((len(rows), width), dtype=torch.long)
        seg = torch.full((len(rows), width), -1, dtype=torch.long)
        for b, r in enumerate(rows):
            n = len(r.ids)
            ids[b, :n] = torch.tensor(r.ids, dtype=torch.long)
            pos[b, :n] = torch.tensor(r.positions, dtype=torch.long)
            seg[b, :n] = torch.tensor(r.segments, dtype=torch.long)
        q, k = seg[:, :, None], seg[:, None, :]
        causal = torch.ones(width, width, dtype=torch.bool).tril()
        allowed = causal & (k != -1) & ((k == q) | (k == 0))
        allowed[:, :, 0] |= q[:, :, 0] == -1  # padding queries look at one key: no empty softmax
        hidden_or_logits = self._forward(ids, self._mask_4d(allowed[:, None]), pos)
        return self._gather(hidden_or_logits, [r.targets for r in rows])

    def _plain(self, rows: list[Row]) -> list[list[ChoiceScore]]:
        """Each answer's input as its own sequence (what lm-evaluation-harness computes)."""
        import torch

        seqs, targets = [], []
        for r in rows:
            for inp, tgt in zip(r.inputs, r.targets):
                seqs.append(inp)
                first = len(inp) - len(tgt)
                targets.append([[(first + j, tok) for j, (_, tok) in enumerate(tgt)]])
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        att = torch.zeros((len(seqs), width), dtype=torch.long)
        for b, s in enumerate(seqs):
            ids[b, :len(s)] = torch.tensor(s, dtype=torch.long)
            att[b, :len(s)] = 1
        pos = torch.arange(width)[None].expand(len(seqs), -1)
        flat = [o[0] for o in self._gather(self._forward(ids, att, pos), targets)]
        grouped, i = [], 0
        for r in rows:
            grouped.append(flat[i:i + len(r.targets)])
            i += len(r.targets)
        return grouped

    def _mask_4d(self, allowed):
        """A prepared 4D mask, which transformers passes to the attention as is: boolean for SDPA-style
        kernels, additive (0 / most negative) in the compute dtype for eager attention."""
        import torch

        if getattr(self.model.config, "_attn_implementation", "eager") != "eager":
            return allowed
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16 if self.precision == "fp16" else torch.float32
        return torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)

    def _forward(self, ids, mask, pos):
        import torch

        dev = self.device
        with torch.inference_mode(), autocast(dev, self.precision):
            if self.lm_head_only_scored:
                base = self.model.base_model
                return base(input_ids=ids.to(dev), attention_mask=mask.to(dev), position_ids=pos.to(dev),
                            use_cache=False).last_hidden_state
            return self.model(input_ids=ids.to(dev), attention_mask=mask.to(dev), position_ids=pos.to(dev),
                              use_cache=False).logits

    def _gather(self, out, targets: list[list[list[tuple[int, int]]]]) -> list[list[ChoiceScore]]:
        import torch

        rows_idx, cols_idx, toks = [], [], []
        for b, per_answer in enumerate(targets):
            for tgt in per_answer:
                for t, tok in tgt:
                    rows_idx.append(b)
                    cols_idx.append(t)
                    toks.append(tok)
        with torch.inference_mode():
            picked = out[torch.tensor(rows_idx), torch.tensor(cols_idx)]
            if self.lm_head_only_scored:
                with autocast(self.device, self.precision):
                    picked = self.model.get_output_embeddings()(picked)
            logp = torch.log_softmax(picked.float(), dim=-1)
            tok = torch.tensor(toks, device=logp.device)
            values = logp.gather(1, tok[:, None])[:, 0].cpu()
            greedy = (logp.argmax(dim=-1) == tok).cpu().tolist()
        result, i = [], 0
        for per_answer in targets:
            scores = []
            for tgt in per_answer:
                n = len(tgt)
                # summed in fp64: lm-evaluation-harness's fp32 sum carries ~1e-4 of rounding at -1000
                scores.append(ChoiceScore(float(values[i:i + n].double().sum()), bool(all(greedy[i:i + n])), n))
                i += n
            result.append(scores)
        return result


def _plain_lm_head(model) -> bool:
    """Whether logits are exactly ``lm_head(last hidden state)``, so only scored positions need the
    head (models with logit soft-capping or scaling go through their own forward)."""
    cfg = model.config
    if any(getattr(cfg, a, None) for a in ("final_logit_softcapping", "logit_scale", "logits_scaling")):
        return False
    return model.get_output_embeddings() is not None and getattr(model, "base_model", model) is not model


def _oom_errors():
    import torch

    return (torch.cuda.OutOfMemoryError,) if hasattr(torch.cuda, "OutOfMemoryError") else (RuntimeError,)


def _empty_cache(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()

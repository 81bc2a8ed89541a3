"""The scorer against a plain reference: each pair encoded the way lm-evaluation-harness does, one
full forward per pair, the continuation's log-probabilities summed."""

import pytest
import torch

from xbench.prompting.loglik import LoglikScorer

ITEMS = [
    [("The cat sleeps in the house", " because the dog runs"), ("The cat sleeps in the house", " so the dog runs quickly")],
    [("", " the cat, right? Yes, the dog"), ("", " the cat, right? Also, the dog"), ("", " the cat, right? No, the dog")],
    [("Das Paket war ", "in Luftpolsterfolie"), ("Das Paket war ", "eingewickelt.")],   # trailing space moves
    [("该物品用气泡包装纸包着", " 因为"), ("该物品用气泡包装纸包着", " 所以")],
    [("the red dog", " runs"), ("the red dog", " runs")],                                 # identical answers
]


def reference(model, tok, context, continuation, window=256):
    if context == "":
        ctx, cont = [tok.bos_token_id], tok.encode(continuation, add_special_tokens=False)
    else:
        n = len(context) - len(context.rstrip())
        if n:
            context, continuation = context[:-n], context[-n:] + continuation
        ctx = tok.encode(context)
        cont = tok.encode(context + continuation)[len(ctx):]
    seq = (ctx + cont)[-(window + 1):]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([seq[:-1]])).logits[0].double(), -1)
    first = len(seq) - 1 - len(cont)
    return sum(logp[first + j, t].item() for j, t in enumerate(seq[-len(cont):])), len(cont)


@pytest.mark.parametrize("batch_size", ["auto", 1, 2])
def test_scores_equal_one_forward_per_answer(tiny_lm_loaded, batch_size):
    model, tok = tiny_lm_loaded
    scorer = LoglikScorer(model, tok, device=torch.device("cpu"), batch_size=batch_size)
    got = scorer.score(ITEMS)
    assert scorer.prefix_sharing is True
    for item, scores in zip(ITEMS, got):
        for (ctx, cont), s in zip(item, scores):
            want, n = reference(model, tok, ctx, cont)
            assert s.tokens == n
            assert s.loglikelihood == pytest.approx(want, abs=1e-4)
    assert got[4][0].loglikelihood == got[4][1].loglikelihood


def test_eager_attention_gets_an_additive_mask(tiny_lm):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_lm, attn_implementation="eager")
    tok = AutoTokenizer.from_pretrained(tiny_lm)
    scorer = LoglikScorer(model, tok, device=torch.device("cpu"))
    got = scorer.score(ITEMS[:2])
    assert scorer.prefix_sharing is True
    want, _ = reference(model, tok, *ITEMS[1][2])
    assert got[1][2].loglikelihood == pytest.approx(want, abs=1e-4)


def test_long_inputs_lose_tokens_on_the_left(tiny_lm_loaded):
    model, tok = tiny_lm_loaded
    long_context = " ".join(["the red dog runs in the garden"] * 60)  # well over the 256-token window
    scorer = LoglikScorer(model, tok, device=torch.device("cpu"))
    (a, b), = scorer.score([[(long_context, " quickly"), (long_context, " slowly and")]])
    assert a.loglikelihood == pytest.approx(reference(model, tok, long_context, " quickly")[0], abs=1e-4)
    assert b.loglikelihood == pytest.approx(reference(model, tok, long_context, " slowly and")[0], abs=1e-4)


def test_packed_rows_hold_each_shared_token_once(tiny_lm_loaded):
    model, tok = tiny_lm_loaded
    scorer = LoglikScorer(model, tok, device=torch.device("cpu"))
    encoded = scorer.tokens.pairs(ITEMS[1])
    row = scorer.tokens.row(encoded)
    inputs = [(c + k)[:-1] for c, k in encoded]
    shared = next(i for i in range(len(inputs[0])) if len({tuple(x[:i + 1]) for x in inputs}) > 1)
    assert len(row.ids) == shared + sum(len(i) - shared for i in inputs)
    assert row.segments[:shared] == [0] * shared


def test_a_model_that_ignores_positions_falls_back_to_plain_scoring(tiny_lm_loaded):
    model, tok = tiny_lm_loaded

    class NoPositions(torch.nn.Module):  # drops position_ids: packed rows would be scored wrongly
        def __init__(self, inner):
            super().__init__()
            self.inner, self.config = inner, inner.config

        def forward(self, input_ids, attention_mask=None, position_ids=None, use_cache=False):
            if attention_mask is not None and attention_mask.dim() == 4:
                attention_mask = None
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)

        def get_output_embeddings(self):
            return None

    scorer = LoglikScorer(NoPositions(model), tok, device=torch.device("cpu"))
    got = scorer.score(ITEMS[:2])
    assert scorer.prefix_sharing is False
    want, _ = reference(model, tok, *ITEMS[0][1])
    assert got[0][1].loglikelihood == pytest.approx(want, abs=1e-4)

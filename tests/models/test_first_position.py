"""The last layer computed for position 0 alone: same logits as the whole forward, used only where a
probe shows it, and the model left as it was."""

import pytest
import torch
import transformers

from xbench.models import first_position
from xbench.models.first_position import FirstPositionLayer, first_position_only, last_layer_slot


SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
             max_position_embeddings=64, vocab_size=100)


def batch(n=6, length=17, pad_from=(9, 13, 5), vocab=100, seed=0, choices=None):
    """Random ids with some rows padded (attention mask 0 after ``pad_from``)."""
    g = torch.Generator().manual_seed(seed)
    shape = (n, length) if choices is None else (n, choices, length)
    ids = torch.randint(5, vocab, shape, generator=g)
    mask = torch.ones(shape, dtype=torch.long)
    for row, start in enumerate(pad_from):
        mask[row, ..., start:] = 0
        ids[row, ..., start:] = 1
    return {"input_ids": ids, "attention_mask": mask}


def model_of(name, head, attn="sdpa", **extra):
    torch.manual_seed(0)
    config = getattr(transformers, f"{name}Config")(**SMALL, num_labels=3, **extra)
    config._attn_implementation = attn
    return getattr(transformers, f"{name}For{head}")(config).eval()


def last(model):
    return model.base_model.encoder.layer[-1]


@pytest.fixture(autouse=True)
def fresh_verdicts(monkeypatch):
    monkeypatch.setattr(first_position, "_verdicts", first_position.weakref.WeakKeyDictionary())


@pytest.mark.parametrize("name", ["Bert", "Roberta", "XLMRoberta", "Electra"])
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_same_logits_as_the_whole_forward(name, attn):
    model, inputs = model_of(name, "SequenceClassification", attn), batch()
    with torch.inference_mode():
        full = model(**inputs).logits
        with first_position_only(model, inputs):
            assert isinstance(last(model), FirstPositionLayer)  # really pruned in the block
            pruned = model(**inputs).logits
    assert torch.allclose(full, pruned, atol=1e-6, rtol=0)
    assert not torch.equal(full[0], full[1])  # the inputs differ, so the check is not vacuous


def test_multiple_choice_heads_too():
    model, inputs = model_of("Bert", "MultipleChoice"), batch(n=4, choices=2, pad_from=(3, 11))
    with torch.inference_mode():
        full = model(**inputs).logits
        with first_position_only(model, inputs):
            assert isinstance(last(model), FirstPositionLayer)
            pruned = model(**inputs).logits
    assert full.shape == (4, 2) and torch.allclose(full, pruned, atol=1e-6, rtol=0)


def test_eval_mode_reaches_the_layer_behind_the_stand_in():
    # the training loop's per-epoch selection evaluates a model it left in training mode: the
    # engine's model.eval() must switch off the last layer's dropouts too, or its scores are noise
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    original = last(model)
    with torch.inference_mode():
        full = model(**inputs).logits
        model.train()
        with first_position_only(model, inputs):
            model.eval()
            assert isinstance(last(model), FirstPositionLayer)
            assert not any(m.training for m in original.modules())
            first, again = model(**inputs).logits, model(**inputs).logits
    assert torch.equal(first, again) and torch.allclose(full, first, atol=1e-6, rtol=0)
    model.train()
    assert all(m.training for m in original.modules())  # put back, and reached as usual


def test_the_layer_is_put_back_also_after_an_error():
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    original = model.bert.encoder.layer[-1]
    with pytest.raises(RuntimeError, match="boom"):
        with first_position_only(model, inputs):
            raise RuntimeError("boom")
    assert model.bert.encoder.layer[-1] is original
    assert list(dict(model.named_parameters())) == list(dict(model_of("Bert", "SequenceClassification")
                                                              .named_parameters()))


def test_a_head_that_reads_every_position_fails_the_probe_and_runs_whole():
    model, inputs = model_of("Bert", "TokenClassification"), batch()
    with torch.inference_mode(), first_position_only(model, inputs):
        assert not isinstance(last(model), FirstPositionLayer)
        assert model(**inputs).logits.shape[:2] == (6, 17)
    assert first_position._verdicts[model] is False


def test_an_unknown_layout_runs_whole():
    torch.manual_seed(0)
    config = transformers.DistilBertConfig(vocab_size=100, dim=32, n_layers=2, n_heads=4, hidden_dim=48,
                                           max_position_embeddings=64, num_labels=3)
    model = transformers.DistilBertForSequenceClassification(config).eval()
    assert last_layer_slot(model) is None
    with first_position_only(model, batch()) as same:
        assert same is model


def test_the_probe_runs_once_per_model(monkeypatch):
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    calls = []
    real = first_position._probe
    monkeypatch.setattr(first_position, "_probe", lambda *a: calls.append(1) or real(*a))
    for _ in range(3):
        with first_position_only(model, inputs):
            pass
    assert calls == [1] and first_position._verdicts[model] is True


def test_a_wrong_stand_in_is_caught_by_the_probe(monkeypatch):
    """Were the pruned layer to compute something else, the probe refuses it and the model runs whole."""
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    real_forward = FirstPositionLayer.forward
    monkeypatch.setattr(FirstPositionLayer, "forward", lambda self, h, *a, **k: real_forward(self, h, *a, **k) * 1.01)
    with first_position_only(model, inputs):
        assert not isinstance(last(model), FirstPositionLayer)

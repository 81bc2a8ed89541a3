"""oneDNN-packed linear layers on CPU: the model's own outputs, each replacement used only where its
check shows it, and the model left as it was afterwards."""

import pytest
import torch

from tests.models.test_first_position import batch, model_of
from xbench.models import packed_linear
from xbench.models.first_position import first_position_only
from xbench.models.packed_linear import packed_linears

pytestmark = pytest.mark.skipif(not packed_linear.available(), reason="this PyTorch build has no oneDNN linear")


def instance_forwards(model) -> int:
    return sum("forward" in m.__dict__ for m in packed_linear._modules(model))


@pytest.mark.parametrize("name,head,attn", [("Bert", "SequenceClassification", "sdpa"),
                                            ("Bert", "TokenClassification", "eager"),
                                            ("XLMRoberta", "TokenClassification", "sdpa"),
                                            ("MPNet", "SequenceClassification", "eager")])
def test_outputs_match_the_plain_model_and_the_model_is_put_back(name, head, attn):
    model, inputs = model_of(name, head, attn), batch()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.inference_mode():
        plain = model(**inputs)
        linears, fused = packed_linear._plan(model)
        with packed_linears(model) as run:
            assert instance_forwards(model) == len(linears) + len(fused) > 0  # every one passed its check
            packed = run(**inputs)
    for key in plain.keys():
        torch.testing.assert_close(packed[key], plain[key], rtol=0, atol=1e-5)
    assert instance_forwards(model) == 0
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())


def test_gelu_is_fused_for_the_erf_gelu_only():
    erf = model_of("Bert", "SequenceClassification")
    tanh = model_of("Bert", "SequenceClassification", hidden_act="gelu_pytorch_tanh")
    assert len(packed_linear._plan(erf)[1]) == 2  # one feed-forward block per layer
    assert packed_linear._plan(tanh)[1] == []
    assert len(packed_linear._plan(tanh)[0]) == len(packed_linear._plan(erf)[0])  # its Linears still packed


def test_the_first_position_layers_weights_are_packed_too():
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    with torch.inference_mode():
        plain = model(**inputs).logits
        with first_position_only(model, inputs), packed_linears(model):
            assert "forward" in model.base_model.encoder.layer[-1].layer.intermediate.__dict__
            got = model(**inputs).logits
    torch.testing.assert_close(got, plain, rtol=0, atol=1e-5)
    assert instance_forwards(model) == 0


def test_a_block_computing_more_than_gelu_of_its_product_keeps_its_forward():
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    block = model.base_model.encoder.layer[0].intermediate

    class Scaled(type(block)):  # the BERT layout, but its forward does more than GELU(dense(x))
        def forward(self, hidden_states):
            return super().forward(hidden_states) * 2.0

    block.__class__ = Scaled
    assert block in [owner for owner, _ in packed_linear._plan(model)[1]]  # the layout alone would fuse it
    with torch.inference_mode():
        plain = model(**inputs).logits
        with packed_linears(model):
            assert "forward" not in block.__dict__ and "forward" in block.dense.__dict__
            got = model(**inputs).logits
    torch.testing.assert_close(got, plain, rtol=0, atol=1e-5)


def test_a_replacement_that_fails_its_check_is_not_used(monkeypatch):
    monkeypatch.setattr(packed_linear, "CHECK_ATOL", -1.0)  # no two outputs agree within it
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    with torch.inference_mode():
        plain = model(**inputs).logits
        with packed_linears(model):
            assert instance_forwards(model) == 0
            got = model(**inputs).logits
    assert torch.equal(got, plain)


def test_a_forward_replaced_by_someone_else_is_left_alone():
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    block = model.base_model.encoder.layer[0].intermediate
    override = lambda hidden_states: block.intermediate_act_fn(block.dense(hidden_states)) * 2.0  # noqa: E731
    block.forward = override  # does more than GELU(dense(x)): fusing it would drop the extra
    with torch.inference_mode():
        plain = model(**inputs).logits
        with packed_linears(model):
            assert block not in [owner for owner, _ in packed_linear._plan(model)[1]]
            got = model(**inputs).logits
    torch.testing.assert_close(got, plain, rtol=0, atol=1e-5)
    assert block.forward is override


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("XBENCH_PACKED_LINEAR", "0")
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    with packed_linears(model):
        assert instance_forwards(model) == 0


def test_weights_changed_between_entries_are_packed_afresh():
    model, inputs = model_of("Bert", "SequenceClassification"), batch()
    with torch.inference_mode():
        with packed_linears(model):
            before = model(**inputs).logits
        with torch.no_grad():
            model.classifier.weight.mul_(-1.0)  # as a fine-tuning step between two evaluations
        plain = model(**inputs).logits
        with packed_linears(model):
            after = model(**inputs).logits
    torch.testing.assert_close(after, plain, rtol=0, atol=1e-5)
    assert not torch.allclose(after, before)


def test_run_batches_gives_the_same_outputs_packed_and_plain(monkeypatch):
    from xbench.engine.inference import run_batches

    model, inputs = model_of("Bert", "SequenceClassification"), batch(n=3)
    features = [{"input_ids": inputs["input_ids"][i][inputs["attention_mask"][i].bool()].tolist()} for i in range(3)]

    def collate(fs):
        width = max(len(f["input_ids"]) for f in fs)
        ids = torch.tensor([f["input_ids"] + [0] * (width - len(f["input_ids"])) for f in fs])
        mask = torch.tensor([[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"])) for f in fs])
        return {"input_ids": ids, "attention_mask": mask}

    def run():
        return run_batches(model, features, collate, lambda out, b: list(out.logits), batch_size=2,
                           device=torch.device("cpu"), progress=False)

    packed = run()
    monkeypatch.setenv("XBENCH_PACKED_LINEAR", "0")
    plain = run()
    for a, b in zip(packed, plain):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)

"""fp16 training uses a gradient scaler (``xbench.train.scaling``); fp32/bf16 train exactly as without.

The scaler's decision follows the precision, so its application is tested on a CPU by asking for
fp16 explicitly (torch's GradScaler works on CPU tensors); the CLI refuses fp16 on a CPU."""

import pytest
import torch

from xbench.engine.device import pick_precision
from xbench.errors import UserError
from xbench.train.scaling import LossScaling, needs_scaling


def _model_and_optimizer(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def _loss(model, scale=1.0):
    x = torch.arange(8, dtype=torch.float32).reshape(2, 4) / 8
    return model(x).pow(2).mean() * scale


def test_only_fp16_is_scaled():
    assert needs_scaling("fp16")
    assert not any(needs_scaling(p) for p in ("fp32", "bf16"))
    cpu = torch.device("cpu")
    assert LossScaling(cpu, "fp16").enabled
    assert not LossScaling(cpu, "fp32").enabled and not LossScaling(cpu, "bf16").enabled


def test_fp16_is_refused_on_cpu_before_any_training():
    with pytest.raises(UserError, match="fp16 is not supported on CPU"):
        pick_precision("fp16", torch.device("cpu"))


def test_disabled_scaling_is_bit_identical_to_the_plain_step():
    plain, plain_opt = _model_and_optimizer()
    scaled, scaled_opt = _model_and_optimizer()
    scaling = LossScaling(torch.device("cpu"), "fp32")
    for _ in range(3):
        _loss(plain).backward()
        torch.nn.utils.clip_grad_norm_(plain.parameters(), 1.0)
        plain_opt.step()
        plain_opt.zero_grad()
        scaling.backward(_loss(scaled))
        assert scaling.step(scaled_opt, scaled.parameters(), 1.0)
        scaled_opt.zero_grad()
    for a, b in zip(plain.parameters(), scaled.parameters()):
        assert torch.equal(a, b)
    assert scaling.state_dict() == {}


def test_enabled_scaling_multiplies_the_loss_and_unscales_before_the_step():
    plain, plain_opt = _model_and_optimizer()
    scaled, scaled_opt = _model_and_optimizer()
    scaling = LossScaling(torch.device("cpu"), "fp16")
    _loss(plain).backward()
    plain_grad = plain.weight.grad.clone()
    scaling.backward(_loss(scaled))
    # the gradient reaching the parameters is the loss scale times the true one ...
    torch.testing.assert_close(scaled.weight.grad, plain_grad * scaling.scaler.get_scale())
    torch.nn.utils.clip_grad_norm_(plain.parameters(), 1.0)
    plain_opt.step()
    assert scaling.step(scaled_opt, scaled.parameters(), 1.0)
    # ... and the step is taken on the unscaled, clipped gradient: the same update as unscaled training
    for a, b in zip(plain.parameters(), scaled.parameters()):
        torch.testing.assert_close(a, b)


def test_an_overflowing_step_is_skipped_and_the_scale_backs_off():
    model, optimizer = _model_and_optimizer()
    before = [p.detach().clone() for p in model.parameters()]
    scaling = LossScaling(torch.device("cpu"), "fp16")
    scale = scaling.scaler.get_scale()
    scaling.backward(_loss(model, scale=float("inf")))
    assert not scaling.step(optimizer, model.parameters(), 1.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # weights untouched
    assert scaling.scaler.get_scale() == scale / 2


def test_scaler_state_survives_a_resume():
    model, optimizer = _model_and_optimizer()
    scaling = LossScaling(torch.device("cpu"), "fp16")
    scaling.backward(_loss(model, scale=float("inf")))
    scaling.step(optimizer, model.parameters(), 1.0)
    saved = scaling.state_dict()
    assert all(isinstance(v, (int, float)) for v in saved.values())  # loadable with weights_only=True
    resumed = LossScaling(torch.device("cpu"), "fp16")
    resumed.load_state_dict(saved)
    assert resumed.scaler.get_scale() == scaling.scaler.get_scale()
    with pytest.raises(ValueError):
        resumed.load_state_dict(["not", "a", "mapping"])


def test_the_fine_tuning_loop_saves_the_scaler_with_its_state(tmp_path, monkeypatch):
    """The fine-tuning loop goes through LossScaling, and its resume state holds the scaler's."""
    import xbench.train.loop as loop
    from xbench.train.recipe import Recipe

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

        def forward(self, x):
            return type("Out", (), {"loss": self.lin(x).pow(2).mean()})()

    class Type:
        def length(self, f):
            return 1

        def collate(self, feats):
            return {"x": torch.tensor([f["x"] for f in feats], dtype=torch.float32)}

    saved, real_save = [], loop.save_state
    monkeypatch.setattr(loop, "save_state", lambda work_dir, state: (saved.append(state), real_save(work_dir, state)))

    def run(precision, work_dir):
        saved.clear()
        loop.finetune(Tiny(), Type(), [{"x": [1.0, 2.0]}] * 4, recipe=Recipe(batch_size=2, grad_accum=1, epochs=1),
                      seed=1, device=torch.device("cpu"), precision=precision, work_dir=work_dir,
                      save_model=lambda m, p: p.mkdir(parents=True, exist_ok=True), progress=False)
        return saved[-1]["scaler"]

    assert run("fp16", tmp_path / "fp16")["scale"] > 0  # an enabled scaler, saved for the resume
    assert run("fp32", tmp_path / "fp32") == {}  # fp32: no scaler

"""xbench's own resume state (``train_state.pt``) is read with ``weights_only=True``: a crafted file
cannot run code, and a corrupt or foreign one never fails every rerun — it is moved aside with a
warning naming it and that training restarts from scratch, reaching the weights of a clean run."""

import os
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from helpers.tiny_model import tagging_examples, tagging_spec
from xbench.tasktypes.tagging import TokenTagging
from xbench.train.loop import STATE, finetune, rng_state, set_rng_state
from xbench.train.recipe import Recipe

CPU = torch.device("cpu")


class Interrupted(Exception):
    """Stands in for a kill: raised from inside the training loop, after some checkpoints."""


def finetune_tiny(model_dir: Path, work: Path, stop_after: int | None = None):
    tok = AutoTokenizer.from_pretrained(model_dir)
    tt = TokenTagging(tagging_spec(), tok, max_length=64)
    if stop_after is not None:
        collate, calls = tt.collate, [0]

        def interrupting(features):
            calls[0] += 1
            if calls[0] > stop_after:
                raise Interrupted
            return collate(features)

        tt.collate = interrupting
    features = tt.encode(tagging_examples(96, seed=4))
    torch.manual_seed(7)
    model = tt.load_model(str(model_dir))
    recipe = Recipe(learning_rate=1e-3, batch_size=8, grad_accum=2, epochs=2, warmup_ratio=0.1)
    return finetune(model, tt, features, recipe=recipe, seed=7, device=CPU, precision="fp32", work_dir=work,
                    save_model=lambda m, folder: m.save_pretrained(folder), save_every_seconds=0, progress=False)


def best_weights(work: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(work / "best" / "model.safetensors")


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def clean_weights(tiny_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("clean")
    result = finetune_tiny(tiny_model, work)
    assert result.resumed_from is None
    return best_weights(work)


def interrupted_state(tiny_model, work: Path) -> Path:
    with pytest.raises(Interrupted):
        finetune_tiny(tiny_model, work, stop_after=7)
    state = work / STATE
    assert state.is_file() and not (work / "done.json").exists()
    return state


def test_rng_state_survives_a_weights_only_load(tmp_path):
    random.seed(3)
    np.random.seed(3)
    torch.manual_seed(3)
    torch.save({"rng": rng_state()}, tmp_path / "s.pt")
    expected = (random.random(), float(np.random.rand()), torch.rand(3))
    set_rng_state(torch.load(tmp_path / "s.pt", weights_only=True)["rng"])
    got = (random.random(), float(np.random.rand()), torch.rand(3))
    assert got[:2] == expected[:2]
    torch.testing.assert_close(got[2], expected[2], rtol=0, atol=0)


def test_interrupted_finetuning_resumes_from_a_weights_only_state(tiny_model, clean_weights, tmp_path, capsys):
    work = tmp_path / "work"
    state = interrupted_state(tiny_model, work)
    saved = torch.load(state, map_location="cpu", weights_only=True)  # nothing but tensors and plain values
    assert saved["step"] >= 1
    result = finetune_tiny(tiny_model, work)
    assert result.resumed_from == {"epoch": saved["epoch"], "micro_batch": saved["micro_done"], "step": saved["step"]}
    assert "warning" not in capsys.readouterr().err
    assert_same(best_weights(work), clean_weights)
    assert not state.exists()


class RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _corrupt(kind: str, state: Path, marker: Path) -> None:
    if kind == "truncated":
        data = state.read_bytes()
        state.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        state.write_bytes(b"\x00not a torch file\xff" * 10)
    elif kind == "empty":
        state.write_bytes(b"")
    elif kind == "code":
        torch.save({"step": 3, "epoch": 0, "payload": RunsCode(marker)}, state)
    elif kind == "plain_pickle_code":
        state.write_bytes(pickle.dumps(RunsCode(marker)))
    elif kind == "other_model":
        saved = torch.load(state, map_location="cpu", weights_only=True)
        saved["model"] = {"encoder.weight": torch.zeros(2, 2)}
        torch.save(saved, state)
    elif kind == "missing_entry":
        saved = torch.load(state, map_location="cpu", weights_only=True)
        del saved["optimizer"]
        torch.save(saved, state)
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "empty", "code", "plain_pickle_code", "other_model",
                                  "missing_entry"])
def test_unusable_state_restarts_with_a_warning(kind, tiny_model, clean_weights, tmp_path, capsys):
    work = tmp_path / "work"
    state = interrupted_state(tiny_model, work)
    marker = tmp_path / "code-ran"
    _corrupt(kind, state, marker)
    capsys.readouterr()
    result = finetune_tiny(tiny_model, work)
    err = capsys.readouterr().err
    assert not marker.exists(), "a state file ran code"
    warnings = [line for line in err.splitlines() if line.startswith("xbench: warning:")]
    assert len(warnings) == 1, err
    assert str(state) in warnings[0] and "restarts from scratch" in warnings[0]
    assert (work / (STATE + ".corrupt")).is_file()  # kept for inspection, never read again
    assert result.resumed_from is None
    assert_same(best_weights(work), clean_weights)
    # a rerun reuses the finished training: no second warning
    finetune_tiny(tiny_model, work)
    assert "warning" not in capsys.readouterr().err


# ---- the multi-task loop (xbench train) --------------------------------------------------------------
def _multitask(tiny_model: Path, work: Path, stop_after: int | None = None):
    from xbench.train.multitask import TaskStream, train_multitask
    from xbench.train.samplers import TaskSampler, parse_sampler

    tok = AutoTokenizer.from_pretrained(tiny_model)
    models, streams = {}, {}
    for i, name in enumerate(("toy_a", "toy_b")):
        tt = TokenTagging(tagging_spec() | {"name": name}, tok, max_length=64)
        torch.manual_seed(100 + i)
        models[name] = tt.load_model(str(tiny_model))
        streams[name] = TaskStream(name, tt, tt.encode(tagging_examples(40, seed=i)), i)
    sampler = TaskSampler(parse_sampler("uniform"), {n: len(s.features) for n, s in streams.items()}, 3)

    def on_step(step):
        if stop_after is not None and step >= stop_after:
            raise Interrupted

    out = train_multitask(models, streams, sampler, steps=8, recipe=Recipe(learning_rate=1e-3, batch_size=4,
                          grad_accum=2), seed=3, device=CPU, precision="fp32", work_dir=work, save_every_seconds=0,
                          progress=False, on_step=on_step)
    return out, {k: v.detach().clone() for k, v in out["encoder"].state_dict().items()}


def test_unusable_multitask_state_restarts_with_a_warning(tiny_model, tmp_path, capsys):
    _, clean = _multitask(tiny_model, tmp_path / "clean")
    work = tmp_path / "work"
    with pytest.raises(Interrupted):
        _multitask(tiny_model, work, stop_after=4)
    state = work / STATE
    assert torch.load(state, map_location="cpu", weights_only=True)["step"] >= 3
    state.write_bytes(state.read_bytes()[:1000])
    capsys.readouterr()
    out, weights = _multitask(tiny_model, work)
    err = capsys.readouterr().err
    assert str(state) in err and "restarts from scratch" in err
    assert out["resumed_from"] is None
    assert_same(weights, clean)

"""README.md, "Evaluating a model": run folders, training stages, recipes, retrieval layers and the
real MiniLM, checked against the code."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers.readme import run



@pytest.mark.parametrize("task,depth,layer", [("tatoeba", 12, 8), ("tatoeba", 24, 14), ("bucc2018", 12, 8),
                                              ("bucc2018", 24, 20), ("tatoeba", 6, 4), ("bucc2018", 18, 12)])
def test_retrieval_layers_of_the_shipped_specs(task, depth, layer):
    """Retrieval (README 192-194): the spec's official layer for the model depth (Tatoeba: 8 of 12,
    14 of 24; BUCC: 8 of 12, 20 of 24), otherwise round(2/3 · layers); `--retrieval-layer` overrides."""
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    spec = Catalog(get_registry()).task(task)
    lang = next(lang for lang in spec.languages if lang != "en")
    tt_cls = get_registry().get("task_types", spec.type).load()
    tt = tt_cls(spec.for_language(lang), tokenizer=None)
    model = SimpleNamespace(config=SimpleNamespace(num_hidden_layers=depth))
    assert tt.layer(model).layer == layer
    tt.retrieval = {**tt.retrieval, "layer_override": 3}
    assert tt.layer(model).layer == 3


def test_the_default_run_folder_is_runs_model():
    """Evaluating a model, Outputs (README 111): `--output`, default `runs/<model>`."""
    from xbench.evaluation.config import default_output

    assert default_output("minilm-l6") == Path("runs") / "minilm-l6"
    assert default_output("./my-checkpoint") == Path("runs") / "my-checkpoint"
    help_text = run("eval", "--help")
    assert "runs/<model>" in help_text


# ---- the real model -----------------------------------------------------------------------------

@pytest.mark.integration
def test_minilm_l6_is_the_22m_parameter_six_layer_english_minilm():
    """First lines (README 10) and Plugins (README 604-605): `minilm-l6` is the real English
    all-MiniLM-L6-v2, 22M parameters, from an installed package (loads offline)."""
    from transformers import AutoModel

    from xbench.models.aliases import resolve_model
    from xbench.registry import get_registry

    path = resolve_model("minilm-l6", get_registry())
    model = AutoModel.from_pretrained(str(path))
    n = sum(p.numel() for p in model.parameters())
    assert 22_000_000 <= n < 23_000_000 and model.config.num_hidden_layers == 6


@pytest.mark.parametrize("task", ["xnli", "panx", "xquad"])
def test_the_base_or_large_recipe_is_chosen_by_model_size(task):
    """Task specs, `recipes` (README 576): fine-tuning hyperparameters by name; `base`/`large` chosen by
    model size (a 24-layer model gets `large`, a 6- or 12-layer one `base`) — on the shipped specs."""
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog
    from xbench.train.recipe import pick_recipe

    doc = Catalog(get_registry()).task(task).doc
    assert {"base", "large"} <= set(doc["recipes"])
    assert pick_recipe(doc, 6).name == pick_recipe(doc, 12).name == "base"
    assert pick_recipe(doc, 24).name == "large"
    assert pick_recipe(doc, 24).learning_rate == doc["recipes"]["large"]["learning_rate"]


def test_training_stages_of_xcopa_and_panx():
    """Evaluating a model (README 88-89) and Task specs (README 573): the spec's English training
    stages — xcopa = SIQA then COPA; panx = PAN-X English train; each reports its `test` split."""
    xcopa = json.loads(run("tasks", "show", "xcopa", "--format", "json"))
    panx = json.loads(run("tasks", "show", "panx", "--format", "json"))
    assert [(s["task"], s["split"]) for s in xcopa["train_stages"]] == [("siqa", "train"), ("copa", "train")]
    assert [(s["task"], s["split"]) for s in panx["train_stages"]] == [("panx", "train")]
    assert xcopa["eval_splits"] == panx["eval_splits"] == ["test"]


# ---- hardware and model adapters ----------------------------------------------------------------

def test_device_auto_picks_cuda_then_mps_then_cpu(monkeypatch):
    """Hardware (README 307): "`--device auto` picks CUDA, then Apple MPS, then CPU" — with each of them
    made available in turn (this machine has neither GPU)."""
    import torch

    from xbench.engine.device import _pick

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert _pick("auto").type == "cpu"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert _pick("auto").type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert _pick("auto") == torch.device("cuda", 0)


@pytest.mark.parametrize("bf16", [True, False])
def test_precision_auto_is_bf16_or_fp16_on_gpus_fp32_on_cpu_and_fp16_is_refused_on_a_cpu(monkeypatch, bf16):
    """Hardware (README 307-310): "`--precision auto` is bf16 (or fp16) autocast on GPUs and fp32 on CPU";
    "fp16 is refused on a CPU" (one-line UserError)."""
    import torch

    from xbench.engine.device import pick_precision
    from xbench.errors import UserError

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert pick_precision("auto", torch.device("cuda", 0)) == ("bf16" if bf16 else "fp16")
    assert pick_precision("auto", torch.device("cpu")) == "fp32"
    assert pick_precision("bf16", torch.device("cpu")) == "bf16"  # asked for explicitly: used
    with pytest.raises(UserError, match="fp16 is not supported on CPU"):
        pick_precision("fp16", torch.device("cpu"))


@pytest.mark.parametrize("architectures,adapter", [
    (["GPT2LMHeadModel"], "causal-lm"), (["LlamaForCausalLM"], "causal-lm"), (["BertForMaskedLM"], "hf"),
    (["XLMRobertaModel"], "hf"), (None, "hf"),
])
def test_adapter_auto_is_causal_lm_for_causal_lm_architectures_else_hf(tmp_path, architectures, adapter):
    """Models (README 246-249): "`--adapter`, default `auto`: `causal-lm` for a checkpoint whose
    `config.json` names a `*ForCausalLM`/`*LMHeadModel` architecture, else `hf`"; a hub id (no local
    config) gets `hf` too, and a named adapter is used as named."""
    from xbench.models.hf import choose_adapter
    from xbench.registry import get_registry

    if architectures is not None:
        (tmp_path / "config.json").write_text(json.dumps({"architectures": architectures}), encoding="utf-8")
    assert choose_adapter("auto", str(tmp_path), get_registry()) == adapter
    assert choose_adapter("hf", str(tmp_path), get_registry()) == "hf"

"""Loading a model runs no code from its folder: custom code (``auto_map``) only with
``--trust-remote-code``, pickle weights (``pytorch_model.bin``) only with ``--allow-pickle``; otherwise
one located line and exit 2 — and never a ``[y/N]`` prompt on the terminal."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

import xbench
from xbench.cli import cli
from xbench.errors import UserError
from xbench.models.hf import HFAdapter

REPO = Path(__file__).resolve().parents[2]

MARKER_CODE = '''import pathlib

pathlib.Path({marker!r}).write_text("custom code ran")

from transformers import BertConfig, BertForTokenClassification, BertModel


class MarkerConfig(BertConfig):
    model_type = "xbench_marker"


class MarkerModel(BertModel):
    config_class = MarkerConfig


class MarkerForTokenClassification(BertForTokenClassification):
    config_class = MarkerConfig
'''


def custom_code_model(tiny_model: Path, out: Path, marker: Path) -> Path:
    """The tiny BERT, declared as a model type transformers does not know, whose code is in the folder
    (``marker_code.py``: importing it writes ``marker``)."""
    shutil.copytree(tiny_model, out)
    config = json.loads((out / "config.json").read_text())
    config["model_type"] = "xbench_marker"
    config["auto_map"] = {"AutoConfig": "marker_code.MarkerConfig", "AutoModel": "marker_code.MarkerModel",
                          "AutoModelForTokenClassification": "marker_code.MarkerForTokenClassification"}
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "marker_code.py").write_text(MARKER_CODE.format(marker=str(marker)))
    return out


def pickle_only_model(tiny_model: Path, out: Path) -> Path:
    """The tiny BERT with its weights as ``pytorch_model.bin`` (a pickle) and no safetensors."""
    shutil.copytree(tiny_model, out)
    torch.save(load_file(out / "model.safetensors"), out / "pytorch_model.bin")
    (out / "model.safetensors").unlink()
    return out


def eval_args(model, data, out, *extra):
    return ["eval", "--model", str(model), "--tasks", "panx", "--languages", "en,de", "--split", "dev",
            "--data-dir", str(data), "--output", str(out), "--batch-size", "4", *extra]


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture()
def panx_root(shared_data, tmp_path):
    from helpers.mini_data import make_panx_root

    return make_panx_root(shared_data, tmp_path / "data", langs=("en", "de"))


# ---- custom code ------------------------------------------------------------------------------------
def test_custom_code_model_is_refused_without_a_prompt(tiny_model, tmp_path):
    marker = tmp_path / "marker"
    model = custom_code_model(tiny_model, tmp_path / "custom-code-model", marker)
    data = tmp_path / "data"
    data.mkdir()
    result = CliRunner().invoke(cli, eval_args(model, data, tmp_path / "run"), input="")
    msg = one_error_line(result)
    assert model.name in msg and "Python code" in msg and "--trust-remote-code" in msg and "(fix: " in msg
    assert "[y/N]" not in result.output and "Do you wish" not in result.output
    assert not marker.exists()
    assert not (tmp_path / "run" / "results.json").exists()


def test_custom_code_model_is_refused_by_train_and_with_stdin_closed(tiny_model, tmp_path):
    marker = tmp_path / "marker"
    model = custom_code_model(tiny_model, tmp_path / "custom-code-model", marker)
    data = tmp_path / "data"
    data.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "HF_MODULES_CACHE": str(tmp_path / "modules")}
    proc = subprocess.run([sys.executable, "-m", "xbench", "train", "--model", str(model), "--tasks", "siqa",
                           "--data-dir", str(data), "--output", str(tmp_path / "ckpt")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("xbench: error:")]
    assert len(lines) == 1 and "--trust-remote-code" in lines[0] and model.name in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "[y/N]" not in proc.stdout + proc.stderr
    assert not marker.exists()


def test_trust_remote_code_runs_the_folder_code(tiny_model, panx_root, tmp_path):
    """With the flag the adapter gets trust_remote_code=True: the folder's code is imported and the
    model evaluates (in a subprocess, so the custom module stays out of this one)."""
    marker = tmp_path / "marker"
    model = custom_code_model(tiny_model, tmp_path / "custom-code-model", marker)
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "HF_MODULES_CACHE": str(tmp_path / "modules")}
    proc = subprocess.run([sys.executable, "-m", "xbench", *eval_args(model, panx_root, tmp_path / "run",
                                                                       "--no-finetune", "--trust-remote-code")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert marker.read_text() == "custom code ran"
    cells = json.loads((tmp_path / "run" / "results.json").read_text())["cells"]
    assert {c["language"] for c in cells if c["status"] != "missing"} == {"en", "de"}


def test_adapter_passes_trust_remote_code_false_explicitly(tiny_model, monkeypatch):
    """Every from_pretrained call gets trust_remote_code=False (None would let transformers prompt)."""
    import transformers

    seen = []
    for cls in (transformers.AutoConfig, transformers.AutoTokenizer, transformers.AutoModelForTokenClassification):
        original = cls.from_pretrained.__func__

        def spy(klass, path, *args, _original=original, _name=cls.__name__, **kwargs):
            seen.append((_name, kwargs.get("trust_remote_code", "unset")))
            return _original(klass, path, *args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", classmethod(spy))
    adapter = HFAdapter()
    adapter.load_tokenizer(str(tiny_model))
    adapter.num_layers(str(tiny_model))
    adapter.load_model(str(tiny_model), "AutoModelForTokenClassification", num_labels=3)
    names = {name for name, _ in seen}
    assert {"AutoConfig", "AutoTokenizer", "AutoModelForTokenClassification"} <= names
    assert all(value is False for _, value in seen), seen


# ---- pickle weights ---------------------------------------------------------------------------------
def test_pickle_only_model_is_refused_without_allow_pickle(tiny_model, tmp_path):
    model = pickle_only_model(tiny_model, tmp_path / "pickle-only-model")
    data = tmp_path / "data"
    data.mkdir()
    for argv in (eval_args(model, data, tmp_path / "run"),
                 ["train", "--model", str(model), "--tasks", "siqa", "--data-dir", str(data),
                  "--output", str(tmp_path / "ckpt")]):
        result = CliRunner().invoke(cli, argv, input="")
        msg = one_error_line(result)
        assert model.name in msg and "pytorch_model.bin" in msg and "--allow-pickle" in msg, msg
        assert "safetensors" in msg and "(fix: " in msg
    assert not (tmp_path / "run" / "results.json").exists()
    with pytest.raises(UserError, match="--allow-pickle"):
        HFAdapter().load_model(str(model), "AutoModel")


def test_allow_pickle_loads_the_same_weights(tiny_model, tmp_path):
    model = pickle_only_model(tiny_model, tmp_path / "pickle-only-model")
    adapter = HFAdapter()
    adapter.allow_pickle = True
    loaded = adapter.load_model(str(model), "AutoModel").state_dict()
    reference = HFAdapter().load_model(str(tiny_model), "AutoModel").state_dict()
    assert loaded.keys() == reference.keys()
    for key in reference:
        torch.testing.assert_close(loaded[key], reference[key], rtol=0, atol=0)


def test_allow_pickle_reaches_the_adapter_through_cli_and_api(tiny_model, panx_root, tmp_path):
    model = pickle_only_model(tiny_model, tmp_path / "pickle-only-model")
    res = xbench.evaluate(str(model), "panx", languages=["en", "de"], split="dev", batch_size=4, finetune=False,
                          output=tmp_path / "api", data_dir=panx_root, progress=False, record=False,
                          allow_pickle=True)
    assert {c.language for c in res.cells if c.status != "missing"} == {"en", "de"}
    result = CliRunner().invoke(cli, eval_args(model, panx_root, tmp_path / "cli", "--no-finetune", "--allow-pickle"))
    assert result.exit_code == 0, result.output
    # train: the pickle check passes, so what fails is the (absent) data, not the weights
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["train", "--model", str(model), "--tasks", "siqa", "--data-dir", str(empty),
                                      "--output", str(tmp_path / "ckpt"), "--allow-pickle"])
    assert result.exit_code == 2 and "no data" in result.output, result.output
    assert "loading a pickle" not in result.output and "Traceback" not in result.output


def test_safetensors_folder_with_a_stray_pickle_loads_as_before(tiny_model, tmp_path):
    model = tmp_path / "both"
    shutil.copytree(tiny_model, model)
    (model / "pytorch_model.bin").write_bytes(b"not even a pickle: never read")
    HFAdapter().check_weights(str(model))
    assert HFAdapter().load_model(str(model), "AutoModel") is not None

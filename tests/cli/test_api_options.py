"""``xbench.evaluate()`` against ``xbench eval``: the same options (names, defaults), the same values
handed to the run, the same error text for a bad value, and a docstring that lists every option."""

import inspect
import pydoc

import click
import pytest
from click.testing import CliRunner

import xbench.api
from xbench.api import API_ONLY, CLI_ONLY
from xbench.cli import cli
from xbench.errors import UserError

EVAL = cli.commands["eval"]


def cli_options() -> dict[str, click.Option]:
    return {p.name: p for p in EVAL.params if isinstance(p, click.Option)}


def api_parameters() -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(xbench.api.evaluate).parameters)


def test_every_eval_option_is_an_evaluate_keyword_and_back():
    options, params = cli_options(), api_parameters()
    assert set(options) - set(CLI_ONLY) == set(params) - set(API_ONLY)
    assert set(CLI_ONLY) <= set(options) and not set(API_ONLY) & set(options)
    for name, option in options.items():
        # a keyword is its flag with underscores: --checkpoint-every -> checkpoint_every
        assert name == max(option.opts, key=len).lstrip("-").replace("-", "_"), option.opts
    assert [n for n, p in params.items() if p.default is inspect.Parameter.empty] == ["model", "tasks"]


class Captured(Exception):
    pass


@pytest.fixture()
def captured(monkeypatch):
    """What ``run_options`` receives (the command's options or evaluate's keywords); then stop."""
    calls = []

    def fake(options, registry=None):
        calls.append(dict(options))
        raise Captured()

    monkeypatch.setattr("xbench.cli.eval_cmd.run_options", fake)
    return calls


def test_defaults_are_what_the_command_receives(captured):
    result = CliRunner().invoke(cli, ["eval", "--model", "m", "--tasks", "panx"])
    assert isinstance(result.exception, Captured), result.output
    with pytest.raises(Captured):
        xbench.api.evaluate("m", "panx")
    from_cli, from_api = captured
    for name in API_ONLY:
        from_api.pop(name, None)
    assert from_api == from_cli
    defaults = {n: p.default for n, p in api_parameters().items() if n not in ("model", "tasks", *API_ONLY)}
    assert defaults == {n: v for n, v in from_cli.items() if n not in ("model", "tasks")}


@pytest.fixture()
def configs(monkeypatch):
    """The EvalConfig each run would start with (as a dict); then stop."""
    seen = []

    def fake(config, executor=None, registry=None):
        seen.append(config.to_dict())
        raise Captured()

    monkeypatch.setattr("xbench.evaluation.jobs.run_eval", fake)
    return seen


def test_command_line_text_and_python_values_give_the_same_settings(configs, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    argv = ["eval", "--model", "m", "--tasks", "panx,xnli", "--languages", "panx=en,de;xnli=fr", "--seeds", "1,2",
            "--limit", "5", "--epochs", "2", "--batch-size", "8", "--checkpoint-every", "0", "--device", "cpu",
            "--perturb", "typo:0.1", "--output", str(tmp_path / "o"), "--data-dir", str(data), "--no-finetune",
            "--retrieval-layer", "3", "--num-fewshot", "2"]
    result = CliRunner().invoke(cli, argv)
    assert isinstance(result.exception, Captured), result.output
    with pytest.raises(Captured):
        xbench.api.evaluate("m", ["panx", "xnli"], languages={"panx": ["en", "de"], "xnli": ["fr"]}, seeds=[1, 2],
                            limit=5, epochs=2, batch_size=8, checkpoint_every=0, device="cpu", perturb="typo:0.1",
                            output=tmp_path / "o", data_dir=str(data), finetune=False, retrieval_layer=3,
                            num_fewshot=2, progress=True)
    with pytest.raises(Captured):  # the same, as the command line writes it, and the older keyword name
        xbench.api.evaluate("m", "panx,xnli", languages="panx=en,de;xnli=fr", seeds="1,2", limit="5", epochs="2",
                            batch_size="8", save_every_seconds="0", device="cpu", perturb="typo:0.1",
                            output=str(tmp_path / "o"), data_dir=data, finetune=False, retrieval_layer="3",
                            num_fewshot="2")
    assert configs[0] == configs[1] == configs[2]
    assert configs[0]["save_every_seconds"] == 0 and configs[0]["perturbation"] == "typo:0.1"


BAD = {
    "device": (["--device", "gpu"], {"device": "gpu"}),
    "precision": (["--precision", "fp8"], {"precision": "fp8"}),
    "num-fewshot": (["--num-fewshot", "-1"], {"num_fewshot": -1}),
    "limit-zero": (["--limit", "0"], {"limit": 0}),
    "limit-text": (["--limit", "ten"], {"limit": "ten"}),
    "limit-fraction": (["--limit", "2.5"], {"limit": 2.5}),
    "epochs": (["--epochs", "-2"], {"epochs": -2}),
    "retrieval-layer": (["--retrieval-layer", "top"], {"retrieval_layer": "top"}),
    "checkpoint-every": (["--checkpoint-every", "-1"], {"checkpoint_every": -1}),
    "seeds-text": (["--seeds", "1,x"], {"seeds": "1,x"}),
    "seeds-repeated": (["--seeds", "3,3"], {"seeds": [3, 3]}),
    "batch-size": (["--batch-size", "big"], {"batch_size": "big"}),
    "languages": (["--languages", "panx=en;de"], {"languages": "panx=en;de"}),
    "data-dir": (["--data-dir", "/no/such/folder"], {"data_dir": "/no/such/folder"}),
    "train-stages-no-finetune": (["--train-stages", "copa:train", "--no-finetune"],
                                 {"train_stages": "copa:train", "finetune": False}),
    "address-without-ray": (["--address", "auto"], {"address": "auto"}),
    "executor": (["--executor", "nowhere"], {"executor": "nowhere"}),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_raises_the_command_lines_message(name, tmp_path):
    argv, kwargs = BAD[name]
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["eval", "--model", "no-such-model", "--tasks", "panx", "--output", str(out),
                                      *argv])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("xbench: error: ")]
    assert len(lines) == 1, result.output
    with pytest.raises(UserError) as info:
        xbench.api.evaluate("no-such-model", "panx", output=out, **kwargs)
    assert str(info.value) == lines[0].removeprefix("xbench: error: ")
    assert not out.exists()


def test_unknown_and_doubled_keywords_are_type_errors():
    with pytest.raises(TypeError, match="colour"):
        xbench.api.evaluate("m", "panx", colour="red")
    with pytest.raises(TypeError, match="save_every_seconds= and checkpoint_every="):
        xbench.api.evaluate("m", "panx", save_every_seconds=1, checkpoint_every=2)


def test_help_lists_every_option_with_its_flag_and_default():
    text = pydoc.render_doc(xbench.api.evaluate, renderer=pydoc.plaintext)
    assert "evaluate(model, tasks, *, languages=None" in text
    for name, option in cli_options().items():
        if name in CLI_ONLY:
            assert f"--{name} (" in text  # said to be the command's alone
            continue
        assert f"    {name} ({max(option.opts, key=len)}" in text, name
    for name in API_ONLY:
        assert f"    {name} (default " in text


def test_package_level_evaluate_is_the_generated_function_and_import_stays_light():
    """`xbench.evaluate` shows the generated signature (help() lists every option) without importing torch."""
    import subprocess
    import sys

    code = ("import sys, inspect, xbench, xbench.api; "
            "assert xbench.evaluate is xbench.api.evaluate; "
            "assert 'checkpoint_every' in inspect.signature(xbench.evaluate).parameters; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

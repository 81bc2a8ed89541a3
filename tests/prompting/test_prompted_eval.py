"""`xbench eval` with a causal LM on the real shared files (--limit): the adapter is chosen from the
checkpoint's config, cells are prompted (no training), carry acc and acc_norm, and their per-item
logs hold every answer's log-likelihood, token count and prompt."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xbench.cli import cli

pytestmark = pytest.mark.integration


def run(*argv):
    result = CliRunner().invoke(cli, list(argv), catch_exceptions=False)
    return result


def cells(out: Path) -> dict:
    res = json.loads((out / "results.json").read_text())
    return {(c["task"], c["language"]): c for c in res["cells"]}


def items(out: Path, task: str, split: str, lang: str) -> list[dict]:
    path = out / "seed-1" / "items" / task / f"{split}-{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_causal_lm_is_evaluated_prompted(tiny_lm, shared_data, tmp_path):
    out = tmp_path / "run"
    argv = ["eval", "--model", str(tiny_lm), "--tasks", "xcopa,xnli,panx", "--languages",
            "xcopa=th,zh;xnli=en,de;panx=en", "--split", "xnli=dev,panx=dev", "--limit", "12",
            "--data-dir", str(shared_data), "--output", str(out)]
    result = run(*argv)
    assert result.exit_code == 0, result.output
    got = cells(out)
    for key in [("xcopa", "th"), ("xcopa", "zh"), ("xnli", "en"), ("xnli", "de")]:
        cell = got[key]
        assert cell["status"] == "ok" and "prompted_0shot" in cell["flags"]
        assert set(cell["metrics"]) == {"accuracy", "accuracy_norm"}
        assert cell["info"]["train"]["finetuned"] is False and cell["info"]["prefix_sharing"] is True
    assert got[("panx", "en")]["status"] == "missing"
    assert "no prompted form" in got[("panx", "en")]["missing_reason"]
    assert not list(out.glob("seed-1/models/*")), "prompted evaluation trains nothing"

    # per-item logs: every answer's log-likelihood, tokens, the prompt text; acc recomputable from them
    rows = items(out, "xnli", "validation", "de")
    assert len(rows) == 12
    for r in rows:
        assert r["prompt"] == "" and len(r["choices"]) == 3
        assert all(c["tokens"] > 0 and c["loglikelihood"] < 0 for c in r["choices"])
        assert ", richtig? Nein, " in r["choices"][2]["continuation"]
        lls = [c["loglikelihood"] for c in r["choices"]]
        assert r["prediction"] == ["entailment", "neutral", "contradiction"][lls.index(max(lls))]
    acc = sum(r["correct"] for r in rows) / len(rows)
    assert got[("xnli", "de")]["metrics"]["accuracy"] == pytest.approx(acc)
    th = items(out, "xcopa", "test", "th")
    assert th[0]["prompt"].endswith((" เพราะ", " ดังนั้น"))

    # a rerun reuses every cell; k-shot is another cell, with the examples in its prompts
    again = run(*argv)
    assert again.exit_code == 0
    assert cells(out)[("xcopa", "th")]["info"]["seconds"] == got[("xcopa", "th")]["info"]["seconds"]
    shot = run(*argv[:-2], "--output", str(tmp_path / "shot"), "--num-fewshot", "2")
    assert shot.exit_code == 0, shot.output
    rows = items(tmp_path / "shot", "xcopa", "test", "zh")
    assert all(len(r["shots"]) == 2 and r["prompt"].count("\n\n") == 2 for r in rows)
    assert cells(tmp_path / "shot")[("xcopa", "zh")]["info"]["fingerprint"] != got[("xcopa", "zh")]["info"]["fingerprint"]


def test_adapter_choice(tiny_lm, tmp_path):
    from helpers.tiny_model import make_tiny_model
    from xbench.models.hf import choose_adapter
    from xbench.registry import get_registry

    reg = get_registry()
    assert choose_adapter("auto", str(tiny_lm), reg) == "causal-lm"
    assert choose_adapter("auto", str(make_tiny_model(tmp_path / "bert")), reg) == "hf"
    assert choose_adapter("auto", "some-org/not-local", reg) == "hf"
    assert choose_adapter("hf", str(tiny_lm), reg) == "hf"


def test_train_stages_with_a_causal_lm_is_one_clear_error(tiny_lm, shared_data, tmp_path):
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_lm), "--tasks", "xcopa", "--train-stages",
                                      "copa:train", "--data-dir", str(shared_data), "--output", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "evaluated prompted" in result.output and "Traceback" not in result.output

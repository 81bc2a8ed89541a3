"""Rows are split by configuration: the configuration key of a cell, and the leaderboard's rows."""

import json
import re

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.results import CellResult, RunResults
from xbench.results.scoring import Scoring, TaskInfo
from xbench.results.store import (
    configuration_key, configuration_label, leaderboard, record_run, run_configuration_keys)

# the config `xbench eval` records (xbench.evaluation.config.EvalConfig.to_dict() plus what jobs.py adds)
EVAL_CONFIG = {"model": "tiny", "tasks": "tatoeba", "split": None, "train_stages": None, "allow_train_on_eval": False,
               "batch_size": "auto", "device": "cpu", "precision": "fp32", "limit": None, "train_limit": None,
               "epochs": None, "seeds": [1], "output": "runs/tiny", "finetune": True, "overwrite": False,
               "data_dir": "data", "progress": True, "save_every_seconds": 120.0, "retrieval_layer": None,
               "adapter": "auto", "num_fewshot": 0, "head_task": None, "trust_remote_code": False,
               "allow_pickle": False, "model_path": "/models/tiny", "executor": "LocalExecutor", "seconds": 7.1}


def retrieval_cell(lang="de", seed=1, layer="hidden layer 8 of 12 (official mapping)", accuracy=.5, flags=()):
    """A Tatoeba cell as the engine writes it (info of xbench/tasktypes/bitext_retrieval.py)."""
    return CellResult(task="tatoeba", address="tatoeba", language=lang, split="test", seed=seed,
                      metrics={"accuracy": accuracy}, ci={"accuracy": [accuracy - .05, accuracy + .05]},
                      n_items=1000, flags=list(flags),
                      info={"fingerprint": "a5f907edd3e17c63",
                            "train": {"finetuned": False, "reason": "zero-shot task type"},
                            "model_dir": "/models/tiny", "weights": "sha256:7467", "source": "local:shared data",
                            "bootstrap": {"resamples": 1000, "confidence": 0.95}, "mode": "tatoeba",
                            "layer": layer, "pooling": "mean", "direction": "en_to_xx"})


def trained_cell(task="panx", lang="de", seed=1, flags=(), stages=(("panx", "train"),), intermediate=None):
    """A fine-tuned cell: info.train holds the stage chain (xbench/evaluation/stages.py)."""
    info = {"train": {"finetuned": True, "stages": [
        {"key": f"k{i}", "path": f"/runs/seed-{seed}/models/x/best", "chosen_epoch": 1,
         "record": {"task": t, "split": s, "language": "en", "recipe": {"name": "base", "epochs": 1.0}}}
        for i, (t, s) in enumerate(stages)]}}
    if intermediate is not None:
        info["intermediate"] = intermediate
    return CellResult(task=task, address=task, language=lang, split="test", seed=seed,
                      metrics={"accuracy": .6}, ci={"accuracy": [.55, .65]}, n_items=100, flags=list(flags), info=info)


SIQA_MANIFEST = {"key": "abc", "model": "tiny", "base_weights": "sha256:1", "seed": 1, "steps": 4,
                 "tasks": [{"task": "siqa", "split": "train", "language": "en", "n_train": 80}],
                 "sampler": {"name": "proportional", "argument": None, "probabilities": {"siqa": 1.0}}}


def test_the_plain_default_has_an_empty_key():
    assert configuration_key(retrieval_cell(), EVAL_CONFIG) == ()
    assert configuration_key(trained_cell(), EVAL_CONFIG) == ()
    assert configuration_key(retrieval_cell()) == ()  # no run config at all
    assert configuration_label("tiny", ()) == "tiny"


def test_seed_split_language_and_engine_settings_are_not_configuration():
    a = configuration_key(retrieval_cell(lang="de", seed=1), EVAL_CONFIG)
    b = configuration_key(retrieval_cell(lang="fr", seed=7), {**EVAL_CONFIG, "device": "cuda", "precision": "bf16",
                                                              "batch_size": 64, "seeds": [7], "output": "elsewhere"})
    assert a == b == ()


def test_retrieval_layer_from_the_cell_or_the_run():
    override = retrieval_cell(layer="hidden layer 4 of 12 (override)")
    assert configuration_key(override, {**EVAL_CONFIG, "retrieval_layer": 4}) == ("retrieval layer 4",)
    assert configuration_key(override) == ("retrieval layer 4",)  # the cell alone says so
    # the spec's own choice (mapping or rule) is the default, whatever the layer number
    assert configuration_key(retrieval_cell(layer="hidden layer 1 of 2 (rule two_thirds)")) == ()
    # a non-retrieval cell of a run with --retrieval-layer belongs to that run's configuration
    assert configuration_key(trained_cell(), {**EVAL_CONFIG, "retrieval_layer": 4}) == ("retrieval layer 4",)


def test_limits_from_the_run_config_else_the_cell_flags():
    config = {**EVAL_CONFIG, "limit": 20, "train_limit": 16, "epochs": 1.0}
    flags = ["dev_as_test", "epochs=1.0", "limit=20", "train_limit=16"]
    assert configuration_key(trained_cell(flags=flags), config) == ("limit=20", "train_limit=16", "epochs=1.0")
    # an untrained cell of that run: same configuration (the run's settings apply to all its cells)
    assert configuration_key(retrieval_cell(flags=["limit=20"]), config) == ("limit=20", "train_limit=16",
                                                                              "epochs=1.0")
    # `xbench run` keeps per-target settings in the cells only
    assert configuration_key(trained_cell(flags=flags), {"experiment": "x"}) == (
        "limit=20", "train_limit=16", "epochs=1.0")


def test_training_chain_and_intermediate_training():
    overridden = trained_cell(task="xcopa", flags=["train_stage_override"],
                              stages=[("siqa", "train"), ("copa", "train")])
    # an experiment run (no train_stages in its config): the cell's recorded stages
    assert configuration_key(overridden, {"experiment": "x"}) == ("stages siqa:train+copa:train",)
    # an eval run: its --train-stages, narrowed to the cell's task
    config = {**EVAL_CONFIG, "train_stages": "xcopa=siqa:train+copa:train;panx=panx:train:large"}
    assert configuration_key(overridden, config) == ("stages siqa:train+copa:train",)
    assert configuration_key(trained_cell(task="panx"), config) == ("stages panx:train:large",)
    assert configuration_key(trained_cell(task="udpos"), config) == ()  # not named: the spec's stages
    assert configuration_key(trained_cell(), {**EVAL_CONFIG, "train_stages": "copa:train, siqa:train"}) == (
        "stages copa:train+siqa:train",)
    # the intermediate-task training behind the encoder
    assert configuration_key(trained_cell(intermediate=SIQA_MANIFEST)) == ("intermediate siqa [4 steps]",)
    two = {**SIQA_MANIFEST, "tasks": [{"task": "siqa", "split": "train", "language": "en"},
                                      {"task": "xnli", "split": "validation", "language": "de"}],
           "sampler": {"name": "temperature", "argument": 2.0}, "steps": 500}
    assert configuration_key(trained_cell(intermediate=two)) == (
        "intermediate siqa+xnli:validation:de [temperature:2.0, 500 steps]",)


def test_prompting_adapter_heads_no_finetune_and_perturbation():
    assert configuration_key(trained_cell(flags=["prompted_5shot"], stages=())) == ("prompted 5-shot",)
    assert configuration_key(trained_cell(flags=["prompted_0shot"], stages=()), {**EVAL_CONFIG, "adapter": "causal_lm"}
                             ) == ("prompted 0-shot", "adapter causal_lm")
    assert configuration_key(trained_cell(stages=()), {**EVAL_CONFIG, "finetune": False}) == ("no fine-tuning",)
    assert configuration_key(trained_cell(flags=["untrained_head"], stages=())) == ("no fine-tuning",)
    assert configuration_key(trained_cell(flags=["head_from_task=siqa"], stages=())) == ("head from siqa",)
    assert configuration_key(retrieval_cell(), {**EVAL_CONFIG, "perturbation": "typo:0.1"}) == (
        "perturbation typo:0.1",)
    for clean in (None, ""):
        assert configuration_key(retrieval_cell(), {**EVAL_CONFIG, "perturbation": clean}) == ()
    key = configuration_key(trained_cell(flags=["epochs=1.0", "train_stage_override"], stages=[("copa", "train")],
                                         intermediate=SIQA_MANIFEST),
                            {"experiment": "x", "perturbation": "typo:0.1"})
    assert configuration_label("tiny", key) == (
        "tiny (intermediate siqa [4 steps], stages copa:train, epochs=1.0, perturbation typo:0.1)")


def test_a_missing_cell_takes_its_runs_configuration():
    prompted = [trained_cell(lang=lang, flags=["prompted_0shot"], stages=()) for lang in ("en", "de")]
    missing = CellResult(task="panx", address="panx", language="fr", split="test", seed=1, status="missing",
                         missing_reason="no prompts for fr")
    other_task = CellResult(task="xnli", address="xnli", language="fr", split="test", seed=1, status="missing")
    keys = run_configuration_keys([*prompted, missing, other_task], EVAL_CONFIG)
    assert keys == [("prompted 0-shot",)] * 4
    assert configuration_key(missing, EVAL_CONFIG) == ()  # alone it records too little


# ---- the leaderboard ----------------------------------------------------------------------------------

SCORING = Scoring({"tatoeba": TaskInfo("accuracy", ["test"], ["de", "fr"])})


def _tatoeba_run(layer: int | None, accuracy: float, created: str, model="tiny") -> RunResults:
    described = f"hidden layer {layer} of 12 (override)" if layer is not None else \
        "hidden layer 8 of 12 (official mapping)"
    cells = [retrieval_cell(lang, layer=described, accuracy=accuracy + d) for lang, d in (("de", 0), ("fr", .1))]
    return RunResults(config={**EVAL_CONFIG, "model": model, "retrieval_layer": layer}, cells=cells,
                      scoring=SCORING, created_at=created)


def _rows(text):
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if re.search(r" (xtreme/)?tatoeba  ", line)]


def test_two_retrieval_layers_of_one_model_are_two_rows(tmp_path):
    record_run(_tatoeba_run(None, .50, "2024-01-01T00:00:00+00:00"), tmp_path / "default")
    record_run(_tatoeba_run(4, .30, "2024-02-01T00:00:00+00:00"), tmp_path / "layer4")
    sections = leaderboard()
    assert [s.label for s in sections] == ["tiny", "tiny (retrieval layer 4)"]
    assert [s.config for s in sections] == ["", "retrieval layer 4"]
    means = [{c.language: c.metrics["accuracy"].mean for c in s.cells} for s in sections]
    assert means == [{"de": .50, "fr": pytest.approx(.60)}, {"de": .30, "fr": pytest.approx(.40)}]
    result = CliRunner().invoke(cli, ["leaderboard", "--uncertainty", "none"])
    assert result.exit_code == 0, result.output
    assert _rows(result.output) == [["tiny", "tatoeba", "test", "accuracy", "50.0", "60.0", "55.0"],
                                    ["tiny (retrieval layer 4)", "tatoeba", "test", "accuracy", "30.0", "40.0", "35.0"]]
    data = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).output)
    assert [(r["model"], r["configuration"]) for r in data["rows"]] == [("tiny", ""), ("tiny (retrieval layer 4)",
                                                                                       "retrieval layer 4")]
    # --all-runs: one section per run, each naming its configuration
    labels = [s.label.split(" @ ")[0] for s in leaderboard(all_runs=True)]
    assert labels == ["tiny", "tiny (retrieval layer 4)"]


@pytest.mark.parametrize("layers", [(None, None), (4, 4)])
def test_the_same_retrieval_layer_is_one_row(tmp_path, layers):
    record_run(_tatoeba_run(layers[0], .50, "2024-01-01T00:00:00+00:00"), tmp_path / "a")
    record_run(_tatoeba_run(layers[1], .30, "2024-02-01T00:00:00+00:00"), tmp_path / "b")
    [section] = leaderboard()
    assert section.label == ("tiny" if layers[0] is None else "tiny (retrieval layer 4)")
    assert {c.language: c.metrics["accuracy"].mean for c in section.cells} == {"de": .30, "fr": pytest.approx(.40)}


def test_a_benchmark_score_is_never_computed_across_rows(tmp_path, xtreme_cells, xtreme_scoring):
    # the whole benchmark at the spec's layers, then a newer run of Tatoeba only with another layer
    default = xtreme_cells()
    for c in default:
        if c.task in ("tatoeba", "bucc2018"):
            c.info["layer"] = "hidden layer 8 of 12 (official mapping)"
    record_run(RunResults(config={**EVAL_CONFIG, "tasks": "xtreme"}, cells=default, scoring=xtreme_scoring(),
                          created_at="2024-01-01T00:00:00+00:00"), tmp_path / "all")
    newer = [c for c in xtreme_cells(shift={1: -.2}) if c.task == "tatoeba"]
    for c in newer:
        c.info["layer"] = "hidden layer 4 of 12 (override)"
    record_run(RunResults(config={**EVAL_CONFIG, "tasks": "xtreme/tatoeba", "retrieval_layer": 4}, cells=newer,
                          scoring=xtreme_scoring(), created_at="2024-02-01T00:00:00+00:00"), tmp_path / "tatoeba4")
    result = CliRunner().invoke(cli, ["leaderboard", "--group", "xtreme", "--uncertainty", "none"])
    assert result.exit_code == 0, result.output
    # the default row keeps its own Tatoeba (50.0/70.0), not the newer run's, and its score is its own
    assert "tiny · XTREME score: 70.0" in result.output
    assert "tiny (retrieval layer 4) · XTREME score: n/a (missing: xnli; pawsx; udpos; panx; xquad; mlqa; tydiqa; " \
           "bucc2018)" in result.output
    assert _rows(result.output) == [["tiny", "xtreme/tatoeba", "test", "accuracy", "50.0", "70.0", "60.0"],
                       ["tiny (retrieval layer 4)", "xtreme/tatoeba", "test", "accuracy", "30.0", "50.0", "40.0"]]
    scores = json.loads(CliRunner().invoke(cli, ["leaderboard", "--group", "xtreme", "--format", "json"]).output)
    overall = {s["model"]: s["overall"]["value"] for s in scores["scores"]}
    assert overall == {"tiny": pytest.approx(.70), "tiny (retrieval layer 4)": None}


def test_configurations_of_several_models_are_ordered_plain_first(tmp_path):
    for i, (model, config) in enumerate([("tiny", {"perturbation": "typo:0.1"}), ("big", {}), ("tiny", {}),
                                         ("tiny", {"limit": 20})]):
        run = _tatoeba_run(None, .5, f"2024-0{i + 1}-01T00:00:00+00:00", model=model)
        run.config.update(config)
        record_run(run, tmp_path / str(i))
    assert [s.label for s in leaderboard()] == ["big", "tiny", "tiny (limit=20)", "tiny (perturbation typo:0.1)"]

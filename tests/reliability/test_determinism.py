"""Determinism: the same seed gives byte-identical prediction files and equal metrics, from a fresh
cache each time (`xbench eval` with fine-tuning, `xbench run` of a tiny experiment); a training
interrupted at a step and resumed gives the bytes of an uninterrupted one (fine-tuning and
intermediate training); `xbench run`'s predictions do not depend on the evaluation batch size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from helpers.mini_data import make_panx_root, make_pipeline_root
from xbench.cli import cli


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny_model, one_torch_thread: conftest.py


def invoke(argv, home: Path, monkeypatch):
    monkeypatch.setenv("XBENCH_HOME", str(home))  # a fresh cache: nothing is served from the other run
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    return result


def run_files(out: Path, prefix: str = "") -> dict[str, bytes]:
    """Prediction and per-item files, byte for byte, and each cell's metrics."""
    found = {str(f.relative_to(out)): f.read_bytes() for pattern in ("items/**/*", "predictions/**/*")
             for f in out.glob(f"{prefix}seed-*/{pattern}") if f.is_file()}
    for f in out.glob(f"{prefix}seed-*/cells/**/*.json"):
        found[str(f.relative_to(out))] = json.dumps(json.loads(f.read_text())["metrics"], sort_keys=True).encode()
    return found


class Interrupted(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def interrupt_after_saves(monkeypatch, module, n: int) -> None:
    """Make ``module.save_state`` raise once it has written the training state ``n`` times."""
    real, count = module.save_state, [0]

    def save_then_die(work_dir, state):
        real(work_dir, state)
        count[0] += 1
        if count[0] == n:
            raise Interrupted

    monkeypatch.setattr(module, "save_state", save_then_die)


# ---- xbench eval with fine-tuning -----------------------------------------------------------------------

@pytest.fixture()
def panx(shared_data, tmp_path):
    return make_panx_root(shared_data, tmp_path / "data", train=64, dev=16, langs=("en", "de"))


def eval_argv(model, root, out, *more):
    return ["eval", "--model", str(model), "--tasks", "panx", "--languages", "en,de", "--split", "dev",
            "--train-limit", "64", "--epochs", "1", "--batch-size", "4", "--seeds", "1,2", "--data-dir", str(root),
            "--output", str(out), *more]


def test_eval_same_seed_byte_identical_and_resumed_finetuning_too(tiny_model, panx, tmp_path, monkeypatch):
    import xbench.train.loop as loop

    invoke(eval_argv(tiny_model, panx, tmp_path / "a"), tmp_path / "home-a", monkeypatch)
    invoke(eval_argv(tiny_model, panx, tmp_path / "b"), tmp_path / "home-b", monkeypatch)
    first = run_files(tmp_path / "a")
    assert len(first) == 2 * 2 * 3  # 2 seeds x 2 languages x (items, predictions, metrics)
    assert run_files(tmp_path / "b") == first
    results = [json.loads((tmp_path / x / "results.json").read_text())["cells"] for x in "ab"]
    assert [c["metrics"] for c in results[0]] == [c["metrics"] for c in results[1]]

    # fine-tuning (2 optimiser steps of 4 micro-batches) interrupted once its first step is saved, resumed
    resumed = tmp_path / "resumed"
    monkeypatch.setenv("XBENCH_HOME", str(tmp_path / "home-c"))
    with pytest.MonkeyPatch.context() as patch, pytest.raises(Interrupted):
        interrupt_after_saves(patch, loop, 1)
        CliRunner().invoke(cli, eval_argv(tiny_model, panx, resumed, "--checkpoint-every", "0"))
    assert not list(resumed.glob("seed-*/models/*/done.json"))
    invoke(eval_argv(tiny_model, panx, resumed, "--checkpoint-every", "0"), tmp_path / "home-c", monkeypatch)
    done = [json.loads(f.read_text()) for f in resumed.glob("seed-1/models/*/done.json")]
    assert len(done) == 1 and done[0]["resumed_from"] == {"epoch": 0, "micro_batch": 4, "step": 1}
    assert run_files(resumed) == first


# ---- xbench train: interrupted intermediate training ----------------------------------------------------

def test_intermediate_training_resumed_at_a_step_gives_the_uninterrupted_bytes(tiny_model, shared_data, tmp_path,
                                                                                 monkeypatch):
    import xbench.train.multitask as multitask

    root = make_pipeline_root(shared_data, tmp_path / "data")

    def argv(out):
        return ["train", "--model", str(tiny_model), "--tasks", "siqa,copa:validation", "--sampler", "uniform",
                "--max-steps", "8", "--limit", "24", "--batch-size", "4", "--grad-accum", "2", "--seed", "3",
                "--checkpoint-every", "0", "--data-dir", str(root), "--output", str(out)]

    invoke(argv(tmp_path / "clean"), tmp_path / "home-a", monkeypatch)
    monkeypatch.setenv("XBENCH_HOME", str(tmp_path / "home-b"))
    with pytest.MonkeyPatch.context() as patch, pytest.raises(Interrupted):
        interrupt_after_saves(patch, multitask, 3)
        CliRunner().invoke(cli, argv(tmp_path / "resumed"))
    assert not (tmp_path / "resumed" / "manifest.json").exists()
    invoke(argv(tmp_path / "resumed"), tmp_path / "home-b", monkeypatch)
    assert json.loads((tmp_path / "resumed" / "manifest.json").read_text())["resumed_from"] == {"step": 3}
    weights = ["model.safetensors", "heads/siqa/head.safetensors", "heads/copa/head.safetensors"]
    for name in weights:
        assert (tmp_path / "resumed" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


# ---- xbench run -----------------------------------------------------------------------------------------

def experiment(tmp_path: Path, model: Path, batch_size) -> Path:
    doc = {"experiment": "tiny-determinism", "models": [str(model)],
           "intermediate": {"none": "none", "siqa": {"tasks": ["siqa"]}},
           "intermediate_training": {"max_steps": 4, "limit": 24, "batch_size": 4, "grad_accum": 1},
           "targets": [{"xcopa": {"train_stages": "copa:train", "languages": ["et"]}},
                       {"tatoeba": {"languages": ["de"]}}],
           "seeds": [1], "limit": 16, "train_limit": 16, "epochs": 1, "batch_size": batch_size,
           "resources": {"cpus": 1}}
    path = tmp_path / f"exp-{batch_size}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_run_same_seed_byte_identical_and_invariant_to_the_batch_size(tiny_model, shared_data, tmp_path,
                                                                      monkeypatch):
    root = make_pipeline_root(shared_data, tmp_path / "data")

    def run(batch_size, name):
        exp = experiment(tmp_path, tiny_model, batch_size)
        out = tmp_path / name
        invoke(["run", str(exp), "--data-dir", str(root), "--output", str(out)], tmp_path / f"home-{name}",
               monkeypatch)
        return run_files(out, "*/*/")

    first = run(8, "a")
    assert len(first) == 2 * 2 * 3  # 2 configurations x 2 targets x (items, predictions, metrics)
    assert run(8, "b") == first
    assert run(3, "c") == first


def test_no_finetune_untrained_head_is_drawn_from_the_seed(tiny_model, panx, tmp_path, monkeypatch):
    """``--no-finetune`` on a checkpoint without this task's head: the new head comes from the run's
    seed, so two runs with one seed give the same bytes (and the seed is what changes them)."""
    def argv(out, seeds):
        return ["eval", "--model", str(tiny_model), "--tasks", "panx", "--languages", "de", "--split", "dev",
                "--no-finetune", "--seeds", seeds, "--data-dir", str(panx), "--output", str(out)]

    for name in ("a", "b"):
        invoke(argv(tmp_path / name, "1,2"), tmp_path / f"home-{name}", monkeypatch)
    first = run_files(tmp_path / "a")
    assert len(first) == 2 * 3 and run_files(tmp_path / "b") == first
    by_seed = {s: {k.split("/", 1)[1]: v for k, v in first.items() if k.startswith(f"seed-{s}/predictions")}
               for s in (1, 2)}
    assert by_seed[1] and by_seed[1] != by_seed[2]  # another seed, another head

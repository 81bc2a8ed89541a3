"""Crash safety: `xbench eval`, `xbench train` and `xbench run` SIGKILLed at random moments (4 + 3 + 3
kills), rerun after each kill, then run to the end.

Each command first runs uninterrupted: its results are the reference and its duration is the span
the kill delays are drawn from (seeded RNG). After every kill the test checks that nothing partial
looks complete (every result, cell, record and training state that exists parses), and that work
finished before the kill is left as it was (same inode and mtime: not recomputed). The final results
— metrics, per-item files, prediction files, trained weights — equal the uninterrupted run's byte
for byte.

Batches are slowed a little (tests/helpers/slow_cli.py) so that the computing part of each run, not
Python's start-up, fills most of its duration.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers.mini_data import make_panx_root, make_pipeline_root
from helpers.tiny_model import make_tiny_model

REPO = Path(__file__).resolve().parents[2]
SLOW = 0.05  # seconds per batch, in the reference run and the killed ones alike


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


def launch(argv: list[str], home: Path, log: Path) -> subprocess.Popen:
    # one intra-op thread: two spinning threads per process crawl on a busy 2-core machine
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "XBENCH_HOME": str(home), "OMP_NUM_THREADS": "1"}
    with log.open("a") as sink:  # a file, not a pipe: a full pipe would stall the process
        return subprocess.Popen([sys.executable, "-m", "helpers.slow_cli", str(SLOW), *argv], env=env,
                                stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def run_to_end(argv, home, log) -> float:
    started = time.monotonic()
    proc = launch(argv, home, log)
    assert proc.wait(timeout=600) == 0, log.read_text()[-3000:]
    return time.monotonic() - started


def declared_complete(f: Path, folder: Path) -> bool:
    """A phase-2 checkpoint's files (``intermediate/<key>/…``) are finished only once its manifest.json,
    written last, exists: a kill between the weights and the manifest leaves a folder that the next run
    resumes and saves again, which is not redoing finished work."""
    parts = f.relative_to(folder).parts
    return not (len(parts) == 3 and parts[0] == "intermediate") or (f.parent / "manifest.json").is_file()


def snapshot(folder: Path, patterns: list[str]) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of the finished files matching ``patterns`` (temporary files excluded)."""
    found = {}
    for pattern in patterns:
        for f in folder.glob(pattern):
            if (f.is_file() and not f.name.endswith(".tmp") and not f.name.startswith(".")
                    and declared_complete(f, folder)):
                st = f.stat()
                found[str(f.relative_to(folder))] = (st.st_ino, st.st_mtime_ns)
    return found


def assert_untouched(before: dict, folder: Path, patterns: list[str]) -> None:
    now = snapshot(folder, patterns)
    changed = [name for name, stamp in before.items() if now.get(name) != stamp]
    assert not changed, f"finished work was redone or removed: {changed[:5]}"


RECORDS = ("results.json", "done.json", "manifest.json")  # what declares work complete


def assert_nothing_partial(folder: Path) -> None:
    """Every result, cell, per-item file and completion record in place is whole, and every training
    state loads: a killed write leaves at most a temporary file, which readers skip. (Files inside a
    folder that has no completion record yet, e.g. a checkpoint being saved, are not results.)"""
    for f in folder.rglob("*.json"):
        if f.name in RECORDS or "cells" in f.parts:
            json.loads(f.read_text(encoding="utf-8"))
    for f in folder.rglob("*.jsonl"):
        if "items" in f.parts and not f.name.startswith("."):
            for line in f.read_text(encoding="utf-8").splitlines():
                json.loads(line)
    for f in folder.rglob("train_state.pt"):
        torch.load(f, map_location="cpu", weights_only=True)


# Two fresh processes that train the same model from scratch have been seen to differ in the last bit of
# some weights (1 ULP: at most 7.5e-9 on weights of ~0.07, both runs "resumed": null), so weights are
# compared to within WEIGHT_ATOL. A lost or repeated optimiser step moves the tiny model's weights by
# ~1e-5 (its biases are 3.5e-5 after 4 steps), far beyond it; everything else is compared byte for byte.
WEIGHT_ATOL = 1e-7


class Weights:
    """A safetensors file's tensors; equal to another's when names, shapes and dtypes are the same and
    every value is within WEIGHT_ATOL."""

    def __init__(self, path: Path):
        from safetensors.torch import load_file

        self.tensors = load_file(path)

    def max_diff(self, other: "Weights") -> float:
        return max(((a.double() - other.tensors[k].double()).abs().max().item() for k, a in self.tensors.items()),
                   default=0.0)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Weights) or self.tensors.keys() != other.tensors.keys():
            return False
        if any(a.shape != other.tensors[k].shape or a.dtype != other.tensors[k].dtype for k, a in self.tensors.items()):
            return False
        return self.max_diff(other) <= WEIGHT_ATOL

    def __repr__(self) -> str:
        return f"Weights({len(self.tensors)} tensors)"


def file_bytes(folder: Path, patterns: list[str]) -> dict[str, bytes | Weights]:
    """Each file's bytes (a .safetensors file: its tensors, see Weights)."""
    return {str(f.relative_to(folder)): Weights(f) if f.suffix == ".safetensors" else f.read_bytes()
            for p in patterns for f in sorted(folder.glob(p)) if f.is_file() and not f.name.startswith(".")}


def kill_and_finish(argv_for, home: Path, base: Path, log: Path, *, kills: int, span: float, rng: random.Random,
                    finished: list[str], verify, after_kill=None) -> Path:
    """Start ``argv_for(out)`` and SIGKILL it after a random part of ``span`` seconds, ``kills`` times,
    each start resuming the last; after each kill, nothing partial is in place and finished work is
    kept. A run that finishes before its kill is verified and the kills go on in a fresh folder (with
    ``span`` cut to that run's duration if it ran from scratch). The last folder is then run to the
    end and verified; it is returned."""
    out, done, rounds, fresh = base / "killed-0", 0, 0, True
    for _ in range(3 * kills):
        if done == kills:
            break
        before = snapshot(out, finished)
        started = time.monotonic()
        proc = launch(argv_for(out), home, log)
        delay = rng.uniform(0.2, 0.8) * span  # before a fifth Python is still importing; resumed runs are shorter
        try:
            proc.wait(timeout=delay)
            if fresh:  # a whole run, timed again (the first, with cold caches on a busy machine, was slower)
                span = min(span, time.monotonic() - started)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            done += 1
            with log.open("a") as sink:
                sink.write(f"\n--- test: SIGKILL {done} after {delay:.1f} s (uninterrupted run: {span:.1f} s)\n")
        else:
            assert proc.returncode == 0, log.read_text()[-3000:]
        assert_nothing_partial(out)
        assert_untouched(before, out, finished)
        if after_kill is not None:
            after_kill(out)
        fresh = False
        if proc.returncode == 0:  # finished before its kill: check it, go on killing in a new folder
            verify(out)
            rounds, fresh = rounds + 1, True
            out = base / f"killed-{rounds}"
    assert done == kills, f"only {done} kills landed"
    before = snapshot(out, finished)
    run_to_end(argv_for(out), home, log)
    assert_untouched(before, out, finished)
    assert_nothing_partial(out)
    verify(out)
    return out


# ---- xbench eval: fine-tuning on English PAN-X, then three languages ----------------------------------

def eval_argv(model, root, out):
    return ["eval", "--model", str(model), "--tasks", "panx", "--languages", "en,de,fr", "--split", "dev",
            "--train-limit", "48", "--epochs", "2", "--batch-size", "4", "--checkpoint-every", "0",
            "--data-dir", str(root), "--output", str(out)]


EVAL_FINISHED = ["seed-*/cells/**/*.json", "seed-*/items/**/*", "seed-*/predictions/**/*",
                 "seed-*/models/*/done.json", "seed-*/models/*/best/*"]
EVAL_RESULTS = ["seed-*/items/**/*.jsonl", "seed-*/predictions/**/*.tsv", "seed-*/models/*/best/*.safetensors"]


def cell_metrics(out: Path, pattern: str) -> dict:
    return {str(f.relative_to(out)): json.loads(f.read_text())["metrics"] for f in out.glob(pattern)}


def test_eval_killed_four_times_finishes_with_the_uninterrupted_results(tiny_model, shared_data, tmp_path):
    root = make_panx_root(shared_data, tmp_path / "data")
    home, log, clean = tmp_path / "home", tmp_path / "eval.log", tmp_path / "clean"
    span = run_to_end(eval_argv(tiny_model, root, clean), home, log)
    expected_cells = cell_metrics(clean, "seed-*/cells/**/*.json")
    expected_results = file_bytes(clean, EVAL_RESULTS)
    assert len(expected_cells) == 3 and len(expected_results) >= 7  # 3 items, 3 predictions, weights

    def verify(out):
        assert cell_metrics(out, "seed-*/cells/**/*.json") == expected_cells
        got = json.loads((out / "results.json").read_text())["cells"]
        want = json.loads((clean / "results.json").read_text())["cells"]
        assert [c["metrics"] for c in got] == [c["metrics"] for c in want]
        assert file_bytes(out, EVAL_RESULTS) == expected_results

    kill_and_finish(lambda out: eval_argv(tiny_model, root, out), home, tmp_path, log, kills=4, span=span,
                    rng=random.Random(1201), finished=EVAL_FINISHED, verify=verify)


# ---- xbench train: multi-task intermediate training ---------------------------------------------------

def train_argv(model, root, out):
    return ["train", "--model", str(model), "--tasks", "siqa,copa:validation", "--sampler", "uniform",
            "--max-steps", "16", "--limit", "40", "--batch-size", "4", "--grad-accum", "2", "--seed", "3",
            "--checkpoint-every", "0", "--data-dir", str(root), "--output", str(out)]


TRAIN_RESULTS = ["*.safetensors", "heads/*/*", "config.json"]


def test_train_killed_three_times_resumes_to_the_uninterrupted_weights(tiny_model, shared_data, tmp_path):
    root = make_pipeline_root(shared_data, tmp_path / "data")
    home, log, clean = tmp_path / "home", tmp_path / "train.log", tmp_path / "clean"
    span = run_to_end(train_argv(tiny_model, root, clean), home, log)
    expected = file_bytes(clean, TRAIN_RESULTS)
    assert len(expected) >= 4
    steps: dict[Path, list[int]] = {}

    def saved_step(out):  # the training state never goes back: steps done before a kill are not redone
        state = out / "train_state.pt"
        if state.is_file():
            seen = steps.setdefault(out, [])
            seen.append(torch.load(state, map_location="cpu", weights_only=True)["step"])
            assert seen == sorted(seen), seen

    def verify(out):
        manifest = json.loads((out / "manifest.json").read_text())
        if steps.get(out):  # resumed from the last state saved before the last kill
            assert manifest["resumed_from"] == {"step": steps[out][-1]}
        assert file_bytes(out, TRAIN_RESULTS) == expected

    kill_and_finish(lambda out: train_argv(tiny_model, root, out), home, tmp_path, log, kills=3, span=span,
                    rng=random.Random(1202), finished=["manifest.json"], verify=verify, after_kill=saved_step)


def test_train_killed_after_its_weights_before_its_manifest_saves_them_again(tiny_model, shared_data, tmp_path):
    """The moment the weights are saved but the manifest is not (where the run test's random kills once
    landed): the folder is unfinished, so its weights are not finished work, and the rerun writes the
    uninterrupted run's weights anew."""
    root = make_pipeline_root(shared_data, tmp_path / "data")
    home, log = tmp_path / "home", tmp_path / "train.log"
    run_to_end(train_argv(tiny_model, root, tmp_path / "clean"), home, log)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "XBENCH_HOME": str(home), "OMP_NUM_THREADS": "1"}
    killed = subprocess.run([sys.executable, "-m", "helpers.kill_before_manifest", *train_argv(tiny_model, root, out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=600)
    assert killed.returncode == -signal.SIGKILL
    assert (out / "model.safetensors").is_file() and not (out / "manifest.json").exists()
    unfinished = tmp_path / "exp"  # the same folder as a phase-2 checkpoint of `xbench run`: not finished work
    shutil.copytree(out, unfinished / "intermediate" / "k")
    assert snapshot(unfinished, RUN_FINISHED) == {}
    run_to_end(train_argv(tiny_model, root, out), home, log)
    assert file_bytes(out, TRAIN_RESULTS) == file_bytes(tmp_path / "clean", TRAIN_RESULTS)


# ---- xbench run: a tiny experiment (phase 2 once, phase 3 per configuration, two targets) ------------

def experiment(tmp_path: Path, model: Path) -> Path:
    import yaml

    doc = {"experiment": "tiny-kill", "models": [str(model)],
           "intermediate": {"none": "none", "siqa": {"tasks": ["siqa"]}},
           "intermediate_training": {"max_steps": 6, "limit": 32, "batch_size": 4, "grad_accum": 1},
           "targets": [{"xcopa": {"train_stages": "copa:train", "languages": ["et"]}},
                       {"tatoeba": {"languages": ["de"]}}],
           "seeds": [1], "limit": 16, "train_limit": 16, "epochs": 1, "batch_size": 8, "resources": {"cpus": 1}}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


RUN_FINISHED = ["*/*/seed-*/cells/**/*.json", "*/*/seed-*/items/**/*", "*/*/seed-*/predictions/**/*",
                "*/*/seed-*/models/*/done.json", "intermediate/*/manifest.json", "intermediate/*/*.safetensors"]
RUN_RESULTS = ["*/*/seed-*/items/**/*.jsonl", "*/*/seed-*/predictions/**/*"]


def test_run_killed_three_times_finishes_with_the_uninterrupted_cells(tiny_model, shared_data, tmp_path):
    root = make_pipeline_root(shared_data, tmp_path / "data")
    exp, log = experiment(tmp_path, tiny_model), tmp_path / "run.log"
    clean, home = tmp_path / "clean", tmp_path / "home"

    def argv(out):
        return ["run", str(exp), "--data-dir", str(root), "--output", str(out)]

    span = run_to_end(argv(clean), tmp_path / "home-clean", log)
    expected_cells = cell_metrics(clean, "*/*/seed-*/cells/**/*.json")
    expected_results = file_bytes(clean, RUN_RESULTS)
    assert len(expected_cells) == 4 and len(expected_results) >= 8

    def verify(out):
        assert len(list(out.glob("intermediate/*/manifest.json"))) == 1  # phase 2 trained once, complete
        assert cell_metrics(out, "*/*/seed-*/cells/**/*.json") == expected_cells
        assert file_bytes(out, RUN_RESULTS) == expected_results

    kill_and_finish(argv, home, tmp_path, log, kills=3, span=span, rng=random.Random(1203),
                    finished=RUN_FINISHED, verify=verify)

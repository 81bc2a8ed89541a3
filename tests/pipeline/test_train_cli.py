"""`xbench train`: multi-task intermediate training, its manifest, reuse, resume after SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from click.testing import CliRunner
from safetensors.torch import load_file

from xbench.cli import cli

REPO = Path(__file__).resolve().parents[2]


def train_args(model, root, out, *more):
    return ["train", "--model", str(model), "--tasks", "siqa,copa:validation", "--sampler", "uniform",
            "--max-steps", "8", "--limit", "40", "--batch-size", "4", "--grad-accum", "2", "--seed", "3",
            "--data-dir", str(root), "--output", str(out), *more]


def test_multitask_training_writes_encoder_heads_and_manifest_and_reuses(tiny_model, pipeline_root, tmp_path):
    out = tmp_path / "ckpt"
    res = CliRunner().invoke(cli, train_args(tiny_model, pipeline_root, out))
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [t["task"] for t in manifest["tasks"]] == ["siqa", "copa"]
    assert sum(manifest["steps_per_task"].values()) == 8 and all(manifest["steps_per_task"].values())
    assert manifest["sampler"]["probabilities"] == {"siqa": 0.5, "copa": 0.5}
    assert "intermediate_on_validation:copa" in manifest["flags"]
    assert manifest["base_weights"] and manifest["key"]
    assert (out / "model.safetensors").is_file() and not (out / "xbench_head.json").exists()
    for task in ("siqa", "copa"):
        head = load_file(out / "heads" / task / "head.safetensors")
        assert head and not any(k.startswith("bert.") for k in head)  # the head only, not the encoder
    # the encoder moved away from the base model
    base, trained = load_file(Path(tiny_model) / "model.safetensors"), load_file(out / "model.safetensors")
    name = next(k for k in base if "encoder.layer.0.attention.self.query.weight" in k)
    assert not torch.equal(base[name], trained[name.removeprefix("bert.")] if name not in trained else trained[name])

    again = CliRunner().invoke(cli, train_args(tiny_model, pipeline_root, out))
    assert again.exit_code == 0 and "reused (already trained)" in again.output
    other = CliRunner().invoke(cli, train_args(tiny_model, pipeline_root, out, "--sampler", "proportional"))
    assert other.exit_code == 2 and "trained with other settings" in other.output


def test_bad_train_arguments_are_one_line_errors(tiny_model, pipeline_root, tmp_path):
    for extra, words in ((["--sampler", "temprature:2"], "unknown sampler"), (["--max-steps", "0"], "must be at least 1"),
                         (["--tasks", "siqa,siqa"], "appears twice"), (["--tasks", "tatoeba"], "no trainable head"),
                         (["--tasks", "xnli:validation:xx"], "no language 'xx'")):
        argv = train_args(tiny_model, pipeline_root, tmp_path / "x")
        for i in range(0, len(extra), 2):
            argv[argv.index(extra[i]) + 1] = extra[i + 1]
        res = CliRunner().invoke(cli, argv)
        assert res.exit_code == 2, (extra, res.output)
        assert words in res.output and "Traceback" not in res.output


def _train_proc(model, root, out, delay):
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests")}
    argv = train_args(model, root, out, "--checkpoint-every", "0", "--max-steps", "20")
    return subprocess.Popen([sys.executable, "-m", "helpers.slow_cli", str(delay), *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_training_resumes_to_the_weights_of_an_uninterrupted_run(tiny_model, pipeline_root, tmp_path):
    clean = _train_proc(tiny_model, pipeline_root, tmp_path / "clean", 0.0)
    assert clean.wait(timeout=300) == 0, clean.stderr.read()
    killed = tmp_path / "killed"
    kills = 0
    for wait_steps in (3, 9):
        proc = _train_proc(tiny_model, pipeline_root, killed, 0.05)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            try:
                step = torch.load(killed / "train_state.pt", weights_only=False)["step"]
            except Exception:
                step = 0
            if step >= wait_steps:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills == 2 and not (killed / "manifest.json").exists()
    final = _train_proc(tiny_model, pipeline_root, killed, 0.0)
    assert final.wait(timeout=300) == 0, final.stderr.read()
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["resumed_from"]["step"] >= 9
    a, b = load_file(tmp_path / "clean" / "model.safetensors"), load_file(killed / "model.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6)
    for task in ("siqa", "copa"):
        ha = load_file(tmp_path / "clean" / "heads" / task / "head.safetensors")
        hb = load_file(killed / "heads" / task / "head.safetensors")
        for k in ha:
            torch.testing.assert_close(ha[k], hb[k], rtol=0, atol=1e-6)

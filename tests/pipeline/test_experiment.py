"""`xbench run EXPERIMENT.yaml` end to end on a tiny model: plan, run, rerun, SIGKILL, concurrency."""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from xbench.cli import cli

REPO = Path(__file__).resolve().parents[2]


def experiment(tmp_path: Path, model: Path, **extra) -> Path:
    doc = {
        "experiment": "tiny-grid",
        "models": [str(model)],
        "intermediate": {"none": "none", "siqa": {"tasks": ["siqa"]},
                         "siqa+copa": {"tasks": ["siqa", "copa:validation"], "sampler": "uniform"}},
        "intermediate_training": {"max_steps": 4, "limit": 32, "batch_size": 4, "grad_accum": 1},
        "targets": [{"xcopa": {"train_stages": "copa:train", "languages": ["et"]}},
                    {"tatoeba": {"languages": ["de"]}}],
        "seeds": [1, 2], "limit": 16, "train_limit": 16, "epochs": 1, "batch_size": 8, **extra}
    path = tmp_path / "exp.yaml"
    import yaml

    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def cli_args(exp: Path, root: Path, out: Path, *more) -> list[str]:
    return ["run", str(exp), "--data-dir", str(root), "--output", str(out), *more]


def cell_metrics(out: Path) -> dict:
    found = {}
    for f in out.glob("*/*/seed-*/cells/*/*.json"):
        cell = json.loads(f.read_text())
        found[str(f.relative_to(out))] = cell["metrics"]
    return found


def test_dry_run_plans_each_phase2_training_once_and_a_rerun_does_nothing(tiny_model, pipeline_root, tmp_path):
    exp, out = experiment(tmp_path, tiny_model), tmp_path / "out"
    runner = CliRunner()
    dry = runner.invoke(cli, cli_args(exp, pipeline_root, out, "--dry-run"))
    assert dry.exit_code == 0, dry.output
    # 2 configurations with intermediate tasks x 2 seeds, not x 2 targets
    assert "phase-2 trainings: 4 (0 done)" in dry.output
    assert "evaluation jobs: 12" in dry.output
    assert len(re.findall(r"trained once, used by 2 evaluation jobs", dry.output)) == 4

    first = runner.invoke(cli, cli_args(exp, pipeline_root, out))
    assert first.exit_code == 0, first.output
    assert "intermediate" in first.output and "siqa+copa" in first.output and "best" in first.output
    assert len(re.findall(r"phase 2 .*: trained in", first.output)) == 4
    metrics = cell_metrics(out)
    assert len(metrics) == 3 * 2 * 2  # configurations x targets (one language each) x seeds
    stamps = {f: f.stat().st_mtime_ns for f in out.glob("*/*/seed-*/cells/*/*.json")}

    again = runner.invoke(cli, cli_args(exp, pipeline_root, out, "--dry-run"))
    assert "phase-2 trainings: 4 (4 done)" in again.output and "evaluation cells: 12 (12 done)" in again.output
    rerun = runner.invoke(cli, cli_args(exp, pipeline_root, out))
    assert rerun.exit_code == 0, rerun.output
    assert "(4 already done)" in rerun.output and "trained in" not in rerun.output
    assert {f: f.stat().st_mtime_ns for f in out.glob("*/*/seed-*/cells/*/*.json")} == stamps
    assert cell_metrics(out) == metrics

    table = runner.invoke(cli, ["leaderboard", "--experiment", "tiny-grid", "--format", "json"])
    rows = json.loads(table.output)["rows"]
    assert [r["intermediate"] for r in rows] == ["none", "siqa", "siqa+copa", "best"]
    assert rows[0]["xcopa"]["delta"] is None and rows[1]["xcopa"]["delta"] is not None
    assert rows[1]["xcopa"]["n_seeds"] == 2


@pytest.mark.parametrize("edit, where, what", [
    ("experiment: x\nmodels: [m]\nintermediate: {none: none}\ntargets: [xcopa]\nseedz: [1]\n", ":5:", "seedz"),
    ("experiment: x\nmodels: [m]\nintermediate:\n  a: {tasks: [siqaa]}\ntargets: [xcopa]\n", ":4:", "siqa"),
    ("experiment: x\nmodels: [m]\nintermediate:\n  a: {tasks: [siqa], sampler: 'temp:2'}\ntargets: [xcopa]\n",
     ":4:", "sampler"),
    ("experiment: x\nmodels: [m]\nintermediate: {none: none}\ntargets:\n  - xcopaa\n", ":5:", "xcopa"),
    ("experiment: x\nmodels: [m]\nintermediate: {none: none}\ntargets:\n  - xcopa: {languages: [de]}\n", ":5:", "de"),
    ("experiment: x\nmodels: [m]\nintermediate: {none: none}\ntargets: [xcopa]\nexecutor: rayy\n", ":5:", "ray"),
    ("experiment: x\nmodels: [m]\nintermediate: {none: none}\ntargets: [xcopa]\nseeds: [one]\n", ":5:", "integer"),
    ("experiment: x\nmodels: [m]\nintermediate: !!python/object:os.system {}\ntargets: [xcopa]\n", ":3", "YAML"),
])
def test_bad_experiment_files_give_one_located_line(tmp_path, edit, where, what):
    path = tmp_path / "bad.yaml"
    path.write_text(edit, encoding="utf-8")
    res = CliRunner().invoke(cli, ["run", str(path), "--dry-run"])
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"bad.yaml{where}" in line and what in line


def _run_proc(exp, root, out, home, delay=None):
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "XBENCH_HOME": str(home)}
    head = [sys.executable, "-m", "helpers.slow_cli", str(delay)] if delay else [sys.executable, "-m", "xbench"]
    return subprocess.Popen(head + cli_args(exp, root, out), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finished_steps(out: Path) -> int:
    """Phase-2 checkpoints, phase-3 models and cells the run has completed so far."""
    return sum(len(list(out.glob(p))) for p in
               ("intermediate/*/manifest.json", "*/*/seed-*/models/*/done.json", "*/*/seed-*/cells/*/*.json"))


def test_sigkill_at_several_points_then_rerun_equals_an_uninterrupted_run(tiny_model, pipeline_root, tmp_path):
    exp = experiment(tmp_path, tiny_model)
    clean = _run_proc(exp, pipeline_root, tmp_path / "clean", tmp_path / "home-clean")
    assert clean.wait(timeout=600) == 0, clean.stderr.read()
    assert _finished_steps(tmp_path / "clean") == 4 + 6 + 12
    rng = random.Random(7)
    killed_out, home = tmp_path / "killed", tmp_path / "home-killed"
    kills = 0
    for _ in range(4):
        # Kill on progress, not on the clock (a fixed delay lets a fast machine finish first):
        # 1-2 steps further than the last run got, then somewhere inside the step after.
        target = _finished_steps(killed_out) + rng.randint(1, 2)
        proc = _run_proc(exp, pipeline_root, killed_out, home, delay=0.02)
        while proc.poll() is None and _finished_steps(killed_out) < target:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills == 4 and _finished_steps(killed_out) < 4 + 6 + 12
    final = _run_proc(exp, pipeline_root, killed_out, home)
    _, err = final.communicate(timeout=600)
    assert final.returncode == 0, err
    assert cell_metrics(killed_out) == cell_metrics(tmp_path / "clean")
    assert len(cell_metrics(killed_out)) == 12


def test_two_concurrent_runs_train_each_checkpoint_once_and_lose_no_cell(tiny_model, pipeline_root, tmp_path):
    exp, out, home = experiment(tmp_path, tiny_model), tmp_path / "out", tmp_path / "home"
    procs = [_run_proc(exp, pipeline_root, out, home) for _ in range(2)]
    errs = []
    for p in procs:
        _, err = p.communicate(timeout=900)
        assert p.returncode == 0, err
        errs.append(err)
    log = "\n".join(errs)
    assert len(re.findall(r"phase 2 .*: trained in", log)) == 4  # each phase-2 checkpoint trained once
    assert len(re.findall(r"phase 2 .*: reused", log)) + len(re.findall(r"\(\d already done\)", log)) >= 1
    phase3 = list(out.glob("*/*/seed-*/models/*/done.json"))
    assert len(phase3) == 3 * 2  # one COPA stage per (configuration, seed)
    assert len(cell_metrics(out)) == 12


def test_the_grid_on_ray_gives_the_numbers_of_the_local_executor(tiny_model, pipeline_root, tmp_path):
    exp = experiment(tmp_path, tiny_model, seeds=[1])
    local = CliRunner().invoke(cli, cli_args(exp, pipeline_root, tmp_path / "local"))
    assert local.exit_code == 0, local.output
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests"), "XBENCH_HOME": str(tmp_path / "home-ray")}
    env.pop("RAY_ADDRESS", None)
    ray = subprocess.run([sys.executable, "-m", "xbench", *cli_args(exp, pipeline_root, tmp_path / "ray"),
                          "--executor", "ray", "--address", "local"], env=env, capture_output=True, text=True,
                         timeout=600)
    assert ray.returncode == 0, ray.stderr
    assert "RayExecutor" in (tmp_path / "ray").joinpath(next(iter(cell_metrics(tmp_path / "ray"))).split("/seed-")[0],
                                                          "results.json").read_text()
    assert cell_metrics(tmp_path / "ray") == cell_metrics(tmp_path / "local")
    assert len(cell_metrics(tmp_path / "local")) == 6

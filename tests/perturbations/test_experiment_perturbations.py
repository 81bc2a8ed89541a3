"""An experiment's `perturbations:`: every (model, configuration) is evaluated clean and once per
perturbation on the same checkpoints, each perturbation into a run folder and recorded run of its own;
a perturbation is skipped for targets whose task types it does not apply to."""

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from helpers.mini_data import make_pipeline_root
from xbench.cli import cli


@pytest.fixture()
def pipeline_root(shared_data, tmp_path):
    return make_pipeline_root(shared_data, tmp_path / "data", siqa=16)


def experiment(tmp_path: Path, model: Path, **extra) -> Path:
    doc = {"experiment": "tiny-robust", "models": [str(model)], "intermediate": {"none": "none"},
           "targets": [{"xcopa": {"train_stages": "copa:train", "languages": ["et"]}}, {"tatoeba": {"languages": ["de"]}}],
           "perturbations": ["typo:0.2", "choice_swap:1.0"],
           "seeds": [1], "limit": 16, "train_limit": 16, "epochs": 1, "batch_size": 8, **extra}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def run(*argv):
    res = CliRunner().invoke(cli, list(map(str, argv)))
    assert res.exit_code == 0, res.output
    return res.output


def items(folder: Path, task: str, name: str) -> list[dict]:
    return [json.loads(line) for line in (folder / "seed-1" / "items" / task / name).read_text().splitlines()]


def test_experiment_evaluates_clean_and_each_perturbation_on_the_same_checkpoints(tiny_model, pipeline_root, tmp_path):
    exp, out = experiment(tmp_path, tiny_model), tmp_path / "out"
    dry = run("run", exp, "--data-dir", pipeline_root, "--output", out, "--dry-run")
    assert "clean + 2 perturbation(s)" in dry and "evaluation jobs: 5" in dry
    assert "perturbed evaluations: 3" in dry
    assert "perturbation choice_swap:1.0: skipped for tatoeba" in dry
    assert "phase-3 trainings: 1 (0 done)" in dry  # the perturbed jobs plan the clean job's stage, not one of their own
    assert "perturbed choice_swap:1.0" in dry

    run("run", exp, "--data-dir", pipeline_root, "--output", out)
    (clean,) = [p for p in out.glob("*/none") if p.is_dir()]
    typo, swap = clean / "perturbed" / "typo-0.2", clean / "perturbed" / "choice_swap-1.0"
    configs = {p: json.loads((p / "results.json").read_text())["config"] for p in (clean, typo, swap)}
    assert [configs[p]["perturbation"] for p in (clean, typo, swap)] == [None, "typo:0.2", "choice_swap:1.0"]
    assert all(c["experiment"] == "tiny-robust" and c["intermediate"] == "none" for c in configs.values())
    assert len(list((clean / "seed-1" / "models").iterdir())) == 1  # COPA phase 3, trained once
    assert not any((p / "seed-1" / "models").exists() for p in (typo, swap))

    cells = {p: sorted(f.name for f in (p / "seed-1" / "cells").rglob("*.json")) for p in (clean, typo, swap)}
    assert cells[clean] == cells[typo] == ["test-de.json", "test-et.json"]
    assert cells[swap] == ["test-et.json"]  # tatoeba skipped
    clean_cell = json.loads((clean / "seed-1/cells/xcopa/test-et.json").read_text())
    swap_cell = json.loads((swap / "seed-1/cells/xcopa/test-et.json").read_text())
    assert "perturbed:choice_swap:1.0" in swap_cell["flags"] and swap_cell["info"]["weights"] == clean_cell["info"]["weights"]
    assert swap_cell["info"]["fingerprint"] != clean_cell["info"]["fingerprint"]

    clean_items, swapped = items(clean, "xcopa", "test-et.jsonl"), items(swap, "xcopa", "test-et.jsonl")
    assert [r["id"] for r in swapped] == [r["id"] for r in clean_items]
    assert all(r["perturbed"]["permutation"] == [1, 0] for r in swapped)
    assert [r["reference"] for r in swapped] == [r["reference"] for r in clean_items]  # in original choice indices
    tatoeba = items(typo, "tatoeba", "test-de.jsonl")
    assert any(r["perturbed"] for r in tatoeba) and all(set(r["perturbed"]) <= {"target"} for r in tatoeba)

    again = run("run", exp, "--data-dir", pipeline_root, "--output", out, "--dry-run")
    assert "evaluation cells: 5 (5 done)" in again and "phase-3 trainings: 1 (1 done)" in again


@pytest.mark.parametrize("perturbations, what", [
    (["typo:1.5"], "strength '1.5' is not a number in [0, 1]"),
    (["tpyo"], "did you mean 'typo'?"),
    (["choice_swap"], "applies to none of the targets"),
])
def test_bad_perturbations_in_an_experiment_give_one_located_line(tmp_path, tiny_model, perturbations, what):
    exp = experiment(tmp_path, tiny_model, perturbations=perturbations,
                     targets=[{"tatoeba": {"languages": ["de"]}}])
    res = CliRunner().invoke(cli, ["run", str(exp), "--dry-run"])
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "\n" not in line and "exp.yaml:" in line and "perturbations" in line and what in line

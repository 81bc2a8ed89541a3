"""`xbench eval --perturb` end to end on a tiny model and real PAN-X files: the perturbed run reuses the
clean run's checkpoint, is byte-identical when repeated (even with another batch size), differs from the
clean run, and its cells carry the flag, the record and their own fingerprint."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers.mini_data import make_panx_root
from xbench.cli import cli


@pytest.fixture()
def panx_root(shared_data, tmp_path):
    return make_panx_root(shared_data, tmp_path / "data", train=40, dev=24, langs=("en", "de"))


def evaluate(model, root, out, *extra):
    res = CliRunner().invoke(cli, ["eval", "--model", str(model), "--tasks", "panx", "--languages", "en,de",
                                   "--split", "dev", "--train-limit", "32", "--epochs", "1", "--limit", "20",
                                   "--data-dir", str(root), "--output", str(out), *extra])
    assert res.exit_code == 0, res.output
    return res


def files(folder: Path, kind: str) -> dict:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted((folder / "seed-1" / kind).rglob("*.*"))}


def test_perturbed_eval_is_deterministic_reuses_the_checkpoint_and_differs_from_clean(tiny_model, panx_root, tmp_path):
    out = tmp_path / "run"
    evaluate(tiny_model, panx_root, out, "--batch-size", "4")
    models = sorted(p.name for p in (out / "seed-1" / "models").iterdir())
    evaluate(tiny_model, panx_root, out, "--batch-size", "4", "--perturb", "typo:0.1")
    perturbed = out / "perturbed" / "typo-0.1"
    assert sorted(p.name for p in (out / "seed-1" / "models").iterdir()) == models  # nothing retrained
    assert not (perturbed / "seed-1" / "models").exists()
    first = files(perturbed, "items") | files(perturbed, "predictions")
    evaluate(tiny_model, panx_root, out, "--batch-size", "2", "--perturb", "typo:0.1", "--overwrite")
    assert files(perturbed, "items") | files(perturbed, "predictions") == first  # byte-identical

    clean_items = [json.loads(line) for line in (out / "seed-1/items/panx/validation-de.jsonl").read_text().splitlines()]
    items = [json.loads(line) for line in (perturbed / "seed-1/items/panx/validation-de.jsonl").read_text().splitlines()]
    assert [r["id"] for r in items] == [r["id"] for r in clean_items]
    changed = [r for r in items if r["perturbed"]]
    assert changed and all(len(r["perturbed"]["tokens"]) == r["n_tokens"] == len(r["reference"]) for r in changed)
    assert all("perturbed" not in r for r in clean_items)

    clean_cell = json.loads((out / "seed-1/cells/panx/validation-de.json").read_text())
    cell = json.loads((perturbed / "seed-1/cells/panx/validation-de.json").read_text())
    assert "perturbed:typo:0.1" in cell["flags"] and not any(f.startswith("perturbed") for f in clean_cell["flags"])
    assert cell["info"]["perturbation"]["spec"] == "typo:0.1" and cell["info"]["perturbation"]["items_changed"] > 0
    assert cell["info"]["fingerprint"] != clean_cell["info"]["fingerprint"]
    assert cell["info"]["weights"] == clean_cell["info"]["weights"]  # the same checkpoint, evaluated
    config = json.loads((perturbed / "results.json").read_text())["config"]
    assert config["perturbation"] == "typo:0.1" and config["checkpoints_dir"] == str(out)
    assert json.loads((out / "results.json").read_text())["config"]["perturbation"] is None


@pytest.mark.parametrize("perturb, message", [
    ("choice_swap:1.0", "perturbation choice_swap does not apply to task panx"),
    ("typo:2", "--perturb typo:2: strength '2' is not a number in [0, 1]"),
    ("tpyo:0.1", "did you mean 'typo'?"),
])
def test_bad_perturbations_stop_before_anything_is_trained(tiny_model, panx_root, tmp_path, perturb, message):
    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["eval", "--model", str(tiny_model), "--tasks", "panx", "--split", "dev",
                                   "--data-dir", str(panx_root), "--output", str(out), "--perturb", perturb])
    assert res.exit_code == 2, res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1
    assert not (out / "seed-1").exists()


def test_the_python_api_takes_perturb(tiny_model, panx_root, tmp_path):
    import xbench

    res = xbench.evaluate(str(tiny_model), "panx", languages=["de"], split="dev", train_limit=16, epochs=1,
                          limit=8, batch_size=4, output=tmp_path / "api", data_dir=panx_root, progress=False,
                          record=False, perturb="word_drop:0.3")
    assert res.config["perturbation"] == "word_drop:0.3"
    assert all("perturbed:word_drop:0.3" in c.flags for c in res.cells)
    assert (tmp_path / "api" / "perturbed" / "word_drop-0.3" / "results.json").is_file()


def test_prompted_choice_swap_predictions_map_back_to_the_clean_ones(shared_data, tmp_path):
    """A causal LM scores each choice on its own, so under choice_swap every prediction, mapped back to
    the original choice index, is the clean one: the mapping is exact item by item."""
    from helpers.tiny_causal_lm import make_tiny_causal_lm

    model, out = make_tiny_causal_lm(tmp_path / "gpt2"), tmp_path / "run"
    argv = ["eval", "--model", str(model), "--tasks", "xcopa", "--languages", "et", "--limit", "24",
            "--data-dir", str(shared_data), "--output", str(out)]
    for extra in ([], ["--perturb", "choice_swap:1.0"]):
        res = CliRunner().invoke(cli, argv + extra)
        assert res.exit_code == 0, res.output
    clean = [json.loads(line) for line in (out / "seed-1/items/xcopa/test-et.jsonl").read_text().splitlines()]
    swapped = [json.loads(line) for line in
               (out / "perturbed/choice_swap-1.0/seed-1/items/xcopa/test-et.jsonl").read_text().splitlines()]
    assert all(r["perturbed"]["permutation"] == [1, 0] for r in swapped)
    assert [(r["id"], r["prediction"], r["prediction_norm"], r["reference"]) for r in swapped] == \
        [(r["id"], r["prediction"], r["prediction_norm"], r["reference"]) for r in clean]
    assert [[c["continuation"] for c in r["choices"]] for r in swapped] == \
        [[c["continuation"] for c in r["choices"]] for r in clean]

"""README.md, "Intermediate-task training and experiments": `xbench train` defaults and the keys of
experiment files, checked against the code."""

from __future__ import annotations

import pytest

from xbench.errors import UserError



EXPERIMENT = """\
experiment: readme-keys
models: [minilm-l6]
intermediate:
  none: none
  siqa: {{tasks: [siqa], sampler: uniform, max_steps: 5, limit: 10, learning_rate: 1.0e-5, batch_size: 2, grad_accum: 1}}
intermediate_training: {{sampler: proportional, max_steps: 3, limit: 8, learning_rate: 2.0e-5, batch_size: 4, grad_accum: 2}}
targets:
  - xcopa: {{languages: [et, ht], split: test, train_stages: "copa:train", limit: 5, train_limit: 6, epochs: 1}}
  - xtreme/tatoeba
seeds: [1, 2]
limit: 4
train_limit: 8
epochs: 1
perturbations: [typo:0.1, choice_swap:1.0]
executor: local
resources: {{cpus: 1}}
batch_size: 8
device: cpu
precision: fp32
"""


def test_an_experiment_file_takes_every_key_of_the_readme_table(tmp_path):
    """Experiment files (README 386-396): experiment, models, intermediate (`none` or {tasks, sampler,
    max_steps, limit, learning_rate, batch_size, grad_accum}), intermediate_training, targets (NAME,
    GROUP/NAME, or {ADDRESS: {languages, split, train_stages, limit, train_limit, epochs}}), seeds,
    limit, train_limit, epochs, perturbations, executor, resources, batch_size, device, precision."""
    from xbench.experiment.spec import load_experiment

    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(), encoding="utf-8")
    exp = load_experiment(path)
    assert [c.name for c in exp.intermediates] == ["none", "siqa"]
    assert [t.address for t in exp.targets] == ["xcopa", "xtreme/tatoeba"]
    assert exp.seeds == [1, 2]
    swap = next(p for p in exp.perturbations if p.spec.startswith("choice_swap"))
    assert swap.targets == ["xcopa"] and swap.skipped == ["xtreme/tatoeba"]  # README 408-409
    path.write_text(EXPERIMENT.format() + "colour: blue\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"exp\.yaml:\d+"):
        load_experiment(path)


# ---- training defaults --------------------------------------------------------------------------

def test_train_max_steps_defaults_to_one_pass_over_the_items():
    """`xbench train` (README 365-366): `--max-steps` optimiser steps (default: one pass over the
    items) — the items of every task, in steps of batch size × gradient accumulation."""
    from xbench.train.multitask import default_steps
    from xbench.train.recipe import Recipe

    assert default_steps({"siqa": 100, "copa": 28}, Recipe(batch_size=8, grad_accum=2)) == 8  # 128 / 16
    assert default_steps({"siqa": 129}, Recipe(batch_size=8, grad_accum=2)) == 9  # a last partial step
    assert default_steps({"tiny": 1}, Recipe(batch_size=8, grad_accum=4)) == 1


@pytest.mark.integration
def test_a_cell_parallel_to_the_intermediate_data_is_flagged(tiny_model, shared_data, tmp_path):
    """Intermediate-task training (README 422-425): cells evaluated from an `xbench train` folder record
    its manifest (`info.intermediate`) and its flags; "a cell whose task and split are the intermediate
    data's (XNLI de dev as intermediate, XNLI dev evaluated) is flagged `intermediate_parallel_to_eval`" —
    and a cell of another task on the same split (PAWS-X dev) is not (the shared data has no XNLI test)."""
    import json

    from click.testing import CliRunner

    from xbench.cli import cli

    def invoke(*args):
        result = CliRunner().invoke(cli, [*args, "--device", "cpu", "--data-dir", str(shared_data)])
        assert result.exit_code == 0, result.output

    ckpt = tmp_path / "ckpt"
    invoke("train", "--model", str(tiny_model), "--tasks", "xnli:validation:de", "--max-steps", "1", "--limit", "8",
           "--batch-size", "4", "--output", str(ckpt))
    manifest = json.loads((ckpt / "manifest.json").read_text(encoding="utf-8"))
    cells = {}
    for task in ("xnli", "pawsx"):
        out = tmp_path / task
        invoke("eval", "--model", str(ckpt), "--tasks", task, "--split", "dev", "--languages", "de,fr",
               "--no-finetune", "--limit", "4", "--output", str(out))
        cells[task] = json.loads((out / "results.json").read_text(encoding="utf-8"))["cells"]
    flag = "intermediate_parallel_to_eval:xnli.validation.de"
    assert [(c["language"], flag in c["flags"]) for c in cells["xnli"]] == [("de", True), ("fr", True)]
    assert [(c["language"], any(f.startswith("intermediate_parallel") for f in c["flags"])) for c in cells["pawsx"]] \
        == [("de", False), ("fr", False)]
    for cell in cells["xnli"] + cells["pawsx"]:
        assert cell["info"]["intermediate"]["key"] == manifest["key"]
        assert "intermediate_on_validation:xnli" in cell["flags"]  # the manifest's own flag, carried over

"""Checkpoints are keyed by what they depend on, and a head is reused only for its own task."""

import json
from pathlib import Path

import xbench
from xbench.train.intermediate import IntermediateSettings, parse_tasks, train_intermediate

COMMON = dict(languages=["et"], train_stages="copa:train", limit=12, train_limit=24, batch_size=4, progress=False,
              record=False)


def stage_dirs(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("seed-1/models/*/done.json")}


def xcopa(model, root, out, **kw):
    return xbench.evaluate(str(model), "xcopa", data_dir=root, output=out, **{**COMMON, "epochs": 1, **kw})


def test_recipe_data_and_selection_changes_retrain(tiny_model, pipeline_root, tmp_path):
    out = tmp_path / "run"
    xcopa(tiny_model, pipeline_root, out)
    first = stage_dirs(out)
    assert len(first) == 1
    record = json.loads((out / "seed-1" / "models" / next(iter(first)) / "done.json").read_text())["record"]
    assert record["task"] == "copa" and record["recipe"]["epochs"] == 1 and record["data"]
    assert record["selection"]["on"] == "copa validation (en)"

    xcopa(tiny_model, pipeline_root, out)  # same inputs: reused, nothing new
    assert stage_dirs(out) == first

    xcopa(tiny_model, pipeline_root, out, epochs=2)  # a recipe value
    after_recipe = stage_dirs(out)
    assert len(after_recipe) == 2

    train = pipeline_root / "copa_en" / "superglue_COPA" / "train-en.jsonl"
    lines = train.read_text(encoding="utf-8").splitlines(keepends=True)
    train.write_text("".join(lines[1:] + lines[:1]), encoding="utf-8")  # same items, other order: new data
    xcopa(tiny_model, pipeline_root, out)
    after_data = stage_dirs(out)
    assert len(after_data) == 3

    (pipeline_root / "copa_en" / "superglue_COPA" / "val-en.jsonl").unlink()  # no dev: held-out selection
    res = xcopa(tiny_model, pipeline_root, out)
    assert len(stage_dirs(out)) == 4
    stage = res.cells[0].info["train"]["stages"][0]
    assert stage["record"]["selection"]["on"].startswith("held-out 10%")


def test_changed_data_recomputes_cells_and_same_inputs_reuse_them(tiny_model, pipeline_root, tmp_path):
    out = tmp_path / "run"
    res = xcopa(tiny_model, pipeline_root, out)
    cell_file = out / "seed-1" / "cells" / "xcopa" / "test-et.json"
    stamp = cell_file.stat().st_mtime_ns
    xcopa(tiny_model, pipeline_root, out)
    assert cell_file.stat().st_mtime_ns == stamp  # reused
    test = pipeline_root / "xcopa" / "data" / "et" / "test.et.jsonl"
    test.write_text(test.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same items, new file state
    res2 = xcopa(tiny_model, pipeline_root, out)
    assert cell_file.stat().st_mtime_ns != stamp
    assert res2.cells[0].info["fingerprint"] != res.cells[0].info["fingerprint"]


def test_siqa_head_is_not_evaluated_as_is_on_xcopa(tiny_model, pipeline_root, tmp_path):
    # a SIQA-fine-tuned checkpoint (its head: multiple choice, task siqa)
    siqa_run = tmp_path / "siqa"
    xbench.evaluate(str(tiny_model), "siqa", split="validation", train_stages="siqa:train", limit=8, train_limit=24,
                    epochs=1, batch_size=4, data_dir=pipeline_root, output=siqa_run, progress=False, record=False)
    siqa_ckpt = next(siqa_run.glob("seed-1/models/*/best"))
    assert json.loads((siqa_ckpt / "xbench_head.json").read_text())["task"] == "siqa"

    res = xcopa(siqa_ckpt, pipeline_root, tmp_path / "xcopa")
    train = res.cells[0].info["train"]
    assert train["finetuned"] is True and [s["record"]["task"] for s in train["stages"]] == ["copa"]

    as_is = xbench.evaluate(str(siqa_ckpt), "xcopa", data_dir=pipeline_root, output=tmp_path / "as-is",
                            **{**COMMON, "head_task": "siqa"})
    cell = as_is.cells[0]
    assert cell.info["train"]["finetuned"] is False and "head_from_task=siqa" in cell.flags


def test_phase2_encoder_on_tatoeba_differs_from_raw_and_names_its_chain(tiny_model, pipeline_root, tmp_path):
    ckpt = tmp_path / "phase2"
    manifest = train_intermediate(IntermediateSettings(
        model=str(tiny_model), tasks=parse_tasks("siqa"), output=ckpt, max_steps=6, seed=1, limit=48,
        data_dir=pipeline_root, batch_size=8, grad_accum=1, learning_rate=5e-3, progress=False), log=lambda _: None)
    assert manifest["steps_per_task"] == {"siqa": 6}
    assert not (ckpt / "xbench_head.json").exists() and (ckpt / "heads" / "siqa" / "xbench_head.json").is_file()

    def tatoeba(model, out):
        res = xbench.evaluate(str(model), "tatoeba", languages=["de"], limit=60, data_dir=pipeline_root,
                              output=out, progress=False, record=False)
        preds = (out / "seed-1" / "predictions" / "tatoeba" / "test-de.tsv").read_text()
        return res.cells[0], preds

    raw_cell, raw_preds = tatoeba(tiny_model, tmp_path / "raw")
    p2_cell, p2_preds = tatoeba(ckpt, tmp_path / "p2")
    assert raw_preds != p2_preds
    assert p2_cell.info["intermediate"]["key"] == manifest["key"]
    assert [t["task"] for t in p2_cell.info["intermediate"]["tasks"]] == ["siqa"]
    assert "intermediate" not in raw_cell.info
    assert p2_cell.info["weights"] != raw_cell.info["weights"]


def test_a_copied_data_root_keeps_checkpoints_and_cells(tiny_model, pipeline_root, tmp_path):
    import shutil

    out = tmp_path / "run"
    res = xcopa(tiny_model, pipeline_root, out)
    moved = tmp_path / "elsewhere"
    shutil.copytree(pipeline_root, moved)  # new paths, new mtimes, same bytes
    cell_file = out / "seed-1" / "cells" / "xcopa" / "test-et.json"
    stamp = cell_file.stat().st_mtime_ns
    res2 = xcopa(tiny_model, moved, out)
    assert cell_file.stat().st_mtime_ns == stamp and len(stage_dirs(out)) == 1
    assert res2.cells[0].info["fingerprint"] == res.cells[0].info["fingerprint"]


def percent_accuracy(predictions, references, **_):
    return 100.0 * sum(p == r for p, r in zip(predictions, references)) / len(references)


def test_a_metric_that_returns_a_percentage_is_one_clear_error(tiny_model, pipeline_root, tmp_path):
    import pytest

    from xbench.errors import UserError
    from xbench.registry import Metric, get_registry, hookimpl

    class Plugin:
        @hookimpl
        def xbench_metrics(self):
            return [Metric("accuracy", f"{__name__}:percent_accuracy", override=True)]

    get_registry().register(Plugin(), "percent_metric_test")  # the autouse fixture resets the registry
    with pytest.raises(UserError, match=r"xcopa/et: metric 'accuracy' returned [0-9.]+; xbench stores metrics as fractions"):
        xcopa(tiny_model, pipeline_root, tmp_path / "run")
    assert not list((tmp_path / "run").glob("seed-1/cells/xcopa/*.json"))

"""A finished cell is reused only when everything it depends on is unchanged (integration, through
``xbench.evaluate`` on real Tatoeba lines with a tiny model: a zero-shot task, nothing is trained)."""

import json
import shutil

import pytest

import xbench
from helpers.mini_data import make_pipeline_root
from helpers.tiny_model import make_tiny_model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


@pytest.fixture()
def data_root(shared_data, tmp_path):
    return make_pipeline_root(shared_data, tmp_path / "data")


def tatoeba(model, data_root, out):
    res = xbench.evaluate(str(model), "tatoeba", languages=["de"], limit=20, data_dir=data_root, output=out,
                          progress=False, record=False)
    (cell,) = res.cells
    return cell


def cell_file(out):
    return out / "seed-1" / "cells" / "tatoeba" / "test-de.json"


def stamp(out):
    return cell_file(out).stat().st_mtime_ns


def test_same_inputs_reuse_and_a_changed_data_file_recomputes(tiny_model, data_root, tmp_path):
    out = tmp_path / "run"
    first = tatoeba(tiny_model, data_root, out)
    before = stamp(out)
    assert tatoeba(tiny_model, data_root, out) == first and stamp(out) == before  # reused
    source = data_root / "tatoeba" / "tatoeba.deu-eng.deu"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    source.write_text("".join([lines[1], lines[0], *lines[2:]]), encoding="utf-8")  # two sentences swapped
    second = tatoeba(tiny_model, data_root, out)
    assert stamp(out) != before
    assert second.info["fingerprint"] != first.info["fingerprint"]


def test_an_overwritten_checkpoint_folder_recomputes(tiny_model, data_root, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    out = tmp_path / "run"
    first = tatoeba(model, data_root, out)
    before = stamp(out)
    make_tiny_model(model, seed=1)  # same path, new weights
    second = tatoeba(model, data_root, out)
    assert stamp(out) != before
    assert second.info["weights"] != first.info["weights"]
    assert second.info["model_dir"] == first.info["model_dir"]


def test_a_bumped_metric_version_recomputes(tiny_model, data_root, tmp_path, monkeypatch):
    from xbench.metrics import classification

    out = tmp_path / "run"
    tatoeba(tiny_model, data_root, out)
    before = stamp(out)
    monkeypatch.setattr(classification.accuracy, "version", classification.accuracy.version + 1)
    tatoeba(tiny_model, data_root, out)
    assert stamp(out) != before


def test_a_hand_edited_or_stale_cell_is_recomputed_with_a_warning(tiny_model, data_root, tmp_path, capsys):
    out = tmp_path / "run"
    first = tatoeba(tiny_model, data_root, out)
    path = cell_file(out)
    data = json.loads(path.read_text())
    data["metrics"]["accuracy"] = 1.0  # a "better" result, typed in
    path.write_text(json.dumps(data, indent=2))
    capsys.readouterr()
    again = tatoeba(tiny_model, data_root, out)
    err = capsys.readouterr().err
    assert f"xbench: warning: {path}: not reused (its content does not match its checksum" in err
    assert "will be recomputed" in err
    assert again.metrics == first.metrics  # recomputed, not the typed-in value
    assert json.loads(path.read_text())["metrics"] == first.metrics

    data = json.loads(path.read_text())
    del data["checksum"]  # as an older xbench wrote it
    path.write_text(json.dumps(data, indent=2))
    before = stamp(out)
    tatoeba(tiny_model, data_root, out)
    err = capsys.readouterr().err
    assert str(path) in err and "stale" in err and stamp(out) != before


def test_the_cell_records_its_bootstrap_settings(tiny_model, data_root, tmp_path):
    from xbench.metrics.bootstrap import DEFAULT_SETTINGS

    cell = tatoeba(tiny_model, data_root, tmp_path / "run")
    boot = cell.info["bootstrap"]
    assert {k: boot[k] for k in ("resamples", "confidence", "seed")} == {
        "resamples": DEFAULT_SETTINGS.resamples, "confidence": DEFAULT_SETTINGS.confidence,
        "seed": DEFAULT_SETTINGS.seed}
    assert boot["unit"] == "item" and boot["n_units"] == cell.n_items == 20



def test_a_qa_cell_resamples_articles(shared_data):
    """What the engine scores a QA cell with (``score_cell`` on the task type's groups), on the real
    XQuAD questions and their articles: the unit and the number of articles are stored."""
    from xbench.evaluation.cell_scores import score_cell
    from xbench.registry import get_registry
    from xbench.tasktypes.base import CellOutput
    from xbench.tasktypes.extractive_qa import ExtractiveQA

    articles = json.loads((shared_data / "xquad" / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    examples = [{"title": a["title"], "context": p["context"], "answers": {"text": [q["answers"][0]["text"]]}}
                for a in articles[:3] for p in a["paragraphs"] for q in p["qas"]]
    qa = ExtractiveQA({"name": "xquad", "type": "extractive_qa", "options": {}}, tokenizer=None)
    references = qa.references(examples)
    predictions = [r[0] if i % 3 else "" for i, r in enumerate(references)]
    out = CellOutput(predictions, references, [], ("json", "{}"))
    scores = score_cell(get_registry(), "xquad", ["exact_match", "f1"], "de", {}, out, qa.resampling_groups(examples))
    boot = scores.bootstrap
    assert boot["unit"] == "article" and boot["n_units"] == 3 and len(examples) > 3
    assert boot["units"] == {"exact_match": ["article", 3], "f1": ["article", 3]}
    per_question = score_cell(get_registry(), "xquad", ["f1"], "de", {}, out)
    assert per_question.bootstrap["n_units"] == len(examples) and per_question.metrics["f1"] == scores.metrics["f1"]

"""Cell files: round trip, atomic writes, and damaged files never read as results."""

import json

import pytest

from xbench.results import CellResult, cell_path, read_cell, read_cells, scan_cells, write_cell
from xbench.results.cells import CellFormatError


def _cell(**kw):
    base = dict(task="panx", address="xtreme/panx", group="xtreme", language="de", split="test", seed=3,
                metrics={"tagging_f1": .61, "token_accuracy": .83}, ci={"tagging_f1": [.58, .64]}, n_items=10,
                flags=["limit=500"], info={"checkpoint": "step-100"})
    return CellResult(**{**base, **kw})


def test_write_read_round_trip(tmp_path):
    cell = _cell()
    path = write_cell(tmp_path, cell)
    assert path == tmp_path / "seed-3" / "cells" / "panx" / "test-de.json"
    assert path == cell_path(tmp_path, "panx", "test", "de", 3)
    assert read_cell(path) == cell
    assert read_cells(tmp_path) == [cell]
    assert not list(path.parent.glob("*.tmp"))  # the temporary file was renamed, not left behind


def test_truncated_file_is_not_a_result(tmp_path, capsys):
    good = write_cell(tmp_path, _cell(language="en"))
    bad = write_cell(tmp_path, _cell(language="de"))
    text = bad.read_text()
    bad.write_text(text[: len(text) // 2])  # what a crash in a non-atomic write would leave
    scan = scan_cells(tmp_path)
    assert [c.language for c in scan.cells] == ["en"]
    assert [p for p, _ in scan.corrupt] == [bad]
    assert [c.language for c in read_cells(tmp_path)] == ["en"]
    warning = capsys.readouterr().err
    assert warning.startswith("xbench: warning: ") and str(bad) in warning and good.exists()


@pytest.mark.parametrize("change", [
    lambda d: d.pop("seed"),
    lambda d: d.update(metrics={"tagging_f1": 61.0}),  # a percentage, not a fraction
    lambda d: d.update(metrics={"tagging_f1": "0.6"}),
    lambda d: d.update(metrics={}),  # status ok without metrics
    lambda d: d.update(status="done"),
    lambda d: d.update(ci={"tagging_f1": [0.5]}),
    lambda d: d.update(seed=4),  # the content no longer matches the file's place
])
def test_malformed_cell_files_are_rejected(tmp_path, change):
    path = write_cell(tmp_path, _cell())
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(CellFormatError):
        read_cell(path)
    assert read_cells(tmp_path) == []


def test_non_json_and_temporary_files_are_ignored(tmp_path):
    write_cell(tmp_path, _cell())
    folder = tmp_path / "seed-3" / "cells" / "panx"
    (folder / ".test-fr.json.abc.tmp").write_text('{"task": "pa')  # an interrupted write_atomic
    (folder / "test-fr.json").write_bytes(b"\xff\xfe\x00")
    scan = scan_cells(tmp_path)
    assert [c.language for c in scan.cells] == ["de"]
    assert [p.name for p, _ in scan.corrupt] == ["test-fr.json"]


def test_write_cell_refuses_invalid_cells(tmp_path):
    with pytest.raises(CellFormatError):
        write_cell(tmp_path, _cell(metrics={"accuracy": 1.5}))
    assert not list(tmp_path.rglob("*.json"))


def test_missing_and_predict_only_cells_have_no_metrics(tmp_path):
    missing = _cell(status="missing", metrics={}, ci={}, missing_reason="no English training data")
    predicted = _cell(language="fr", status="predict_only", metrics={}, ci={})
    write_cell(tmp_path, missing)
    write_cell(tmp_path, predicted)
    assert {c.language: c.status for c in read_cells(tmp_path)} == {"de": "missing", "fr": "predict_only"}

"""Cells carry a checksum of their content: a hand-edited cell is refused (not reused, not shown),
a cell without one (an older xbench's) counts as stale."""

import json

import pytest

from xbench.evaluation.cell_key import reusable_cell
from xbench.results import CellResult, read_cell, read_cells, write_cell
from xbench.results.cells import CellChecksumError, CellStaleError, cell_checksum, cell_record
from xbench.results.run import RunResults


def _cell(**kw):
    base = dict(task="xnli", address="xtreme/xnli", group="xtreme", language="de", split="test", seed=1,
                metrics={"accuracy": .61}, ci={"accuracy": [.58, .64]}, n_items=10, info={"fingerprint": "k1"})
    return CellResult(**{**base, **kw})


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def test_a_cell_file_carries_the_checksum_of_its_other_fields(tmp_path):
    path = write_cell(tmp_path, _cell())
    data = json.loads(path.read_text())
    assert data["checksum"].startswith("sha256:") and data["checksum"] == cell_checksum(data)
    assert read_cell(path) == _cell()
    # the checksum is over the content, not the layout: re-indenting the same content keeps it valid
    path.write_text(json.dumps(data, indent=None, sort_keys=True))
    assert read_cell(path) == _cell()


def test_a_hand_edited_cell_is_refused(tmp_path, capsys):
    path = write_cell(tmp_path, _cell())
    _edit(path, lambda d: d["metrics"].update(accuracy=0.99))  # still a well-formed cell
    with pytest.raises(CellChecksumError, match="does not match its checksum"):
        read_cell(path)
    assert read_cells(tmp_path) == []  # not shown as a result
    err = capsys.readouterr().err
    assert err.startswith(f"xbench: warning: {path}: not used as a result") and "checksum" in err
    # not reused by the engine either: it says so, naming the file, and that it will be recomputed
    assert reusable_cell(path, "k1") is None
    err = capsys.readouterr().err
    assert err.strip() == (f"xbench: warning: {path}: not reused (its content does not match its checksum "
                           "(edited by hand or damaged)); this cell will be recomputed")


def test_a_cell_without_checksum_is_stale(tmp_path, capsys):
    path = write_cell(tmp_path, _cell())
    _edit(path, lambda d: d.pop("checksum"))
    with pytest.raises(CellStaleError):
        read_cell(path)
    assert reusable_cell(path, "k1") is None
    err = capsys.readouterr().err
    assert str(path) in err and "older xbench" in err and "stale" in err and "recomputed" in err


def test_an_intact_cell_is_reused_only_under_its_own_key(tmp_path, capsys):
    path = write_cell(tmp_path, _cell())
    assert reusable_cell(path, "k1") == _cell()
    assert reusable_cell(path, "k2") is None  # another key: other inputs
    assert reusable_cell(path, "k1", overwrite=True) is None
    assert capsys.readouterr().err == ""  # nothing refused: no warning


def test_results_json_leaves_out_a_hand_edited_cell_with_a_located_warning(tmp_path, capsys):
    cells = [_cell(), _cell(language="fr", metrics={"accuracy": .55})]
    RunResults(config={"model": "tiny"}, cells=cells).save(tmp_path)
    path = tmp_path / "results.json"
    data = json.loads(path.read_text())
    assert all(c["checksum"] == cell_checksum(c) for c in data["cells"])
    data["cells"][1]["metrics"]["accuracy"] = 0.95
    path.write_text(json.dumps(data))
    loaded = RunResults.load(tmp_path)
    assert [c.language for c in loaded.cells] == ["de"]
    err = capsys.readouterr().err
    assert f"{path}: cell 2 (xnli/test-fr, seed 1) is left out" in err and "checksum" in err
    # results saved before cells had checksums are read as they are
    for c in data["cells"]:
        c.pop("checksum")
    path.write_text(json.dumps(data))
    assert [c.language for c in RunResults.load(tmp_path).cells] == ["de", "fr"]


def test_cell_record_round_trips():
    cell = _cell(info={"fingerprint": "k1", "nested": {"b": [1, 2.5], "a": None}})
    record = cell_record(cell)
    assert CellResult.from_dict(record) == cell and record["checksum"] == cell_checksum(record)

"""Malformed rows among good ones (issue 12, D2/D7): the cell is read without them, with one located
warning per cell on stderr and the flag ``skipped_rows=N`` — also when its examples come from the cache."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.data import api
from xbench.data.skips import reset_warnings

GOOD = "a cat\tthe cat\tentailment\nthe dog\ta house\tneutral\nred\tblue\tcontradiction\n"
BAD = "a cat\tthe cat\tentailment\nonly one column\nthe dog\ta house\tneutral\ntwo\tcolumns\nred\tblue\tcontradiction\n"


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "data"
    (root / "xnli").mkdir(parents=True)
    (root / "download.log").write_text("x\n")  # XTREME's layout marker
    (root / "xnli" / "dev-en.tsv").write_text(GOOD, encoding="utf-8")
    (root / "xnli" / "dev-de.tsv").write_text(BAD, encoding="utf-8")
    return root


def warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("xbench: warning:")]


def test_one_located_warning_and_a_flag_read_or_cached(catalog, root, capsys, monkeypatch):
    reset_warnings()
    task = catalog.task("xnli")
    loaded = api.load_split(task, "validation", "de", data_dir=root)
    assert len(loaded.dataset) == 3 and "skipped_rows=2" in loaded.flags
    (line,) = warnings(capsys.readouterr().err)
    assert f"{root / 'xnli' / 'dev-de.tsv'}:2: 2 malformed rows skipped" in line
    assert "1 tab-separated columns, expected 3" in line and "xnli/validation/de" in line
    assert "(fix: " in line and "xbench data check --data-dir" in line

    # loaded again in the same invocation (another seed): flagged, not warned twice
    assert "skipped_rows=2" in api.load_split(task, "validation", "de", data_dir=root).flags
    assert warnings(capsys.readouterr().err) == []

    # a new invocation reads the examples cache (no file is read): the same warning, the same flag
    reset_warnings()
    with monkeypatch.context() as patched:
        patched.setattr(api, "read_local", lambda *a, **k: pytest.fail("read instead of the examples cache"))
        cached = api.load_split(task, "validation", "de", data_dir=root)
    assert "skipped_rows=2" in cached.flags and len(cached.dataset) == 3
    assert warnings(capsys.readouterr().err) == [line]

    # a clean cell: neither
    clean = api.load_split(task, "validation", "en", data_dir=root)
    assert not any(f.startswith("skipped_rows=") for f in clean.flags)
    assert warnings(capsys.readouterr().err) == []


def test_rows_dropped_by_an_official_rule_are_not_warned_about(catalog, original_root, capsys):
    """ANLI+'s SNLI part drops label '-' as the official preprocessing does: counted, no warning or flag."""
    reset_warnings()
    loaded = api.load_split(catalog.task("anli"), "train", "en", data_dir=original_root, layout="original")
    assert loaded.skipped.total("rule") == 1
    assert not any(f.startswith("skipped_rows=") for f in loaded.flags)
    assert warnings(capsys.readouterr().err) == []


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from helpers.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


def test_eval_warns_once_per_run_and_the_table_flags_the_cell(root, tiny_model, tmp_path, monkeypatch):
    argv = ["eval", "--model", str(tiny_model), "--tasks", "xnli", "--split", "dev", "--languages", "de",
            "--no-finetune", "--data-dir", str(root), "--output", str(tmp_path / "out")]
    first = CliRunner().invoke(cli, argv)
    assert first.exit_code == 0, first.output
    (line,) = warnings(first.stderr)
    assert "dev-de.tsv:2: 2 malformed rows skipped" in line and "skipped_rows=2" in line
    assert "skipped_rows=2" in first.stdout  # the table's flags column and footnote
    cell = json.loads((tmp_path / "out" / "results.json").read_text())["cells"][0]
    assert "skipped_rows=2" in cell["flags"] and cell["info"]["skipped_rows"] == 2

    # the second run takes the examples from the cache, warns the same and reuses the finished cell
    cell_file = next((tmp_path / "out").rglob("cells/**/*.json"))
    stored = cell_file.stat().st_mtime_ns
    monkeypatch.setattr(api, "read_local", lambda *a, **k: pytest.fail("read instead of the examples cache"))
    second = CliRunner().invoke(cli, argv)
    assert second.exit_code == 0, second.output
    assert warnings(second.stderr) == [line] and "skipped_rows=2" in second.stdout
    assert cell_file.stat().st_mtime_ns == stored

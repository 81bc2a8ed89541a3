"""The SQLite results store and `xbench leaderboard`."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.results import RunResults
from xbench.results.store import STORE_VERSION, ResultsStore, leaderboard, record_run, store_path


def _run(cells, scoring, model="tiny", created="2024-01-01T00:00:00+00:00", **kw):
    return RunResults(config={"model": model}, cells=cells, scoring=scoring, created_at=created, **kw)


def test_round_trip_and_idempotent(tmp_path, isolated_home, xtreme_cells, xtreme_scoring):
    results = _run(xtreme_cells(seeds=(1, 2), shift={2: -.02}), xtreme_scoring())
    run_id = record_run(results, tmp_path / "run")
    assert store_path() == isolated_home / "results.sqlite" and store_path().is_file()
    record_run(results, tmp_path / "run")  # again: still one run, same cells
    store = ResultsStore()
    assert [r.run_id for r in store.runs()] == [run_id]
    loaded = store.load_run(run_id)
    assert loaded.cells == results.cells and loaded.scoring.to_dict() == results.scoring.to_dict()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0] == 36
        assert conn.execute("SELECT version FROM store_schema").fetchall() == [(STORE_VERSION,)]
    [section] = leaderboard()
    assert section.label == "tiny" and len(section.cells) == 18


def test_same_run_folder_replaces_the_older_record(tmp_path, xtreme_cells, xtreme_scoring):
    record_run(_run(xtreme_cells(), xtreme_scoring()), tmp_path / "run")
    newer = _run(xtreme_cells(), xtreme_scoring(), created="2024-02-01T00:00:00+00:00")
    record_run(newer, tmp_path / "run")
    assert [r.run_id for r in ResultsStore().runs()] == [newer.run_id]


def test_latest_run_per_model_and_cell(xtreme_cells, xtreme_scoring):
    old = _run(xtreme_cells(), xtreme_scoring())
    # a newer run of the same model redoes xnli only, with other numbers
    new = _run([c for c in xtreme_cells(shift={1: -.10}) if c.task == "xnli"], xtreme_scoring(),
               created="2024-03-01T00:00:00+00:00")
    other = _run(xtreme_cells(skip=("tatoeba",)), xtreme_scoring(), model="big")
    for r in (old, new, other):
        record_run(r)
    sections = {s.label: s for s in leaderboard()}
    assert set(sections) == {"big", "tiny"}
    tiny = {(a.task, a.language): a.metrics for a in sections["tiny"].cells}
    assert tiny[("xnli", "en")]["accuracy"].mean == pytest.approx(.70)  # the newer run
    assert tiny[("panx", "en")]["tagging_f1"].mean == pytest.approx(.80)  # only the older run has it
    assert len(leaderboard(model="big")) == 1 and leaderboard(model="nobody") == []
    assert len(leaderboard(all_runs=True)) == 3
    assert leaderboard(group="other") == []


def test_newer_store_version_is_refused(isolated_home):
    store = ResultsStore()
    store.runs()  # creates nothing: no file yet
    assert not store.exists()
    with sqlite3.connect(store.path) as conn:
        conn.execute("CREATE TABLE store_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO store_schema VALUES (99)")
    from xbench.errors import UserError

    with pytest.raises(UserError, match="newer than this xbench"):
        store.runs()


def _error_line(result) -> str:
    lines = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("how", ["absent", "zero-bytes", "store-without-runs"])
def test_cli_no_stored_results_is_an_error_and_the_file_stays_as_it_was(how, isolated_home, xtreme_cells,
                                                                       xtreme_scoring):
    path = isolated_home / "results.sqlite"
    if how == "zero-bytes":
        path.write_bytes(b"")
    elif how == "store-without-runs":
        record_run(_run(xtreme_cells(), xtreme_scoring()))
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("DELETE FROM runs")
        conn.close()  # the last connection closing removes SQLite's -wal / -shm files
    before = path.read_bytes() if path.exists() else None
    for argv in (["leaderboard"], ["leaderboard", "--format", "json"], ["leaderboard", "--experiment", "x"],
                 ["analyze", "gains", "--experiment", "x"], ["report", "--experiment", "x", "--html",
                                                             str(isolated_home.parent / "r.html")]):
        line = _error_line(CliRunner().invoke(cli, argv))
        assert f"no results stored in {path} yet" in line and "(fix: run `xbench eval` first" in line, line
        assert (path.read_bytes() if path.exists() else None) == before  # no schema written into it
        assert sorted(p.name for p in isolated_home.iterdir() if p.name.startswith("results")) == \
            ([] if before is None else ["results.sqlite"])  # nor -wal / -shm files left beside it


def test_reading_a_store_never_changes_it(tmp_path, xtreme_cells, xtreme_scoring):
    path = tmp_path / "results.sqlite"
    record_run(_run(xtreme_cells(), xtreme_scoring()), path=path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    store = ResultsStore(path)
    assert len(store.runs()) == 1 and len(store.leaderboard()) == 1 and store.stored()["models"] == ["tiny"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.sqlite"]


def test_cli_missing_store_option_file(tmp_path):
    line = _error_line(CliRunner().invoke(cli, ["leaderboard", "--store", str(tmp_path / "none" / "x.sqlite")]))
    assert f"no results stored in {tmp_path / 'none' / 'x.sqlite'} yet" in line
    assert not (tmp_path / "none").exists()


def test_cli_a_results_json_as_the_store(tmp_path, xtreme_cells, xtreme_scoring):
    results = _run(xtreme_cells(), xtreme_scoring())
    results.save(tmp_path / "run")
    before = (tmp_path / "run" / "results.json").read_bytes()
    line = _error_line(CliRunner().invoke(cli, ["leaderboard", "--store", str(tmp_path / "run" / "results.json")]))
    assert "is a results.json of one run, not a results store (fix:" in line and "xbench report" in line
    assert (tmp_path / "run" / "results.json").read_bytes() == before


def test_cli_unknown_filters_name_what_is_stored(xtreme_cells, xtreme_scoring):
    record_run(_run(xtreme_cells(), xtreme_scoring()))
    line = _error_line(CliRunner().invoke(cli, ["leaderboard", "--group", "xtremee"]))
    assert "--group xtremee: unknown group 'xtremee' (did you mean 'xtreme'?)" in line and "(fix:" in line
    line = _error_line(CliRunner().invoke(cli, ["leaderboard", "--group", "xtreme-r"]))
    assert "--group xtreme-r: no results under group 'xtreme-r'" in line and "xtreme" in line
    line = _error_line(CliRunner().invoke(cli, ["leaderboard", "--model", "tinyy"]))
    assert "--model tinyy: no runs of this model" in line and "did you mean 'tiny'?" in line
    line = _error_line(CliRunner().invoke(cli, ["leaderboard", "--experiment", "phang"]))
    assert "--experiment phang: no runs of experiment 'phang'" in line and "(fix:" in line


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "latex", "json"])
def test_cli_leaderboard_formats(fmt, xtreme_cells, xtreme_scoring):
    record_run(_run(xtreme_cells(), xtreme_scoring()))
    record_run(_run(xtreme_cells(skip=("tydiqa",)), xtreme_scoring(), model="big"))
    result = CliRunner().invoke(cli, ["leaderboard", "--group", "xtreme", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(result.output)
        overall = {s["model"]: s["overall"]["value"] for s in data["scores"]}
        assert overall["tiny"] == pytest.approx(.70) and overall["big"] is None
    elif fmt == "table":
        assert "tiny · XTREME score: 70.0" in result.output
        assert "big · XTREME score: n/a (missing: tydiqa)" in result.output
    else:
        assert "tiny" in result.output and "big" in result.output


def test_cli_model_filter(xtreme_cells, xtreme_scoring):
    record_run(_run(xtreme_cells(), xtreme_scoring()))
    result = CliRunner().invoke(cli, ["leaderboard", "--model", "tiny", "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("model,task,split,metric,en,de,fr")
    assert "--model nobody: no runs of this model" in _error_line(CliRunner().invoke(cli, ["leaderboard", "--model",
                                                                                            "nobody"]))


def test_cli_help_has_examples():
    result = CliRunner().invoke(cli, ["leaderboard", "--help"])
    assert result.exit_code == 0 and "xbench leaderboard --group xtreme --format md" in result.output


def test_a_stored_cell_edited_by_hand_is_left_out_of_the_leaderboard(xtreme_cells, xtreme_scoring, capsys):
    record_run(_run(xtreme_cells(), xtreme_scoring()))
    store = ResultsStore()
    with sqlite3.connect(store.path) as conn:
        rowid, cell_json = conn.execute("SELECT rowid, cell_json FROM cells WHERE task = 'xnli' AND language = 'en'").fetchone()
        data = json.loads(cell_json)
        assert data["checksum"].startswith("sha256:")        # stored with its checksum
        data["metrics"]["accuracy"] = 0.99                    # a better number, typed in
        conn.execute("UPDATE cells SET cell_json = ? WHERE rowid = ?", (json.dumps(data), rowid))
    [section] = leaderboard()
    assert ("xnli", "en") not in {(c.task, c.language) for c in section.cells}
    assert ("xnli", "de") in {(c.task, c.language) for c in section.cells}
    err = capsys.readouterr().err
    assert "left out of the leaderboard" in err and "xnli" in err and str(store.path) in err


def test_cli_empty_store_json_prints_nothing_on_stdout():
    import inspect

    separate = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {}  # click < 8.2
    result = CliRunner(**separate).invoke(cli, ["leaderboard", "--format", "json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "no results stored in" in result.stderr

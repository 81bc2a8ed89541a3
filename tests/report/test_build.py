"""The report of hand-built runs: leaderboard values and uncertainty, marks, flags, missing cells,
configurations, extra sections and figures; and `xbench report` on them (output, errors)."""

import os
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from xbench.analysis.sources import load_runs
from xbench.cli import cli
from xbench.data.flags import describe
from xbench.report.build import build_report, report_counts
from xbench.report.page import Figure, Section, Table, Text
from xbench.results.cells import CellResult, write_cell
from xbench.results.run import RunResults
from xbench.results.store import record_run


def cell(lang, seed, value, task="xnli", split="test", ci=0.05, address=None, **kw):
    metrics = {"accuracy": value} if value is not None else {}
    return CellResult(task=task, address=address or task, language=lang, split=split, seed=seed, metrics=metrics,
                      ci={"accuracy": [value - ci, value + ci]} if value is not None else {}, n_items=100,
                      status="ok" if value is not None else "missing", **kw)


def make_run(folder, model, cells, **config):
    results = RunResults(config={"model": model, "seeds": sorted({c.seed for c in cells}), **config}, cells=cells,
                         environment={"python": "3.11.7", "packages": {"torch": "2.13.0"}, "git_commit": "abc" * 10})
    for c in cells:
        write_cell(folder, c)
    results.save(folder)
    return folder


@pytest.fixture()
def runs(tmp_path):
    one = make_run(tmp_path / "one", "model-one", [
        cell("en", 1, 0.80), cell("de", 1, 0.612, flags=["dev_as_test", "train_limit=48"]),
        cell("fr", 1, None, missing_reason="no data for xnli/test/fr (fix: xbench data get xnli)"),
        cell("en", 1, 0.50, task="pawsx"), cell("de", 1, 0.40, task="pawsx")])
    two = make_run(tmp_path / "two", "model-two", [
        cell("en", 1, 0.70), cell("en", 2, 0.72), cell("de", 1, 0.60), cell("de", 2, 0.62),
        cell("fr", 1, 0.55), cell("fr", 2, 0.57)])
    return load_runs([str(one), str(two)])


def tables(report):
    return {b.id or b.caption: b for s in report.sections for b in s.blocks if isinstance(b, Table)}


def column(table, name):
    i = table.columns.index(name)
    return [row[i] for row in table.rows]


def test_leaderboard_rows_values_and_uncertainty(runs):
    board = tables(build_report(runs))["leaderboard"]
    assert [c.text for c in column(board, "run")] == ["model-one", "model-two"]
    de = column(board, "xnli de")
    assert de[0].text == "61.2 [56.2, 66.2]" and de[0].sort == pytest.approx(61.2)  # one seed: its bootstrap CI
    assert de[1].text == "61.0 ± 1.4" and de[1].sort == pytest.approx(61.0)  # two seeds: mean ± sd
    assert "seed 1: 60.0, seed 2: 62.0" in de[1].tooltip and "flags" not in de[1].tooltip
    assert "dev_as_test, train_limit=48" in de[0].tooltip
    fr = column(board, "xnli fr")
    assert fr[0].text == "missing" and fr[0].sort is None and "no data for xnli/test/fr" in fr[0].tooltip
    pawsx = column(board, "pawsx en")
    assert pawsx[1].text == "—" and pawsx[1].sort is None  # a task the run did not evaluate
    assert pawsx[0].text.startswith("50.0")


def test_task_means_average_and_marks(runs):
    board = tables(build_report(runs))["leaderboard"]
    means = column(board, "xnli mean")
    assert re.fullmatch(r"70\.6 \(2/\d+\)\*", means[0].text), means[0].text  # flagged: marked *
    assert means[0].sort == pytest.approx(70.6)
    assert re.fullmatch(r"62\.7 ± 1\.4 \(3/\d+\)", means[1].text), means[1].text  # seeds: 61.7, 63.7
    average = column(board, "average")
    assert average[0].sort == pytest.approx((70.6 + 45.0) / 2) and average[0].text.endswith("(partial)")
    assert average[1].text == "n/a" and average[1].sort is None  # no pawsx: never a partial mean over tasks
    notes = "\n".join(board.footnotes)
    assert "* model-one · xnli [test]: dev_as_test (de); train_limit=48 (de) — not comparable" in notes
    assert "± = sample sd over 2 seeds" in notes


def test_flags_missing_cells_and_configurations(runs):
    report = build_report(runs)
    flags = tables(report)["flags"]
    by_flag = {row[0].text: row for row in flags.rows}
    assert set(by_flag) == {"dev_as_test", "train_limit=48"}
    assert by_flag["dev_as_test"][1].text == describe("dev_as_test")
    assert "--train-limit" in by_flag["train_limit=48"][1].text
    assert by_flag["dev_as_test"][2].text == "model-one · xnli [test] (de)"
    texts = [b.text for s in report.sections for b in s.blocks if isinstance(b, Text)]
    assert any("missing: model-one · xnli [test] (fr): no data for xnli/test/<lang> (fix: xbench data get xnli)"
               in t for t in texts), texts
    environment = tables(report)["runs"]
    assert [c.text for c in column(environment, "torch")] == ["2.13.0", "2.13.0"]
    assert [c.text for c in column(environment, "transformers")] == ["?", "?"]  # not recorded
    configs = [b for s in report.sections for b in s.blocks if b.__class__.__name__ == "Config"]
    assert [c.title for c in configs] == ["model-one: configuration", "model-one: environment",
                                          "model-two: configuration", "model-two: environment"]
    assert configs[0].data["model"] == "model-one"


def test_duplicate_labels_get_the_run_id(tmp_path):
    a = make_run(tmp_path / "a", "same", [cell("en", 1, 0.5)])
    b = make_run(tmp_path / "b", "same", [cell("en", 1, 0.6)])
    runs = load_runs([str(a), str(b)])
    labels = [c.text for c in column(tables(build_report(runs))["leaderboard"], "run")]
    assert labels == [f"same ({r.results.run_id[:8]})" for r in runs]


def test_extra_sections_follow_the_leaderboard(runs):
    extra = Section("Gains over none", [Text("paper-style comparison")])
    titles = [s.title for s in build_report(runs, "T", [extra]).sections]
    assert titles[:2] == ["Leaderboard", "Gains over none"]
    assert titles[-2:] == ["Flags and footnotes", "Configurations"]


def test_report_is_deterministic(runs):
    assert build_report(runs).to_html() == build_report(runs).to_html()


def test_figures_heatmap_and_bars(runs):
    pytest.importorskip("matplotlib")
    report = build_report(runs)
    figures = {s.title: [b for b in s.blocks if isinstance(b, Figure)] for s in report.sections}
    assert len(figures["Heatmap"]) == 1
    assert [f.caption.split(":")[0] for f in figures["Per-language results"]] == ["pawsx", "xnli"]  # the tables' task order
    assert all(f.format == "png" and f.data.startswith(b"\x89PNG") for fs in figures.values() for f in fs)
    assert report_counts(report, runs) == {"runs": 2, "cells": 11, "figures": 3}


# ---- the command ----------------------------------------------------------------------------------

def test_cli_writes_the_page(runs, tmp_path):
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(cli, ["report", str(runs[0].run_dir), str(runs[1].run_dir), "--html", str(out),
                                      "--title", "My <report>"])
    assert result.exit_code == 0, result.output
    figures = report_counts(build_report(runs), runs)["figures"]
    assert result.output == f"wrote {out}: 2 runs, 11 cells, {figures} figure{'s' * (figures != 1)}\n"
    page = out.read_text(encoding="utf-8")
    assert "<title>My &lt;report&gt;</title>" in page and '<p class="generated">generated ' in page
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_cli_reads_stored_runs_and_fixes_the_date(runs, tmp_path, monkeypatch):
    store = tmp_path / "store.sqlite"
    run_id = record_run(runs[1].results, runs[1].run_dir, path=store)
    out = tmp_path / "r.html"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    result = CliRunner().invoke(cli, ["report", run_id, "--store", str(store), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "generated 1970-01-01T00:00:00+00:00" in out.read_text(encoding="utf-8")


def one_line_error(result):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xbench: error: "), result.output
    return lines[0]


def test_cli_errors_are_one_line(runs, tmp_path):
    run = str(runs[0].run_dir)
    folder = tmp_path / "folder"
    folder.mkdir()
    assert "is a folder" in one_line_error(CliRunner().invoke(cli, ["report", run, "--html", str(folder)]))
    assert "nothing to report" in one_line_error(CliRunner().invoke(cli, ["report", "--html", str(tmp_path / "x")]))
    assert "neither a run folder nor a run id" in one_line_error(
        CliRunner().invoke(cli, ["report", str(tmp_path / "nope"), "--html", str(tmp_path / "x.html")]))
    if os.geteuid() != 0:  # root writes into read-only folders
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        assert "cannot write the report" in one_line_error(
            CliRunner().invoke(cli, ["report", run, "--html", str(locked / "r.html")]))
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the output's folder should be: unwritable, also for root
    assert "cannot write the report" in one_line_error(
        CliRunner().invoke(cli, ["report", run, "--html", str(blocker / "r.html")]))
    assert not (tmp_path / "x.html").exists()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("src", "href") and v]


def test_page_links_nothing_outside(runs):
    parser = Links()
    parser.feed(build_report(runs).to_html())
    assert all(link.startswith(("#", "data:")) for link in parser.links), parser.links


def test_an_empty_run_list_is_refused():
    with pytest.raises(ValueError, match="at least one run"):
        build_report([])


def test_benchmark_scores_predict_only_and_empty_runs(tmp_path):
    grouped = make_run(tmp_path / "g", "grouped", [
        cell("en", 1, 0.8, address="xtreme/xnli", group="xtreme"),
        CellResult(task="xnli", address="xtreme/xnli", language="de", split="test", seed=1, group="xtreme",
                   status="predict_only", n_items=10)])
    empty = tmp_path / "e"
    RunResults(config={"model": "nothing"}).save(empty)
    runs = load_runs([str(grouped), str(empty)])
    report = build_report(runs)
    board = tables(report)["leaderboard"]
    score = column(board, "XTREME score")
    assert score[0].text == "n/a" and "missing" in score[0].tooltip  # the other XTREME tasks are absent
    assert score[1].text == "—"
    de = column(board, "xtreme/xnli de")
    assert de[0].text == "predict-only" and de[0].sort is None
    assert [c.text for c in column(board, "run")] == ["grouped", "nothing"]
    assert report.to_html()  # an empty run renders too

"""The leaderboard table: values ×100, English first, task mean, transfer gap, flags, score lines, formats."""

import csv
import io
import json
import re

import pytest

from xbench.results import CellResult, RunResults
from xbench.results.scoring import Scoring, TaskInfo


def _row(text, start):
    """The first table line whose leading words are those of ``start``."""
    words = start.split()
    return next(line for line in text.splitlines() if line.split()[:len(words)] == words)


def _cells(line):
    """The cells of a plain-table line (columns are separated by two spaces or more)."""
    return [c.strip() for c in re.split(r"\s{2,}", line.strip())]


def test_complete_table_and_xtreme_score(xtreme_cells, xtreme_scoring):
    text = RunResults(cells=xtreme_cells(), scoring=xtreme_scoring()).table()
    header = text.splitlines()[0].split()
    assert header[:6] == ["task", "split", "metric", "en", "de", "fr"]  # English first, then alphabetical
    # one seed: each cell with its stored bootstrap CI; the mean and the gap have no interval
    assert _cells(_row(text, "xtreme/xnli ")) == ["xtreme/xnli", "test", "accuracy", "80.0 [75.0, 85.0]",
                                                  "70.0 [65.0, 75.0]", "75.0", "10.0"]
    # QA tasks have one row per score metric
    assert _cells(_row(text, "xtreme/xquad  test  exact_match"))[3:] == [
        "60.0 [55.0, 65.0]", "40.0 [35.0, 45.0]", "50.0", "20.0"]
    # no English: no transfer gap
    assert _cells(_row(text, "xtreme/tatoeba")) == ["xtreme/tatoeba", "test", "accuracy", "50.0 [45.0, 55.0]",
                                                    "70.0 [65.0, 75.0]", "60.0"]
    assert "XTREME score: 70.0" in text
    assert "classification 80.0 | structured 80.0 | qa 56.7 | retrieval 70.0" in text
    assert "*" not in text


def test_missing_language_and_task(xtreme_cells, xtreme_scoring):
    cells = xtreme_cells(skip=("tydiqa", ("panx", "de")))
    cells.append(CellResult(task="xnli", address="xtreme/xnli", group="xtreme", language="de", split="test",
                            seed=1, status="missing", missing_reason="no training data"))
    cells = [c for c in cells if not (c.task == "xnli" and c.language == "de" and c.status == "ok")]
    text = RunResults(cells=cells, scoring=xtreme_scoring()).table()
    assert _cells(_row(text, "xtreme/panx"))[3:6] == ["80.0 [75.0, 85.0]", "missing", "80.0 [75.0, 85.0] (1/2)"]
    assert "(1/2)" in _row(text, "xtreme/panx")
    assert "xtreme/tydiqa" not in text.split("\n\n")[0]
    assert "XTREME score: n/a (missing: xnli: de; panx: de; tydiqa)" in text


def test_transfer_gap_uses_the_other_languages():
    scoring = Scoring({"xnli": TaskInfo("accuracy", ["test"], ["en", "de", "fr", "sw"])})
    cells = [CellResult(task="xnli", address="xnli", language=lang, split="test", seed=1, metrics={"accuracy": v})
             for lang, v in [("en", .84), ("de", .70), ("fr", .74), ("sw", .60)]]
    results = RunResults(cells=cells, scoring=scoring)
    assert _row(results.table(), "xnli").split()[-2:] == ["72.0", "16.0"]  # mean of 4; 84 - mean(70, 74, 60)
    [row] = json.loads(results.table("json"))["rows"]
    assert row["transfer_gap"]["value"] == pytest.approx(.84 - (.70 + .74 + .60) / 3)
    assert row["mean"]["value"] == pytest.approx(.72)


def test_english_outside_the_task_languages_is_shown_but_not_averaged():
    # XCOPA: the English COPA column is shown, XCOPA's mean is over its own languages
    scoring = Scoring({"xcopa": TaskInfo("accuracy", ["test"], ["et", "id"])})
    cells = [CellResult(task="xcopa", address="xcopa", language=lang, split="test", seed=1, metrics={"accuracy": v})
             for lang, v in [("en", .70), ("et", .50), ("id", .60)]]
    assert _row(RunResults(cells=cells, scoring=scoring).table(), "xcopa").split()[3:] == [
        "70.0", "50.0", "60.0", "55.0", "15.0"]


def test_seeds_show_mean_and_sd(xtreme_cells, xtreme_scoring):
    text = RunResults(cells=xtreme_cells(seeds=(1, 2), shift={2: -.02}), scoring=xtreme_scoring()).table()
    assert _cells(_row(text, "xtreme/xnli"))[3:5] == ["79.0 ± 1.4", "69.0 ± 1.4"]
    assert "XTREME score: 69.0 ± 1.4 (2 seeds)" in text


def test_flags_and_other_splits_are_marked(xtreme_cells, xtreme_scoring):
    cells = [c for c in xtreme_cells() if c.task != "panx"]
    cells += [c for c in xtreme_cells(split="dev", flags=["dev_as_test"]) if c.task == "panx"]
    text = RunResults(cells=cells, scoring=xtreme_scoring()).table()
    row = _row(text, "xtreme/panx*")
    assert row.split()[1] == "dev" and row.rstrip().endswith("dev_as_test")
    assert "* xtreme/panx [dev]: split dev instead of test; dev_as_test — not comparable" in text
    assert "XTREME score: 70.0*" in text
    assert "* XTREME score uses cells that are not comparable with leaderboard numbers" in text


def test_every_format_renders(xtreme_cells, xtreme_scoring):
    results = RunResults(cells=xtreme_cells(skip=("tydiqa",)), scoring=xtreme_scoring())
    md = results.table("md")
    assert md.splitlines()[0].startswith("| task ") and "| xtreme/xnli " in md
    assert "| xtreme  | overall  | xtreme" in md and "tydiqa" in md
    table_csv, scores_csv = results.table("csv").split("\n\n")
    rows = list(csv.DictReader(io.StringIO(table_csv)))
    assert rows[0]["task"] == "xtreme/xnli" and rows[0]["en"] == "80.0" and rows[0]["transfer gap"] == "10.0"
    overall = next(csv.DictReader(io.StringIO(scores_csv)))
    assert overall["scope"] == "overall" and overall["score"] == "n/a" and overall["missing"] == "tydiqa"
    latex = results.table("latex")
    assert latex.startswith("\\begin{tabular}") and "tagging\\_f1" in latex and "\\bottomrule" in latex
    data = json.loads(results.table("json"))
    assert data["unit"] == "fraction"
    xnli = data["rows"][0]
    assert xnli["task"] == "xtreme/xnli" and xnli["values"]["en"]["value"] == pytest.approx(.80)
    [score] = data["scores"]
    assert score["overall"]["value"] is None and score["overall"]["missing"] == ["tydiqa"]


def test_unknown_group_spec_is_reported(xtreme_cells):
    cells = [c for c in xtreme_cells() if c.task == "xnli"]
    for c in cells:
        c.group, c.address = "nosuchgroup", "nosuchgroup/xnli"
    text = RunResults(cells=cells, scoring=Scoring({"xnli": TaskInfo("accuracy")})).table()
    assert "NOSUCHGROUP score: n/a (group 'nosuchgroup' is not among the installed specs)" in text


def test_empty_results():
    assert RunResults().table() == "no results"
    assert json.loads(RunResults().table("json"))["rows"] == []

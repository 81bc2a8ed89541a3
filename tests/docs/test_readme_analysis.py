"""README.md, "Analysis: the research questions" and "Reports": behaviour the analysis tests do not pin
down — BUCC's stored-score gains and a report page without matplotlib — on hand-built run folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from helpers.readme import REPO
from xbench.cli import cli
from xbench.results.cells import CellResult, write_cell
from xbench.results.run import RunResults


def write_run(folder, config, cells):
    """A run folder of cells {(task, metric, lang, seed): score} with their items files: XCOPA's one record
    per item, BUCC's (as `xbench eval` writes them) its mined pairs, which are no per-item predictions."""
    from xbench.evaluation.artifacts import items_path, write_items

    results = []
    for (task, metric, lang, seed), score in cells.items():
        cell = CellResult(task=task, address=task, language=lang, split="test", seed=seed, metrics={metric: score},
                          ci={metric: [max(0.0, score - 0.1), min(1.0, score + 0.1)]}, n_items=20, flags=[],
                          info={"fingerprint": "x"})
        write_cell(folder, cell)
        right = round(score * 20)
        records = [{"source_id": f"de-{i:06d}", "target_id": f"en-{i:06d}", "score": 1.2} for i in range(right)] \
            if task == "bucc2018" else \
            [{"id": str(i), "prediction": int(i >= right), "reference": 0, "correct": i < right} for i in range(20)]
        write_items(items_path(folder, seed, task, "test", lang), records)
        results.append(cell)
    RunResults(config=config, cells=results).save(folder)
    return folder


def experiment_runs(tmp_path):
    base = {("bucc2018", "bucc_f1", "de", 1): 0.60, ("bucc2018", "bucc_f1", "de", 2): 0.64,
            ("xcopa", "accuracy", "et", 1): 0.50, ("xcopa", "accuracy", "et", 2): 0.55}
    better = {("bucc2018", "bucc_f1", "de", 1): 0.70, ("bucc2018", "bucc_f1", "de", 2): 0.66,
              ("xcopa", "accuracy", "et", 1): 0.60, ("xcopa", "accuracy", "et", 2): 0.70}
    config = lambda name: {"model": f"m [exp:{name}]", "base_model": "m", "experiment": "exp",  # noqa: E731
                           "intermediate": name, "intermediate_tasks": [] if name == "none" else [name]}
    return write_run(tmp_path / "none", config("none"), base), write_run(tmp_path / "siqa", config("siqa"), better)


def test_bucc_gains_are_the_difference_of_stored_scores_without_interval_or_test(tmp_path):
    """Analysis, `gains` (README 506-507): "BUCC (no per-item predictions) gets the difference of its stored
    scores, without interval or test, and says so" — beside an XCOPA cell of the same runs, which gets both."""
    none, siqa = experiment_runs(tmp_path)
    result = CliRunner().invoke(cli, ["analyze", "gains", str(none), str(siqa), "--format", "json", "--no-plots"])
    assert result.exit_code == 0, result.output
    rows = {g["address"]: g for g in json.loads(result.output)["gains"]}
    bucc, xcopa = rows["bucc2018"], rows["xcopa"]
    assert bucc["gain"] == pytest.approx(((0.70 - 0.60) + (0.66 - 0.64)) / 2, abs=1e-12)
    assert (bucc["baseline_score"], bucc["score"]) == (pytest.approx(0.62), pytest.approx(0.68))
    assert bucc["low"] is bucc["high"] is bucc["test"] is bucc["p_value"] is None
    assert "no per-item predictions" in bucc["note"] and "no interval or test" in bucc["note"]
    assert xcopa["low"] is not None and xcopa["p_value"] is not None and not xcopa["note"]
    table = CliRunner().invoke(cli, ["analyze", "gains", str(none), str(siqa), "--no-plots"])
    assert table.exit_code == 0 and "no per-item predictions" in table.output  # said in the table too


NO_MATPLOTLIB = """
import sys
sys.modules["matplotlib"] = None  # as if it were not installed: importing it raises ModuleNotFoundError
from xbench.cli import cli
cli({args!r})
"""


def test_a_report_without_matplotlib_says_that_the_figures_are_left_out(tmp_path, isolated_home):
    """Reports (README 573-575): figures are drawn with matplotlib (`pip install 'xbench[analysis]'`);
    "without it the page says that the figures are left out" — and the rest of the page is written, the
    paired-gains section of an experiment included; the command prints what it wrote (README 589-590)."""
    none, siqa = experiment_runs(tmp_path)
    page = tmp_path / "report.html"
    args = ["report", str(none), str(siqa), "--html", str(page)]
    proc = subprocess.run([sys.executable, "-c", NO_MATPLOTLIB.format(args=args)], capture_output=True, text=True,
                          cwd=str(REPO), env={**os.environ, "XBENCH_HOME": str(isolated_home)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = page.read_text(encoding="utf-8")
    assert "figures are left out: matplotlib is not installed" in html
    assert "pip install &#x27;xbench[analysis]&#x27;" in html or "pip install 'xbench[analysis]'" in html
    assert "data:image/png" not in html and "Leaderboard" in html and "Gains over the baseline" in html
    # "the command prints what it wrote (runs, cells, figures)"
    assert proc.stdout.strip() == f"wrote {page}: 2 runs, 8 cells, 0 figures"  # 2 runs × 2 cells × 2 seeds

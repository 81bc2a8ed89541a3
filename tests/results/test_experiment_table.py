"""`xbench leaderboard --experiment`: perturbed runs are rows of their own, gains within a perturbation,
and every format with each uncertainty mode."""

import json
import re

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.results import CellResult, RunResults
from xbench.results.experiment_table import experiment_table
from xbench.results.store import leaderboard, record_run

# target scores per (perturbation, configuration); seeds move every score by SHIFT (tatoeba by half)
SCORES = {(None, "none"): {"xcopa": .60, "tatoeba": .40}, (None, "siqa"): {"xcopa": .66, "tatoeba": .44},
          ("typo:0.1", "none"): {"xcopa": .50, "tatoeba": .30}, ("typo:0.1", "siqa"): {"xcopa": .58, "tatoeba": .31}}
SHIFT = {1: 0.0, 2: .02, 3: -.02}


def run(perturbation, config, seeds=(1, 2, 3)) -> RunResults:
    """One (model, configuration) run as `xbench run` records it (xbench/experiment/run.py)."""
    base = SCORES[(perturbation, config)]
    cells = []
    for s in seeds:
        for lang, d in (("et", -.05), ("zh", .05)):
            value = base["xcopa"] + d + SHIFT[s]
            cells.append(CellResult(task="xcopa", address="xcopa", language=lang, split="test", seed=s,
                                    metrics={"accuracy": value}, ci={"accuracy": [value - .04, value + .04]}))
        cells.append(CellResult(task="xcopa", address="xcopa", language="en", split="test", seed=s,
                                metrics={"accuracy": .99}, flags=["reference_only"]))
        value = base["tatoeba"] + SHIFT[s] / 2
        cells.append(CellResult(task="tatoeba", address="tatoeba", language="de", split="test", seed=s,
                                metrics={"accuracy": value}, ci={"accuracy": [value - .03, value + .05]}))
    cfg = {"model": f"tiny [grid:{config}]", "base_model": "tiny", "experiment": "grid", "intermediate": config,
           "intermediate_order": ["none", "siqa"], "targets": ["xcopa", "tatoeba"], "seeds": list(seeds)}
    if perturbation:
        cfg["perturbation"] = perturbation
    return RunResults(config=cfg, cells=cells)


def record_grid(seeds=(1, 2, 3)):
    for perturbation, config in SCORES:
        record_run(run(perturbation, config, seeds))


def _cells(line):
    return re.split(r"\s{2,}", line.strip())


def test_perturbed_runs_are_rows_and_gain_over_none_of_the_same_perturbation():
    record_grid()
    text = experiment_table("grid", uncertainty="none")
    rows = [_cells(line) for line in text.splitlines()[2:8]]
    assert rows == [
        ["tiny", "none", "60.0", "40.0", "50.0"],
        ["tiny", "siqa", "66.0 (+6.0)", "44.0 (+4.0)", "55.0 (+5.0)"],
        ["tiny", "best", "siqa (+6.0)", "siqa (+4.0)", "siqa (+5.0)"],
        # +8.0 over `none · typo:0.1` (50.0), not -2.0 over the clean `none`
        ["tiny", "none · typo:0.1", "50.0", "30.0", "40.0"],
        ["tiny", "siqa · typo:0.1", "58.0 (+8.0)", "31.0 (+1.0)", "44.5 (+4.5)"],
        ["tiny", "best · typo:0.1", "siqa (+8.0)", "siqa (+1.0)", "siqa (+4.5)"],
    ]
    assert "(+x) = difference from the `none` baseline of the same model and perturbation" in text
    # the leaderboard, too, keeps the perturbed runs apart
    labels = [s.label for s in leaderboard()]
    assert "tiny [grid:siqa]" in labels and "tiny [grid:siqa] (perturbation typo:0.1)" in labels


SHOWN = {  # the `siqa` row: xcopa, tatoeba, avg
    "auto": ["66.0 ± 2.0 (+6.0)", "44.0 ± 1.0 (+4.0)", "55.0 ± 1.5 (+5.0)"],
    "sd": ["66.0 ± 2.0 (+6.0)", "44.0 ± 1.0 (+4.0)", "55.0 ± 1.5 (+5.0)"],
    "ci": ["66.0 [61.0, 71.0] (+6.0)", "44.0 [41.5, 46.5] (+4.0)", "55.0 [51.3, 58.7] (+5.0)"],
    "none": ["66.0 (+6.0)", "44.0 (+4.0)", "55.0 (+5.0)"],
}
NOTE = {"auto": "± = sample sd over 3 seeds", "sd": "± = sample sd over 3 seeds",
        "ci": "[low, high] = 95% t-interval of the mean over 3 seeds (mean ± t(0.975, n-1)·sd/√n): how much the "
              "result moves with the seed", "none": None}


@pytest.mark.parametrize("mode", list(SHOWN))
def test_table_md_and_latex_per_mode(mode):
    record_grid()
    table = experiment_table("grid", "table", uncertainty=mode)
    assert _cells(table.splitlines()[3]) == ["tiny", "siqa", *SHOWN[mode]]
    md = experiment_table("grid", "md", uncertainty=mode)
    assert [c.strip() for c in md.splitlines()[3].strip("|").split("|")] == ["tiny", "siqa", *SHOWN[mode]]
    latex = experiment_table("grid", "latex", uncertainty=mode)
    row = next(line for line in latex.splitlines() if line.startswith(" tiny    & siqa "))
    assert [c.strip() for c in row.removesuffix("\\\\").split("&")] == ["tiny", "siqa", *SHOWN[mode]]
    for text, prefix in ((table, ""), (md, "- "), (latex, "")):
        if NOTE[mode]:
            assert prefix + NOTE[mode].replace("%", "\\%" if text is latex else "%") in text.splitlines()
        else:
            assert "sd over" not in text and "t-interval" not in text


CSV = {
    "auto": ("xcopa,xcopa low,xcopa high,xcopa sd,xcopa n_seeds,xcopa gain", "66.0,,,2.0,3,6.0"),
    "sd": ("xcopa,xcopa sd,xcopa n_seeds,xcopa gain", "66.0,2.0,3,6.0"),
    "ci": ("xcopa,xcopa low,xcopa high,xcopa n_seeds,xcopa gain", "66.0,61.0,71.0,3,6.0"),
    "none": ("xcopa,xcopa n_seeds,xcopa gain", "66.0,3,6.0"),
}


@pytest.mark.parametrize("mode", list(CSV))
def test_csv_per_mode(mode):
    record_grid()
    lines = experiment_table("grid", "csv", uncertainty=mode).splitlines()
    header, fields = CSV[mode]
    assert lines[0].startswith("model,intermediate,perturbation," + header + ",tatoeba,")
    assert lines[2].startswith("tiny,siqa,," + fields + ",")
    assert lines[5].startswith("tiny,siqa,typo:0.1,58.0,")
    assert len(lines) == 7  # rows only: no notes in csv


@pytest.mark.parametrize("mode", list(SHOWN))
def test_json_per_mode(mode):
    record_grid()
    data = json.loads(experiment_table("grid", "json", uncertainty=mode))
    siqa = data["rows"][1]
    assert (siqa["intermediate"], siqa["perturbation"]) == ("siqa", None)
    xcopa = siqa["xcopa"]
    assert xcopa["mean"] == pytest.approx(.66) and xcopa["delta"] == pytest.approx(.06) and xcopa["n_seeds"] == 3
    expected = {"auto": (None, None, .02), "sd": (None, None, .02), "ci": (0.6103172427, 0.7096827573, None),
                "none": (None, None, None)}[mode]
    for name, value in zip(("low", "high", "sd"), expected):
        assert xcopa[name] == (None if value is None else pytest.approx(value))
    assert xcopa["interval"] == ("t" if mode == "ci" else None)
    typo = data["rows"][4]
    assert (typo["intermediate"], typo["perturbation"]) == ("siqa", "typo:0.1")
    assert typo["xcopa"]["delta"] == pytest.approx(.08)
    assert data["uncertainty"] == {"mode": mode, "notes": [NOTE[mode]] if NOTE[mode] else []}


def test_one_seed_shows_a_single_cell_ci_and_says_which_scores_have_none():
    record_grid(seeds=(1,))
    text = experiment_table("grid", uncertainty="auto")
    # Tatoeba (one language) is one cell: its bootstrap CI; XCOPA and avg are means: no interval
    assert _cells(text.splitlines()[3]) == ["tiny", "siqa", "66.0 (+6.0)", "44.0 [41.0, 49.0] (+4.0)", "55.0 (+5.0)"]
    assert ("no interval for target scores, averages: one seed, and the cells' bootstrap CIs over items do not "
            "combine into an interval for a mean over languages or tasks") in text.splitlines()
    assert ("[low, high] of a single-seed cell = its stored 95% percentile bootstrap CI over the items of that "
            "seed: test-item sampling only, not seed variation") in text.splitlines()


def test_cli_experiment_passes_the_mode():
    record_grid()
    result = CliRunner().invoke(cli, ["leaderboard", "--experiment", "grid", "--uncertainty", "ci", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "| tiny    | siqa            | 66.0 [61.0, 71.0] (+6.0) |" in result.output

"""Every leaderboard format with every --uncertainty mode, on one fixed input: exact strings."""

import json
import re

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.errors import UserError
from xbench.results import CellResult, RunResults
from xbench.results.scoring import EntryView, GroupView, Scoring, TaskInfo
from xbench.results.seeds import aggregate_seeds
from xbench.results.store import record_run
from xbench.results.table import Section, render_table

SCORING = Scoring({"xnli": TaskInfo("accuracy", ["test"], ["en", "de"])},
                  {"mini": GroupView("mini", [EntryView("xnli")], {}, "mean_over_tasks")})
# per seed and language: accuracy; seed 1 also carries its bootstrap CIs (shifted along for the others)
VALUES = {1: {"en": .80, "de": .70}, 2: {"en": .82, "de": .73}, 3: {"en": .78, "de": .64}}
CI = {"en": [.76, .83], "de": [.64, .76]}
ONE, THREE = (1,), (1, 2, 3)


def cells(seeds):
    return [CellResult(task="xnli", address="mini/xnli", group="mini", language=lang, split="test", seed=s,
                       metrics={"accuracy": VALUES[s][lang]}, n_items=500,
                       ci={"accuracy": [b + VALUES[s][lang] - VALUES[1][lang] for b in CI[lang]]})
            for s in seeds for lang in ("en", "de")]


def render(seeds, fmt, mode):
    return render_table([Section(aggregate_seeds(cells(seeds)), SCORING)], fmt, mode)


# (en, de, mean, transfer gap, benchmark score) as table, md and latex show them
SHOWN = {
    (ONE, "auto"): ("80.0 [76.0, 83.0]", "70.0 [64.0, 76.0]", "75.0", "10.0", "75.0"),
    (ONE, "ci"): ("80.0 [76.0, 83.0]", "70.0 [64.0, 76.0]", "75.0", "10.0", "75.0"),
    (ONE, "sd"): ("80.0", "70.0", "75.0", "10.0", "75.0"),
    (ONE, "none"): ("80.0", "70.0", "75.0", "10.0", "75.0"),
    (THREE, "auto"): ("80.0 ± 2.0", "69.0 ± 4.6", "74.5 ± 3.3", "11.0 ± 2.6", "74.5 ± 3.3"),
    (THREE, "sd"): ("80.0 ± 2.0", "69.0 ± 4.6", "74.5 ± 3.3", "11.0 ± 2.6", "74.5 ± 3.3"),
    (THREE, "ci"): ("80.0 [75.0, 85.0]", "69.0 [57.6, 80.4]", "74.5 [66.4, 82.6]", "11.0 [4.4, 17.6]",
                    "74.5 [66.4, 82.6]"),
    (THREE, "none"): ("80.0", "69.0", "74.5", "11.0", "74.5"),
}
LEGEND = ("values ×100; mean = mean over the task's languages (k/n when some are missing); transfer gap = en "
          "minus the mean of the other languages")
BOOTSTRAP_NOTE = ("[low, high] of a single-seed cell = its stored 95% percentile bootstrap CI over the items of that "
                  "seed: test-item sampling only, not seed variation")
NO_INTERVAL = ("no interval for task means, transfer gaps, benchmark scores: one seed, and the cells' bootstrap CIs "
               "over items do not combine into an interval for a mean over languages or tasks")
T_NOTE = ("[low, high] = 95% t-interval of the mean over 3 seeds (mean ± t(0.975, n-1)·sd/√n): how much the result "
          "moves with the seed")
SD_NOTE = "± = sample sd over 3 seeds"
NOTES = {
    (ONE, "auto"): [BOOTSTRAP_NOTE, NO_INTERVAL],
    (ONE, "ci"): [BOOTSTRAP_NOTE, NO_INTERVAL],
    (ONE, "sd"): ["no sd for cells, task means, transfer gaps, benchmark scores: one seed"],
    (ONE, "none"): [],
    (THREE, "auto"): [SD_NOTE],
    (THREE, "sd"): [SD_NOTE],
    (THREE, "ci"): [T_NOTE],
    (THREE, "none"): [],
}
CASES = sorted(SHOWN, key=lambda k: (len(k[0]), k[1]))


def _ids(case):
    return f"{len(case[0])}seed-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_table_format(case):
    seeds, mode = case
    en, de, mean, gap, score = SHOWN[case]
    text = render(seeds, "table", mode)
    row = next(line for line in text.splitlines() if line.startswith("mini/xnli"))
    assert re.split(r"\s{2,}", row.strip()) == ["mini/xnli", "test", "accuracy", en, de, mean, gap]
    lines = text.splitlines()
    start = lines.index(LEGEND)
    assert lines[start + 1:start + 1 + len(NOTES[case]) + 1] == [*NOTES[case], ""]
    assert f"MINI score: {score}" + (" (3 seeds)" if len(seeds) > 1 else "") in lines
    assert f"  tasks: xnli {score}" in lines


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_md_format(case):
    seeds, mode = case
    en, de, mean, gap, score = SHOWN[case]
    table, scores, notes = render(seeds, "md", mode).split("\n\n")
    row = [c.strip() for c in table.splitlines()[2].strip("|").split("|")]
    assert row == ["mini/xnli", "test", "accuracy", en, de, mean, gap, ""]
    overall = [c.strip() for c in scores.splitlines()[2].strip("|").split("|")]
    assert overall == ["mini", "overall", "mini", score, "", ""]
    assert notes.splitlines() == [f"- {n}" for n in [LEGEND, *NOTES[case]]]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_latex_format(case):
    seeds, mode = case
    en, de, mean, gap, _ = SHOWN[case]
    text = render(seeds, "latex", mode)
    row = next(line for line in text.splitlines() if line.startswith(" mini/xnli"))
    assert [c.strip() for c in row.removesuffix("\\\\").split("&")] == ["mini/xnli", "test", "accuracy", en, de,
                                                                        mean, gap, ""]
    assert text.split("\\end{tabular}")[-1].strip().split("\n\n") == [
        n.replace("%", "\\%") for n in [LEGEND, *NOTES[case]]]


CSV = {
    (ONE, "auto"): ("en low,en high,en sd,en n_seeds,de low,de high,de sd,de n_seeds,mean low,mean high,mean sd,"
                    "mean n_seeds,transfer gap low,transfer gap high,transfer gap sd,transfer gap n_seeds",
                    "80.0,70.0,75.0,10.0,,2/2,76.0,83.0,,1,64.0,76.0,,1,,,,1,,,,1",
                    "score low,score high,score sd,score n_seeds", "75.0,,,,,,1"),
    (ONE, "ci"): ("en low,en high,en n_seeds,de low,de high,de n_seeds,mean low,mean high,mean n_seeds,"
                  "transfer gap low,transfer gap high,transfer gap n_seeds",
                  "80.0,70.0,75.0,10.0,,2/2,76.0,83.0,1,64.0,76.0,1,,,1,,,1",
                  "score low,score high,score n_seeds", "75.0,,,,,1"),
    (ONE, "sd"): ("en sd,en n_seeds,de sd,de n_seeds,mean sd,mean n_seeds,transfer gap sd,transfer gap n_seeds",
                  "80.0,70.0,75.0,10.0,,2/2,,1,,1,,1,,1", "score sd,score n_seeds", "75.0,,,,1"),
    (ONE, "none"): ("en n_seeds,de n_seeds,mean n_seeds,transfer gap n_seeds", "80.0,70.0,75.0,10.0,,2/2,1,1,1,1",
                    "score n_seeds", "75.0,,,1"),
    (THREE, "auto"): ("en low,en high,en sd,en n_seeds,de low,de high,de sd,de n_seeds,mean low,mean high,mean sd,"
                      "mean n_seeds,transfer gap low,transfer gap high,transfer gap sd,transfer gap n_seeds",
                      "80.0,69.0,74.5,11.0,,2/2,,,2.0,3,,,4.6,3,,,3.3,3,,,2.6,3",
                      "score low,score high,score sd,score n_seeds", "74.5,,,,,3.3,3"),
    (THREE, "ci"): ("en low,en high,en n_seeds,de low,de high,de n_seeds,mean low,mean high,mean n_seeds,"
                    "transfer gap low,transfer gap high,transfer gap n_seeds",
                    "80.0,69.0,74.5,11.0,,2/2,75.0,85.0,3,57.6,80.4,3,66.4,82.6,3,4.4,17.6,3",
                    "score low,score high,score n_seeds", "74.5,,,66.4,82.6,3"),
    (THREE, "sd"): ("en sd,en n_seeds,de sd,de n_seeds,mean sd,mean n_seeds,transfer gap sd,transfer gap n_seeds",
                    "80.0,69.0,74.5,11.0,,2/2,2.0,3,4.6,3,3.3,3,2.6,3", "score sd,score n_seeds", "74.5,,,3.3,3"),
    (THREE, "none"): ("en n_seeds,de n_seeds,mean n_seeds,transfer gap n_seeds", "80.0,69.0,74.5,11.0,,2/2,3,3,3,3",
                      "score n_seeds", "74.5,,,3"),
}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_csv_format(case):
    seeds, mode = case
    extra_header, row, score_extra, overall = CSV[case]
    table, scores = render(seeds, "csv", mode).split("\n\n")
    assert table.splitlines() == ["task,split,metric,en,de,mean,transfer gap,flags,mean languages," + extra_header,
                                  "mini/xnli,test,accuracy," + row]
    assert scores.splitlines()[:2] == ["group,scope,name,score,missing,notes," + score_extra,
                                       "mini,overall,mini," + overall]


def _t(low, high):
    return {"low": pytest.approx(low), "high": pytest.approx(high), "interval": "t", "sd": None}


JSON = {  # en cell, task mean, benchmark overall: the estimate fields (fractions)
    (ONE, "auto"): ({"low": pytest.approx(.76), "high": pytest.approx(.83), "interval": "bootstrap", "sd": None},
                    {"low": None, "high": None, "interval": None, "sd": None},
                    {"low": None, "high": None, "interval": None, "sd": None}),
    (THREE, "sd"): ({"low": None, "high": None, "interval": None, "sd": pytest.approx(.02)},
                    {"low": None, "high": None, "interval": None, "sd": pytest.approx(0.0327871926)},
                    {"low": None, "high": None, "interval": None, "sd": pytest.approx(0.0327871926)}),
    (THREE, "ci"): (_t(0.7503172426, 0.8496827574), _t(0.6635520932, 0.8264479068), _t(0.6635520932, 0.8264479068)),
    (THREE, "none"): ({"low": None, "high": None, "interval": None, "sd": None},) * 3,
}
JSON[(ONE, "ci")] = JSON[(ONE, "auto")]
JSON[(ONE, "sd")] = JSON[(ONE, "none")] = JSON[(THREE, "none")]
JSON[(THREE, "auto")] = JSON[(THREE, "sd")]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_json_format(case):
    seeds, mode = case
    data = json.loads(render(seeds, "json", mode))
    [row] = data["rows"]
    en, mean, overall = JSON[case]
    n = len(seeds)
    assert row["values"]["en"] == {"value": pytest.approx(.80), "n_seeds": n, **en}
    assert row["mean"] == {"value": pytest.approx(.75 if n == 1 else .745), "n_seeds": n, **mean}
    got = data["scores"][0]["overall"]
    assert {k: got[k] for k in ("value", "low", "high", "interval", "sd", "n_seeds")} == {
        "value": pytest.approx(.75 if n == 1 else .745), "n_seeds": n, **overall}
    assert data["uncertainty"] == {"mode": mode, "notes": NOTES[case]}
    assert data["unit"] == "fraction"


def test_the_default_is_auto_and_the_cli_passes_the_mode():
    assert render(THREE, "table", "auto") == render_table([Section(aggregate_seeds(cells(THREE)), SCORING)])
    record_run(RunResults(config={"model": "tiny"}, cells=cells(THREE), scoring=SCORING))
    for mode in ("auto", "sd", "ci", "none"):
        result = CliRunner().invoke(cli, ["leaderboard", "--format", "md", "--uncertainty", mode])
        assert result.exit_code == 0, result.output
        assert f"| tiny    | mini/xnli | test    | accuracy | {SHOWN[(THREE, mode)][0]}" in result.output
    result = CliRunner().invoke(cli, ["leaderboard", "--uncertainty", "stderr"])
    assert result.exit_code == 2 and "'stderr' is not one of" in result.output
    with pytest.raises(UserError, match="not one of auto, sd, ci, none"):
        render(ONE, "md", "stderr")

"""`xbench analyze` on hand-built run folders with known per-item predictions: every number the
commands print is checked against a direct computation (scipy / statsmodels where a test is involved)."""

import json
import random

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.results.cells import CellResult, write_cell
from xbench.results.run import RunResults


def write_run(folder, config, cells, task="xcopa"):
    """A run folder: cells (lang, seed) -> (predictions, references) scored with accuracy, and items files."""
    from xbench.evaluation.artifacts import items_path, write_items

    results = []
    for (lang, seed), (preds, refs) in cells.items():
        acc = sum(p == r for p, r in zip(preds, refs)) / len(refs)
        flags = ["reference_only"] if lang == "en" and task == "xcopa" else []
        cell = CellResult(task=task, address=task, language=lang, split="test", seed=seed,
                          metrics={"accuracy": acc}, ci={"accuracy": [max(0.0, acc - 0.1), min(1.0, acc + 0.1)]},
                          n_items=len(refs), flags=flags, info={"fingerprint": "x"})
        write_cell(folder, cell)
        write_items(items_path(folder, seed, task, "test", lang),
                    [{"id": str(i), "prediction": p, "reference": r, "correct": p == r}
                     for i, (p, r) in enumerate(zip(preds, refs))])
        results.append(cell)
    RunResults(config=config, cells=results).save(folder)
    return folder


def noisy(refs, accuracy, rng):
    return [r if rng.random() < accuracy else 1 - r for r in refs]


@pytest.fixture()
def two_runs(tmp_path):
    rng = random.Random(7)
    refs = {lang: [rng.randrange(2) for _ in range(120)] for lang in ("en", "et", "zh", "sw")}
    base, better = {}, {}
    for lang, r in refs.items():
        base[(lang, 1)] = (noisy(r, 0.55, rng), r)
        better[(lang, 1)] = (noisy(r, 0.75, rng), r)
    a = write_run(tmp_path / "none", {"model": "m [exp:none]", "base_model": "m", "experiment": "exp",
                                       "intermediate": "none", "intermediate_tasks": []}, base)
    b = write_run(tmp_path / "siqa", {"model": "m [exp:siqa]", "base_model": "m", "experiment": "exp",
                                       "intermediate": "siqa", "intermediate_tasks": ["siqa"]}, better)
    return a, b, base, better


def run_json(args):
    res = CliRunner().invoke(cli, ["analyze", *args, "--format", "json", "--no-plots"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_gains_equal_the_accuracy_difference_and_mcnemar_matches_statsmodels(two_runs):
    from statsmodels.stats.contingency_tables import mcnemar
    from statsmodels.stats.multitest import multipletests

    a, b, base, better = two_runs
    out = run_json(["gains", str(a), str(b)])
    rows = {g["language"]: g for g in out["gains"]}
    assert set(rows) == {"en", "et", "zh", "sw"}
    pvalues = []
    for lang in ("et", "sw", "zh"):
        (pa, refs), (pb, _) = base[(lang, 1)], better[(lang, 1)]
        acc_a = sum(p == r for p, r in zip(pa, refs)) / len(refs)
        acc_b = sum(p == r for p, r in zip(pb, refs)) / len(refs)
        g = rows[lang]
        assert g["gain"] == pytest.approx(acc_b - acc_a, abs=1e-12)
        assert g["low"] <= g["gain"] <= g["high"]
        assert g["test"] == "mcnemar-exact"
        table = [[0, 0], [0, 0]]
        for x, y, r in zip(pa, pb, refs):
            table[int(x != r)][int(y != r)] += 1
        assert g["p_value"] == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)
        pvalues.append(g["p_value"])
    # Holm across the task's own languages; English is a reference cell outside the correction
    holm = multipletests(pvalues, method="holm")[1]
    for lang, p in zip(("et", "sw", "zh"), holm):
        assert rows[lang]["p_adjusted"] == pytest.approx(p, rel=1e-9)
    assert rows["en"]["reference_only"] and rows["en"]["p_adjusted"] is None
    task = out["tasks"][0]
    assert task["n_languages"] == 3
    assert task["gain"] == pytest.approx(sum(rows[l]["gain"] for l in ("et", "sw", "zh")) / 3, abs=1e-12)


def test_gains_table_and_plot(two_runs, tmp_path):
    a, b, *_ = two_runs
    res = CliRunner().invoke(cli, ["analyze", "gains", str(a), str(b), "--plot-dir", str(tmp_path / "plots")])
    assert res.exit_code == 0, res.output
    assert "mcnemar-exact" in res.output and "Mean gain over languages" in res.output
    assert (tmp_path / "plots" / "gains-xcopa.png").stat().st_size > 0
    assert (tmp_path / "plots" / "gains-xcopa.svg").stat().st_size > 0


def test_the_same_stat_seed_gives_the_same_intervals_and_another_seed_others(two_runs):
    a, b, *_ = two_runs
    first = run_json(["gains", str(a), str(b)])
    again = run_json(["gains", str(a), str(b)])
    other = run_json(["gains", str(a), str(b), "--stat-seed", "99"])
    assert first["gains"] == again["gains"]
    assert [g["low"] for g in first["gains"]] != [g["low"] for g in other["gains"]]


def test_transfer_gap_is_english_minus_the_mean_of_the_others(two_runs):
    a, b, base, better = two_runs
    out = run_json(["transfer-gap", str(a), str(b)])
    gaps = {g["config"]: g for g in out["gaps"]}

    def acc(cells, lang):
        p, r = cells[(lang, 1)]
        return sum(x == y for x, y in zip(p, r)) / len(r)

    for name, cells in (("none", base), ("siqa", better)):
        expected = acc(cells, "en") - sum(acc(cells, l) for l in ("et", "sw", "zh")) / 3
        assert gaps[name]["gap"] == pytest.approx(expected, abs=1e-12)
        assert gaps[name]["low"] <= gaps[name]["gap"] <= gaps[name]["high"]
    assert gaps["siqa"]["change"] == pytest.approx(gaps["siqa"]["gap"] - gaps["none"]["gap"], abs=1e-12)


def test_consistency_counts_agreement_on_shared_item_ids(two_runs):
    a, _, base, _ = two_runs
    out = run_json(["consistency", str(a)])
    rows = {r["language"]: r for r in out["agreements"]}
    pe, _ = base[("en", 1)]
    for lang in ("et", "sw", "zh"):
        pl, _ = base[(lang, 1)]
        assert rows[lang]["agreement"] == pytest.approx(sum(x == y for x, y in zip(pe, pl)) / len(pe))


def test_gains_refuse_runs_that_read_different_references(two_runs, tmp_path):
    a, _, base, _ = two_runs
    flipped = {k: (p, [1 - x for x in r]) for k, (p, r) in base.items()}
    c = write_run(tmp_path / "other", {"model": "m [exp:siqa]", "base_model": "m", "experiment": "exp",
                                        "intermediate": "siqa"}, flipped)
    res = CliRunner().invoke(cli, ["analyze", "gains", str(a), str(c), "--no-plots"])
    assert res.exit_code == 2
    assert "different references" in res.output and "Traceback" not in res.output


def test_unknown_source_is_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["analyze", "gains", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "neither a run folder nor a run id" in res.output


def test_robustness_reports_an_item_subset_against_the_other_items(tmp_path):
    """A spec's item_subsets (XCOPA's `changed`) in the per-item files: others minus subset, per clean run."""
    from xbench.evaluation.artifacts import items_path, write_items

    rng = random.Random(3)
    refs = [rng.randrange(2) for _ in range(60)]
    preds = noisy(refs, 0.7, rng)
    run = write_run(tmp_path / "run", {"model": "m", "base_model": "m"}, {("et", 1): (preds, refs)})
    changed = set(range(0, 60, 5))  # 12 items
    write_items(items_path(run, 1, "xcopa", "test", "et"),
                [{"id": str(i), "prediction": p, "reference": r, "correct": p == r,
                  "subsets": ["changed"] if i in changed else []} for i, (p, r) in enumerate(zip(preds, refs))])
    out = run_json(["robustness", str(run)])
    (shift,) = out["subsets"]
    inside = sum(preds[i] == refs[i] for i in changed) / len(changed)
    outside = sum(preds[i] == refs[i] for i in range(60) if i not in changed) / (60 - len(changed))
    assert (shift["subset"], shift["n_inside"], shift["n_outside"]) == ("changed", 12, 48)
    assert shift["inside"] == pytest.approx(inside) and shift["outside"] == pytest.approx(outside)
    assert shift["drop"] == pytest.approx(outside - inside, abs=1e-12)
    assert shift["low"] <= shift["drop"] <= shift["high"]
    assert out["drops"] == []  # no perturbed run: only the subset comparison


def test_json_carries_the_resampling_settings_and_unrounded_numbers(two_runs):
    """README (Analysis): json has every number unrounded, with the resampling settings."""
    a, b, *_ = two_runs
    out = run_json(["gains", str(a), str(b), "--resamples", "200", "--confidence", "0.9", "--stat-seed", "7",
                    "--correction", "bh"])
    assert out["settings"] == {"n_resamples": 200, "confidence": 0.9, "seed": 7, "correction": "bh"}
    # unrounded: the gains equal the exact accuracy differences to 1e-12
    # (test_gains_equal_the_accuracy_difference_and_mcnemar_matches_statsmodels)


@pytest.mark.parametrize("args,says", [
    (["gains", "--baseline", "nonee"], "--baseline nonee: no configuration 'nonee' among the 2 runs (did you mean "
                                       "'none'?) (fix: use one of the runs' configurations: none, siqa)"),
    (["gains", "--compare", "siq"], "--compare siq: no configuration 'siq'"),
    (["gains", "--metric", "acc"], "--metric acc: no metric 'acc'"),
    (["transfer-gap", "--baseline", "x"], "--baseline x: no configuration 'x'"),
    (["correlate", "--x", "cc100", "--task", "xcopaa"], "--task xcopaa: no task 'xcopaa' among the 2 runs (did you "
                                                       "mean 'xcopa'?)"),
    (["consistency", "--pivot", "de"], "--pivot de: no language 'de' among the 2 runs (fix: use one of the runs' "
                                       "languages: en, et, sw, zh)"),
    (["robustness", "--baseline", "siqaa"], "--baseline siqaa: no configuration 'siqaa'"),
])
def test_an_option_naming_nothing_among_the_runs_is_one_line(two_runs, args, says):
    a, b, *_ = two_runs
    res = CliRunner().invoke(cli, ["analyze", *args, str(a), str(b), "--no-plots"])
    lines = [ln for ln in res.output.splitlines() if ln.startswith("xbench: error:")]
    assert res.exit_code == 2 and len(lines) == 1 and says in lines[0], res.output


def test_report_refuses_a_baseline_no_run_has(two_runs, tmp_path):
    a, b, *_ = two_runs
    res = CliRunner().invoke(cli, ["report", str(a), str(b), "--baseline", "nope", "--html", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and "--baseline nope: no configuration 'nope'" in res.output, res.output
    assert not (tmp_path / "r.html").exists()

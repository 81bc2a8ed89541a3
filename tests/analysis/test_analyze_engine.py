"""`xbench analyze` and `xbench report` on results produced by the engine: one tiny experiment (two
models × {none, siqa} × xcopa + tatoeba × two seeds, clean and typo-perturbed) is run through
`xbench run`, then every command's numbers are checked against the run folders' per-item files."""

import html
import json
import math
import re
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from helpers.mini_data import make_pipeline_root
from helpers.tiny_model import make_tiny_model
from xbench.cli import cli

NAME = "tiny-analyze"
# ht is not in CC-100, so correlate has 4 languages with a value and one to list as excluded
XCOPA = ["et", "ht", "id", "it", "zh"]
SEEDS = [1, 2]
TYPO = "typo:0.3"
CONFIGS = ["none", "siqa"]


@pytest.fixture(scope="module")
def engine(shared_data, tmp_path_factory):
    """Runs the experiment once for the module: the store's home, the run folders by (model,
    configuration, perturbation) and the models in the order given."""
    from xbench.registry import reset_registry

    tmp = tmp_path_factory.mktemp("engine")
    models = [str(make_tiny_model(tmp / "model-a")), str(make_tiny_model(tmp / "model-b", seed=1))]
    root = make_pipeline_root(shared_data, tmp / "data", siqa=16, xcopa_langs=XCOPA)
    doc = {"experiment": NAME, "models": models,
           "intermediate": {"none": "none", "siqa": {"tasks": ["siqa"]}},
           # a large learning rate so that two phase-2 steps move the encoder: gains are not all zero
           "intermediate_training": {"max_steps": 2, "limit": 16, "batch_size": 4, "grad_accum": 1,
                                     "learning_rate": 0.005},
           # en: English COPA, XCOPA's reference cell (parallel by position)
           "targets": [{"xcopa": {"train_stages": "copa:train", "languages": XCOPA + ["en"]}},
                       {"tatoeba": {"languages": ["de"]}}],
           "perturbations": [TYPO],
           # one thread per job: two threads on two cores shared with other work are many times slower
           "resources": {"cpus": 1},
           "seeds": SEEDS, "limit": 16, "train_limit": 16, "epochs": 1, "batch_size": 8}
    exp = tmp / "exp.yaml"
    exp.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out, home = tmp / "out", tmp / "home"
    with pytest.MonkeyPatch.context() as mp:
        # module scope: the per-test home of tests/conftest.py is not set up yet, so set the same here
        mp.setenv("XBENCH_HOME", str(home))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        mp.delenv("XBENCH_TASK_PATH", raising=False)
        reset_registry()
        started = time.monotonic()
        res = CliRunner().invoke(cli, ["run", str(exp), "--data-dir", str(root), "--output", str(out)])
        elapsed = time.monotonic() - started
        reset_registry()
    assert res.exit_code == 0, res.output
    print(f"\nengine experiment: {elapsed:.1f} s")
    runs = {}
    for results in out.rglob("results.json"):
        config = json.loads(results.read_text())["config"]
        runs[(config["base_model"], config["intermediate"], config["perturbation"])] = results.parent
    assert len(runs) == 2 * 2 * 2  # models × configurations × (clean, typo)
    return {"home": home, "runs": runs, "models": models}


@pytest.fixture()
def exp(engine, monkeypatch):
    """The engine's results store for this test (tests/conftest.py gives each test an empty home)."""
    monkeypatch.setenv("XBENCH_HOME", str(engine["home"]))
    return engine


# ---- direct computations from the per-item files ---------------------------------------------------

def items(folder: Path, seed: int, task: str, lang: str) -> list[dict]:
    path = folder / f"seed-{seed}" / "items" / task / f"test-{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def accuracy(folder: Path, task: str, lang: str) -> float:
    """Mean over seeds of the share of items predicted right."""
    per_seed = []
    for s in SEEDS:
        records = items(folder, s, task, lang)
        assert all(r["correct"] == (r["prediction"] == r["reference"]) for r in records)
        per_seed.append(sum(r["prediction"] == r["reference"] for r in records) / len(records))
    return sum(per_seed) / len(per_seed)


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def gain(exp, model: str, task: str, lang: str, perturbation=None) -> float:
    runs = exp["runs"]
    return accuracy(runs[(model, "siqa", perturbation)], task, lang) - accuracy(runs[(model, "none", perturbation)],
                                                                               task, lang)


def cli_run(*args) -> str:
    res = CliRunner().invoke(cli, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


def analyze(cmd: str, tmp_path: Path, *more) -> tuple[str, dict]:
    """The table output and the JSON output of one `xbench analyze` command over the experiment."""
    table = cli_run("analyze", cmd, "--experiment", NAME, "--plot-dir", tmp_path / "plots", *more)
    data = json.loads(cli_run("analyze", cmd, "--experiment", NAME, "--no-plots", "--format", "json", *more))
    return table, data


def plot_texts(tmp_path: Path, stem: str) -> list[str]:
    """Both files of a figure exist and are not empty; returns the texts of the SVG (matplotlib writes
    each text, legend entries included, as a comment beside its glyph paths)."""
    png, svg = tmp_path / "plots" / f"{stem}.png", tmp_path / "plots" / f"{stem}.svg"
    assert png.stat().st_size > 0 and svg.stat().st_size > 0
    return [html.unescape(t) for t in re.findall(r"<!-- (.*?) -->", svg.read_text(encoding="utf-8"))]


def assert_one_series_per_model(texts: list[str], models: list[str], config: str, perturbation=None) -> None:
    """The legend names a series for each model (model · configuration · perturbation): the models'
    series did not overwrite each other."""
    for model in models:
        name = " · ".join([model, config, *([perturbation] if perturbation else [])])
        assert name in texts, (name, texts)


# ---- one test per command ------------------------------------------------------------------------

def test_gains_equal_the_seed_mean_accuracy_difference_of_the_items(exp, tmp_path):
    table, data = analyze("gains", tmp_path)
    assert "Gains per task and language" in table and "Mean gain over languages" in table
    assert "en (ref)" in table and "paired-bootstrap" in table  # two seeds: the bootstrap test
    rows = {(g["model"], g["perturbation"], g["address"], g["language"]): g for g in data["gains"]}
    expected = {(m, p, "xcopa", lang) for m in exp["models"] for p in (None, TYPO) for lang in XCOPA + ["en"]}
    expected |= {(m, p, "tatoeba", "de") for m in exp["models"] for p in (None, TYPO)}
    assert set(rows) == expected
    for (model, perturbation, task, lang), g in rows.items():
        assert g["config"] == "siqa" and g["baseline"] == "none" and g["seeds"] == SEEDS and g["n_items"] == 16
        assert g["gain"] == pytest.approx(gain(exp, model, task, lang, perturbation), abs=1e-12), (model, lang)
        assert g["low"] <= g["gain"] <= g["high"]
        assert g["reference_only"] == (lang == "en")
    assert any(abs(g["gain"]) > 0 for g in rows.values())  # the check above is not 0 == 0 everywhere
    for t in data["tasks"]:
        languages = XCOPA if t["address"] == "xcopa" else ["de"]
        assert t["languages"] == languages  # English (reference) outside the mean
        assert t["gain"] == pytest.approx(mean(gain(exp, t["model"], t["address"], lang, t["perturbation"])
                                               for lang in languages), abs=1e-12)
    assert len(data["tasks"]) == 2 * 2 * 2  # models × (clean, typo) × tasks
    for task in ("xcopa", "tatoeba"):
        texts = plot_texts(tmp_path, f"gains-{task}")
        assert_one_series_per_model(texts, exp["models"], "siqa")
        assert_one_series_per_model(texts, exp["models"], "siqa", TYPO)


def test_transfer_gap_is_english_minus_the_mean_of_the_xcopa_languages(exp, tmp_path):
    table, data = analyze("transfer-gap", tmp_path)
    assert "Transfer gap" in table and "others (mean)" in table and "xcopa" in table
    gaps = {(g["model"], g["config"], g["perturbation"]): g for g in data["gaps"]}
    assert set(gaps) == set(exp["runs"])  # tatoeba has no English cell: no gap
    for (model, config, perturbation), g in gaps.items():
        folder = exp["runs"][(model, config, perturbation)]
        assert g["address"] == "xcopa" and g["n_targets"] == len(XCOPA)
        en, others = accuracy(folder, "xcopa", "en"), mean(accuracy(folder, "xcopa", lang) for lang in XCOPA)
        assert g["english"] == pytest.approx(en, abs=1e-12)
        assert g["gap"] == pytest.approx(en - others, abs=1e-12)
        assert g["low"] <= g["gap"] <= g["high"]
    for model in exp["models"]:
        for perturbation in (None, TYPO):
            siqa, none = gaps[(model, "siqa", perturbation)], gaps[(model, "none", perturbation)]
            assert siqa["baseline"] == "none" and none["change"] is None
            assert siqa["change"] == pytest.approx(siqa["gap"] - none["gap"], abs=1e-12)
    texts = plot_texts(tmp_path, "transfer-gap")
    for config in CONFIGS:
        assert_one_series_per_model(texts, exp["models"], config)
        assert_one_series_per_model(texts, exp["models"], config, TYPO)


def test_correlate_gain_with_cc100_over_the_xcopa_languages(exp, tmp_path):
    from scipy import stats as sps

    from xbench.languages.metadata import get_language

    table, data = analyze("correlate", tmp_path, "--x", "cc100", "--y", "gain", "--task", "xcopa")
    assert "Correlation over languages" in table and "ht (not in CC-100)" in table
    results = data["correlations"]
    assert len(results) == 2 * 2  # models × (clean, typo): one fit each, none overwriting another
    seen = set()
    for r in results:
        assert r["address"] == "xcopa" and r["n"] == 4
        points = {p["language"]: p for p in r["points"]}
        assert set(points) == set(XCOPA)  # English, the source language, is not a point
        assert not points["ht"]["included"] and points["ht"]["reason"] == "not in CC-100"
        used = [p for p in r["points"] if p["included"]]
        assert [p["language"] for p in used] == ["et", "id", "it", "zh"]
        for p in used:
            assert p["x"] == pytest.approx(math.log10(get_language(p["language"]).cc100_gib))
        # y: the gain of the run pair the result names, from the items
        (model,) = [m for m in exp["models"] if m in r["config"]]
        perturbation = TYPO if TYPO in r["config"] else None
        seen.add((model, perturbation))
        for lang, p in points.items():
            assert p["y"] == pytest.approx(gain(exp, model, "xcopa", lang, perturbation), abs=1e-12)
        xs, ys = [p["x"] for p in used], [p["y"] for p in used]
        assert r["pearson"]["r"] == pytest.approx(sps.pearsonr(xs, ys).statistic, abs=1e-9)
        assert r["spearman"]["r"] == pytest.approx(sps.spearmanr(xs, ys).statistic, abs=1e-9)
    assert seen == {(m, p) for m in exp["models"] for p in (None, TYPO)}
    assert len(list((tmp_path / "plots").glob("correlate-cc100-gain-*-xcopa.png"))) == 4
    assert len(list((tmp_path / "plots").glob("correlate-cc100-gain-*-xcopa.svg"))) == 4
    for png in (tmp_path / "plots").glob("correlate-*.png"):
        plot_texts(tmp_path, png.stem)


def test_correlate_scores_keep_each_run_apart(exp, tmp_path):
    _, data = analyze("correlate", tmp_path, "--x", "cc100", "--y", "score", "--task", "xcopa")
    results = data["correlations"]
    assert len(results) == len(exp["runs"])  # one per run: models and perturbations kept apart
    names = {r["config"] for r in results}
    assert len(names) == len(results)
    for (model, config, perturbation), folder in exp["runs"].items():
        (r,) = [r for r in results if model in r["config"] and config in r["config"].split(" · ")
                and (TYPO in r["config"]) == (perturbation is not None)]
        for p in r["points"]:
            assert p["y"] == pytest.approx(accuracy(folder, "xcopa", p["language"]), abs=1e-12)


def test_correlate_with_too_few_languages_is_a_one_line_error(exp):
    # tatoeba has one language here: nothing to correlate
    res = CliRunner().invoke(cli, ["analyze", "correlate", "--experiment", NAME, "--x", "cc100", "--y", "gain",
                                   "--task", "tatoeba", "--no-plots"])
    assert res.exit_code == 2, res.output
    assert "only 1 language(s) have both cc100 and gain; a correlation needs at least 3" in res.output
    assert "Traceback" not in res.output


def test_typology_ranks_the_intermediate_task_language_with_its_observed_gain(exp, tmp_path):
    table, data = analyze("typology", tmp_path, "--target", "et")
    assert "Candidates for target et" in table and "observed gain" in table
    (en,) = data["candidates"]  # siqa is English: the only candidate
    assert en["language"] == "en" and en["rank"] == 1 and en["configs"] == ["siqa"]
    assert all(v is not None for v in en["distances"].values())
    # the clean runs' gain on et, mean over the models (perturbed evaluations are not transfer gains)
    assert en["observed_gain"] == pytest.approx(mean(gain(exp, m, "xcopa", "et") for m in exp["models"]), abs=1e-12)
    shown = re.search(r"^1\s+en\s.*\ssiqa\s+([+-]\d+\.\d)\s*$", table, re.M)
    assert shown and float(shown.group(1)) == pytest.approx(100 * en["observed_gain"], abs=0.05 + 1e-9)
    plot_texts(tmp_path, "typology-et")


def test_scaling_interaction_is_the_difference_of_the_models_gains(exp, tmp_path):
    small, large = exp["models"]
    table, data = analyze("scaling", tmp_path, "--models", f"{small},{large}")
    assert "Gain per model and the interaction with scale" in table and "siqa vs none" in table
    points = {(p["model"], p["address"]): p for p in data["points"]}
    assert set(points) == {(m, t) for m in exp["models"] for t in ("xcopa", "tatoeba")}  # clean runs only
    for task, languages in (("xcopa", XCOPA), ("tatoeba", ["de"])):
        task_gain = {m: mean(gain(exp, m, task, lang) for lang in languages) for m in exp["models"]}
        for m in exp["models"]:
            assert points[(m, task)]["gain"] == pytest.approx(task_gain[m], abs=1e-12)
            assert points[(m, task)]["n_languages"] == len(languages)
        assert points[(small, task)]["interaction"] is None
        interaction = points[(large, task)]
        assert interaction["interaction"] == pytest.approx(task_gain[large] - task_gain[small], abs=1e-12)
        assert interaction["interaction_low"] <= interaction["interaction"] <= interaction["interaction_high"]
    plot_texts(tmp_path, "scaling-xcopa")
    plot_texts(tmp_path, "scaling-tatoeba")


def test_robustness_drop_and_flip_rate_come_from_the_clean_and_typo_items(exp, tmp_path):
    table, data = analyze("robustness", tmp_path)
    assert "Drop per task and language" in table and "flip rate" in table and TYPO in table
    drops = {(d["model"], d["config"], d["address"], d["language"]): d for d in data["drops"]}
    expected = {(m, c, "xcopa", lang) for m in exp["models"] for c in CONFIGS for lang in XCOPA + ["en"]}
    expected |= {(m, c, "tatoeba", "de") for m in exp["models"] for c in CONFIGS}
    assert set(drops) == expected
    runs = exp["runs"]
    for (model, config, task, lang), d in drops.items():
        clean, typo = runs[(model, config, None)], runs[(model, config, TYPO)]
        assert d["perturbation"] == TYPO
        flips = []
        for s in SEEDS:
            before = {r["id"]: r["prediction"] for r in items(clean, s, task, lang)}
            after = {r["id"]: r["prediction"] for r in items(typo, s, task, lang)}
            assert set(before) == set(after)
            flips.append(sum(before[k] != after[k] for k in before) / len(before))
        assert d["flip_rate"] == pytest.approx(mean(flips), abs=1e-12)
        drop = accuracy(clean, task, lang) - accuracy(typo, task, lang)
        assert d["clean"] == pytest.approx(accuracy(clean, task, lang), abs=1e-12)
        assert d["drop"] == pytest.approx(drop, abs=1e-12)
        assert d["reference_only"] == (lang == "en")
    assert any(d["flip_rate"] > 0 for d in drops.values())
    tasks = {(t["model"], t["config"], t["address"]): t for t in data["tasks"]}
    for (model, config, task), t in tasks.items():
        languages = XCOPA if task == "xcopa" else ["de"]
        assert t["drop"] == pytest.approx(mean(drops[(model, config, task, lang)]["drop"] for lang in languages),
                                          abs=1e-12)
        if config == "siqa":
            assert t["vs_baseline"] == pytest.approx(t["drop"] - tasks[(model, "none", task)]["drop"], abs=1e-12)
    for task in ("xcopa", "tatoeba"):
        texts = plot_texts(tmp_path, f"robustness-{task}")
        for config in CONFIGS:
            assert_one_series_per_model(texts, exp["models"], config, TYPO)


def test_consistency_compares_each_language_with_english_copa_by_position(exp, tmp_path):
    table, data = analyze("consistency", tmp_path)
    assert "Agreement with the pivot language" in table and "same prediction" in table
    rows = {(r["model"], r["config"], r["perturbation"], r["language"]): r for r in data["agreements"]}
    assert set(rows) == {(*run, lang) for run in exp["runs"] for lang in XCOPA}  # xcopa only: tatoeba has one
    for (model, config, perturbation, lang), r in rows.items():
        folder = exp["runs"][(model, config, perturbation)]
        assert r["pivot"] == "en" and r["n_items"] == 16
        same, right = [], []
        for s in SEEDS:
            # English COPA test items 501… are parallel to XCOPA test items 0… by position
            en, other = items(folder, s, "xcopa", "en"), items(folder, s, "xcopa", lang)
            assert len(en) == len(other) and not {x["id"] for x in en} & {x["id"] for x in other}
            same.append(mean(a["prediction"] == b["prediction"] for a, b in zip(en, other)))
            right.append(mean(a["correct"] == b["correct"] for a, b in zip(en, other)))
        assert r["agreement"] == pytest.approx(mean(same), abs=1e-12)
        assert r["correctness_agreement"] == pytest.approx(mean(right), abs=1e-12)
    summaries = {(s["model"], s["config"], s["perturbation"]): s for s in data["tasks"]}
    assert set(summaries) == set(exp["runs"])
    for run, s in summaries.items():
        assert s["languages"] == XCOPA  # the reference cell is not one of the task's languages
        per_seed = []
        for seed in SEEDS:
            predictions = [[r["prediction"] for r in items(exp["runs"][run], seed, "xcopa", lang)] for lang in XCOPA]
            per_seed.append(mean(len(set(p)) == 1 for p in zip(*predictions)))
        assert s["all_agree"] == pytest.approx(mean(per_seed), abs=1e-12)
    texts = plot_texts(tmp_path, "consistency-xcopa")
    for config in CONFIGS:
        assert_one_series_per_model(texts, exp["models"], config)
        assert_one_series_per_model(texts, exp["models"], config, TYPO)


# ---- the report ----------------------------------------------------------------------------------

def section_tables(page: str, title: str) -> list[list[list[tuple[str, float | None]]]]:
    """The tables of one section of a report page: rows of (cell text, the number it sorts by)."""
    start = page.index(f"<h2>{html.escape(title)}</h2>")
    section = page[start:page.index("</section>", start)]
    tables = []
    for table in re.findall(r"<table.*?</table>", section, re.S):
        rows = []
        for row in re.findall(r"<tr.*?</tr>", table, re.S):
            cells = []
            for attrs, content in re.findall(r"<t[hd]([^>]*)>(.*?)</t[hd]>", row, re.S):
                text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", content))).strip()
                sort = re.search(r'data-sort="([^"]*)"', attrs)
                try:
                    number = float(html.unescape(sort.group(1))) if sort else None
                except ValueError:
                    number = None
                cells.append((text, number))
            rows.append(cells)
        tables.append(rows)
    return tables


def test_report_has_the_gains_section_with_a_row_per_configuration_and_model(exp, tmp_path):
    out = tmp_path / "report.html"
    assert "wrote" in cli_run("report", "--experiment", NAME, "--html", out)
    page = out.read_text(encoding="utf-8")
    summary, detail = section_tables(page, "Gains over the baseline (paired tests)")
    head = [text for text, _ in summary[0]]
    assert head[:3] == ["model", "configuration", "baseline"] and sorted(head[3:]) == ["tatoeba", "xcopa"]
    body = {(row[0][0], row[1][0]): row for row in summary[1:]}
    expected = {m + (f" · {p}" if p else ""): (m, p) for m in exp["models"] for p in (None, TYPO)}
    assert set(body) == {(label, "siqa") for label in expected}  # one row per model, perturbed rows too
    for label, (model, perturbation) in expected.items():
        row = body[(label, "siqa")]
        assert row[2][0] == "none"
        for task, languages in (("xcopa", XCOPA), ("tatoeba", ["de"])):
            text, value = row[head.index(task)]
            assert value == pytest.approx(100 * mean(gain(exp, model, task, lang, perturbation) for lang in languages),
                                          abs=1e-9)
            assert text.endswith(f"/{len(languages)})")
    # per language: every xcopa language, English (ref) and tatoeba de, for each row of the summary
    assert len(detail) - 1 == len(expected) * (len(XCOPA) + 1 + 1)
    columns = [text for text, _ in detail[0]]
    for row in detail[1:]:
        label, task, lang = row[0][0], row[columns.index("task")][0], row[columns.index("language")][0]
        model, perturbation = expected[label]
        value = row[columns.index("gain")][1]
        assert value == pytest.approx(100 * gain(exp, model, task, lang.removesuffix(" (ref)"), perturbation),
                                      abs=1e-9)
    assert sum(row[columns.index("language")][0] == "en (ref)" for row in detail[1:]) == len(expected)

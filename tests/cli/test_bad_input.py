"""Bad input to `xbench eval`, `xbench train`, `xbench run` and `xbench.evaluate()` (issue 12): nonsense
numbers and options that do not apply are refused while parsing, before any model or data loads —
exit code 2, one `xbench: error:` line that names the option and says how to fix it, no traceback.
Also: a missing cell's reason in the table's footnotes, broken specs in validate and list, and the
packaging hygiene (declared dependencies, no network at test time, no machine-specific CI paths)."""

import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from xbench.cli import cli
from xbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def one_error_line(result) -> str:
    """The run exited 2 with exactly one `xbench: error:` line and no traceback; that line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def assert_says(line: str, *parts: str) -> None:
    for part in parts:
        assert part in line, f"{part!r} not in {line!r}"


# ---- 1. nonsense numbers ---------------------------------------------------------------------------

EVAL = ["eval", "--model", "no-such-model", "--tasks", "panx"]
EVAL_NUMBERS = {
    "limit-zero": (["--limit", "0"], ["--limit 0", "at least 1"]),
    "limit-negative": (["--limit=-5"], ["--limit -5", "at least 1"]),
    "epochs-zero": (["--epochs", "0"], ["--epochs 0", "> 0"]),
    "epochs-negative": (["--epochs=-1"], ["--epochs -1", "> 0"]),
    "seeds-negative": (["--seeds=-1"], ["--seeds: -1 is negative"]),
    "seeds-negative-in-list": (["--seeds", "1,-2"], ["--seeds: -2 is negative"]),
    "seeds-duplicate": (["--seeds", "1,2,1"], ["--seeds: 1 given twice", "--seeds 1,2"]),
    "train-limit-zero": (["--train-limit", "0"], ["--train-limit 0", "at least 1"]),
    "train-limit-negative": (["--train-limit=-100"], ["--train-limit -100"]),
    "checkpoint-every-negative": (["--checkpoint-every=-5"], ["--checkpoint-every -5", ">= 0"]),
    "batch-size-zero": (["--batch-size", "0"], ["--batch-size 0", "'auto' or a whole number >= 1"]),
    "batch-size-negative": (["--batch-size=-8"], ["--batch-size -8"]),
    "batch-size-word": (["--batch-size", "many"], ["--batch-size 'many'"]),
}


@pytest.mark.parametrize("name", sorted(EVAL_NUMBERS))
def test_eval_refuses_nonsense_numbers(name):
    argv, says = EVAL_NUMBERS[name]
    line = one_error_line(CliRunner().invoke(cli, [*EVAL, *argv]))
    assert_says(line, *says, "(fix: ")


TRAIN = ["train", "--model", "no-such-model", "--tasks", "siqa"]
TRAIN_NUMBERS = {
    "limit-zero": (["--limit", "0"], ["--limit 0"]),
    "limit-negative": (["--limit=-3"], ["--limit -3"]),
    "max-steps-zero": (["--max-steps", "0"], ["--max-steps 0"]),
    "batch-size-zero": (["--batch-size", "0"], ["--batch-size 0"]),
    "grad-accum-negative": (["--grad-accum=-1"], ["--grad-accum -1"]),
    "learning-rate-zero": (["--learning-rate", "0"], ["--learning-rate 0"]),
    "checkpoint-every-negative": (["--checkpoint-every=-1"], ["--checkpoint-every -1"]),
    "seed-negative": (["--seed=-1"], ["--seed -1"]),
}


@pytest.mark.parametrize("name", sorted(TRAIN_NUMBERS))
def test_train_refuses_nonsense_numbers(name):
    argv, says = TRAIN_NUMBERS[name]
    line = one_error_line(CliRunner().invoke(cli, [*TRAIN, *argv]))
    assert_says(line, *says, "(fix: ")


def experiment_file(tmp_path: Path, **changes) -> Path:
    doc = {"experiment": "bad-input", "models": ["minilm-l6"], "intermediate": {"none": "none"},
           "targets": ["xcopa"], "seeds": [1]}
    for key, value in changes.items():
        doc[key] = value
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


RUN_NUMBERS = {
    "limit-zero": ({"limit": 0}, ["field 'limit'", "0 is too small", "use a number >= 1"]),
    "train-limit-negative": ({"train_limit": -5}, ["field 'train_limit'", "-5 is too small"]),
    "epochs-zero": ({"epochs": 0}, ["field 'epochs'", "must be > 0"]),
    "seeds-negative": ({"seeds": [1, -1]}, ["field 'seeds.1'", "-1 is too small"]),
    "seeds-duplicate": ({"seeds": [1, 2, 1]}, ["field 'seeds'", "1 listed twice", "list each value once"]),
    "target-limit-zero": ({"targets": [{"xcopa": {"limit": 0}}]}, ["field 'targets.0.xcopa.limit'"]),
    "phase2-max-steps-zero": ({"intermediate_training": {"max_steps": 0}},
                              ["field 'intermediate_training.max_steps'"]),
    "batch-size-zero": ({"batch_size": 0}, ["field 'batch_size'", "not 'auto' or a whole number"]),
}


@pytest.mark.parametrize("name", sorted(RUN_NUMBERS))
def test_run_refuses_nonsense_numbers_in_the_experiment_file(name, tmp_path):
    changes, says = RUN_NUMBERS[name]
    exp = experiment_file(tmp_path, **changes)
    line = one_error_line(CliRunner().invoke(cli, ["run", str(exp), "--dry-run", "--output", str(tmp_path / "o")]))
    assert_says(line, "exp.yaml:", *says, "(fix: ")
    assert not (tmp_path / "o").exists()  # nothing written


API_NUMBERS = {
    "limit": ({"limit": 0}, "--limit 0"),
    "train_limit": ({"train_limit": -1}, "--train-limit -1"),
    "epochs": ({"epochs": -2}, "--epochs -2"),
    "seeds-duplicate": ({"seeds": [3, 3]}, "--seeds: 3 given twice"),
    "seeds-negative": ({"seeds": -1}, "--seeds: -1 is negative"),
    "batch_size": ({"batch_size": 0}, "--batch-size 0"),
    "save_every_seconds": ({"save_every_seconds": -1}, "--checkpoint-every -1"),
}


@pytest.mark.parametrize("name", sorted(API_NUMBERS))
def test_evaluate_refuses_the_same_numbers(name, tmp_path):
    import xbench

    kwargs, says = API_NUMBERS[name]
    with pytest.raises(UserError) as info:
        xbench.evaluate("no-such-model", "panx", output=tmp_path / "o", **kwargs)
    assert says in str(info.value) and "(fix: " in str(info.value)
    assert not (tmp_path / "o").exists()


# ---- 2. options that do not apply -------------------------------------------------------------------

NOT_APPLYING = {
    "split-for-unselected-task": (["--tasks", "panx", "--split", "udpos=dev"],
                                  ["--split names udpos", "not among the selected tasks (panx)", "add it to --tasks"]),
    "split-for-one-unselected-task": (["--tasks", "panx", "--split", "panx=dev,xnli=test"],
                                      ["--split names xnli"]),
    "split-by-address": (["--tasks", "xtreme/panx", "--split", "xtreme/panx=dev"],
                         ["--split names xtreme/panx", "(panx)"]),
    "train-stages-for-unselected-target": (["--tasks", "panx", "--train-stages", "xcopa=copa:train"],
                                           ["--train-stages names xcopa", "not among the selected tasks"]),
    "train-stages-with-no-finetune": (["--tasks", "xcopa", "--train-stages", "copa:train", "--no-finetune"],
                                      ["--train-stages does nothing with --no-finetune", "drop one of them"]),
}


@pytest.mark.parametrize("name", sorted(NOT_APPLYING))
def test_eval_refuses_options_that_do_not_apply(name, tmp_path):
    argv, says = NOT_APPLYING[name]
    result = CliRunner().invoke(cli, ["eval", "--model", "no-such-model", "--output", str(tmp_path / "o"), *argv])
    line = one_error_line(result)
    assert_says(line, *says, "(fix: ")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("key,value", [("split", "panx=dev"), ("train_stages", "panx=copa:train")])
def test_run_refuses_target_options_for_another_task(key, value, tmp_path):
    exp = experiment_file(tmp_path, targets=[{"xcopa": {key: value}}])
    line = one_error_line(CliRunner().invoke(cli, ["run", str(exp), "--dry-run"]))
    assert_says(line, f"field 'targets.0.xcopa.{key}'", "names panx, not a task of target xcopa", "(fix: use one of xcopa")


def test_per_task_options_are_narrowed_for_each_job():
    from xbench.evaluation.config import EvalConfig

    config = EvalConfig(model="m", tasks="panx,xcopa", split="panx=dev", train_stages="xcopa=siqa:train+copa:train")
    config.check_task_options(["panx", "xcopa"])  # both named tasks are selected: fine
    assert config.narrowed("panx") == {"split": "validation", "train_stages": None}
    assert config.narrowed("xcopa") == {"split": None, "train_stages": "siqa:train,copa:train"}
    assert [s.slug for s in EvalConfig(model="m", tasks="xcopa", **config.narrowed("xcopa"))
            .stages_for("xcopa", [])[0]] == ["siqa.train", "copa.train"]


# ---- 3. a missing cell's reason is in the table's footnotes ------------------------------------------

def test_missing_reasons_are_footnotes_with_their_fix():
    from xbench.data.errors import MissingDataError
    from xbench.results import CellResult, RunResults
    from xbench.results.scoring import Scoring, TaskInfo

    def no_data(task, split, lang):
        return str(MissingDataError(task, split, lang, tried=[f"/data/{task}/{split}-{lang}.tsv"],
                                    where="/data (layout 'xtreme')", homepage="https://example.org"))

    stage = (f"no training data for stage mnli:train (en): {no_data('mnli', 'train', 'en')} "
             "(fix: put mnli's train files under --data-dir, or train on data you have: --train-stages TASK:SPLIT)")
    scoring = Scoring({"xnli": TaskInfo("accuracy", ["test"], ["en", "de", "fr"]),
                       "pawsx": TaskInfo("accuracy", ["test"], ["en", "de"])})
    cells = [CellResult(task="xnli", address="xnli", language="en", split="test", seed=1, metrics={"accuracy": .8})]
    cells += [CellResult(task="xnli", address="xnli", language=lang, split="test", seed=1, status="missing",
                         missing_reason=no_data("xnli", "test", lang)) for lang in ("de", "fr")]
    cells += [CellResult(task="pawsx", address="pawsx", language=lang, split="test", seed=seed, status="missing",
                         missing_reason=stage) for lang in ("en", "de") for seed in (1, 2)]
    text = RunResults(cells=cells, scoring=scoring).table()
    notes = [ln for ln in text.splitlines() if ln.startswith("missing: ")]
    assert notes == [
        "missing: pawsx [test] (en, de): no training data for stage mnli:train (en): no data for mnli/train/en in "
        "/data (layout 'xtreme') (fix: put mnli's train files under --data-dir, or train on data you have: "
        "--train-stages TASK:SPLIT)",
        "missing: xnli [test] (de, fr): no data for xnli/test/<lang> in /data (layout 'xtreme') (fix: put the files "
        "where the layout expects them, pass --data-dir to a folder in a known layout, or ask for another split "
        "explicitly)",
    ]
    assert "tried:" not in "\n".join(notes)  # the paths tried stay in results.json
    assert "missing: xnli" in RunResults(cells=cells, scoring=scoring).table("md")


# ---- 4. broken specs: validate reports them, listing skips them ---------------------------------------

NO_DATA_SPEC = """name: nodata
version: 1
description: a task without data
citation: none
license: MIT
type: sequence_classification
languages: [en]
metrics: [accuracy]
"""


def test_validate_reports_a_spec_without_data_as_one_located_line(tmp_path):
    spec = tmp_path / "nodata.yaml"
    spec.write_text(NO_DATA_SPEC, encoding="utf-8")
    line = one_error_line(CliRunner().invoke(cli, ["tasks", "validate", str(spec)]))
    assert_says(line, "nodata.yaml:1:", "field 'data'", "missing required field 'data'", "(fix: add `data:`")


def test_listing_skips_broken_specs_on_the_task_path_with_one_warning_each(tmp_path, monkeypatch):
    from xbench.registry import reset_registry

    (tmp_path / "nodata.yaml").write_text(NO_DATA_SPEC + "bogus: 1\n", encoding="utf-8")
    (tmp_path / "syntax.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("XBENCH_TASK_PATH", str(tmp_path))
    reset_registry()
    result = CliRunner().invoke(cli, ["tasks", "list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "xcopa" in result.stdout and "nodata" not in result.stdout  # everyone else's tasks still list
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("xbench: warning: skipped invalid spec")]
    assert len(warnings) == 2, result.stderr
    assert any(str(tmp_path / "nodata.yaml") in w and "(+1 more" in w for w in warnings)
    assert any(str(tmp_path / "syntax.yaml") in w and "invalid YAML" in w for w in warnings)


# ---- 5. hygiene ---------------------------------------------------------------------------------------

def test_imported_third_party_packages_are_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = " ".join(project["dependencies"])
    extras = project["optional-dependencies"]
    assert "numpy" in deps
    assert any(d.startswith("pandas") for d in extras["pandas"])
    assert "seqeval==0.0.12" in extras["dev"]


def test_to_pandas_without_pandas_is_a_clear_error(monkeypatch):
    from xbench.results import RunResults

    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    with pytest.raises(UserError, match=r"needs pandas.*xbench\[pandas\]"):
        RunResults(cells=[]).to_pandas()


def test_ci_has_no_machine_specific_data_path_and_tests_install_nothing():
    assert "/work/" not in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    pip_call = '"-m", "' + 'pip"'  # split so that this file does not match itself
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "tests").rglob("*.py")
                 if pip_call in p.read_text(encoding="utf-8") and "seqeval" in p.read_text(encoding="utf-8")]
    assert offenders == []

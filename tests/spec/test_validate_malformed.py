"""`xbench tasks validate` on malformed specs: exit 2, one located line per problem, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xbench.cli import cli

MALFORMED = Path(__file__).parent / "malformed"

# file -> (line, field or None, substring of the message)
CASES = {
    "bad_yaml_syntax.yaml": (3, None, "invalid YAML"),
    "unknown_key.yaml": (3, "langauges", "did you mean 'languages'?"),
    "wrong_type.yaml": (2, "languages", "must be list, not string"),
    "unknown_task_type.yaml": (7, "type", "did you mean 'sequence_classification'?"),
    "unknown_metric.yaml": (14, "metrics.0", "did you mean 'accuracy'?"),
    "missing_required.yaml": (1, "citation", "missing required field 'citation'"),
    "include_cycle.yaml": (1, "include", "include cycle"),
    "duplicate_name.yaml": (1, "name", "duplicate task 'xcopa'"),
    "bad_language_code.yaml": (2, "languages.1", "'english' is not an ISO 639 language code"),
    "group_language_task_lacks.yaml": (6, "tasks.0.languages.1", "restricts task 'xcopa' to language 'de'"),
    "unknown_data_format.yaml": (9, "data.format", "did you mean 'tsv'?"),
    "bad_enum_value.yaml": (9, "data.kind", "did you mean 'licensed'?"),
    "primary_metric_not_listed.yaml": (3, "primary_metric", "not among this task's metrics"),
    "split_language_not_in_task.yaml": (11, "data.splits.test.languages.1", "language 'fr' of split 'test'"),
    "train_stage_unknown_task.yaml": (4, "train_stages.0.task", "unknown task 'nosuchtask'"),
    "eval_split_undefined.yaml": (3, "eval_splits.0", "split 'validation' is not defined"),
    "not_a_mapping.yaml": (1, None, "top level must be a mapping"),
    "empty_file.yaml": (None, None, "empty file"),
    "group_unknown_task.yaml": (5, "tasks.0.task", "did you mean 'xcopa'?"),
    "include_missing_file.yaml": (1, "include", "does not exist"),
    "field_required_by_type_missing.yaml": (12, "fields.text_a", "needs field 'text_a'"),
    "name_pattern.yaml": (1, "name", "is not a lowercase name"),
    "not_utf8.yaml": (2, None, "not UTF-8"),
    "group_named_like_task.yaml": (1, "group", "duplicate name 'xcopa'"),
}


def test_every_fixture_has_a_case():
    on_disk = {p.name for p in MALFORMED.glob("*.yaml") if not p.name.startswith("_")}
    assert on_disk == set(CASES)
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_spec_gives_one_located_line(name):
    line, field, text = CASES[name]
    result = CliRunner().invoke(cli, ["tasks", "validate", str(MALFORMED / name)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert len(lines) == 1, result.output
    msg = lines[0]
    assert text in msg
    assert "(fix: " in msg
    where = f"{name}:{line}:" if line else f"{name}:"
    if name == "include_cycle.yaml":
        where = f"_cycle_b.yaml:{line}:"  # the cycle closes in the included file
    assert where in msg, msg
    if field:
        assert f"field '{field}'" in msg


def test_real_process_exit_code_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "xbench", "tasks", "validate", str(MALFORMED / "unknown_key.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    debug = subprocess.run([sys.executable, "-m", "xbench", "--debug", "tasks", "validate",
                            str(MALFORMED / "unknown_key.yaml")], capture_output=True, text=True)
    assert debug.returncode == 2  # validate reports problems itself; --debug changes only raised errors


def test_debug_shows_traceback_for_raised_user_errors():
    proc = subprocess.run([sys.executable, "-m", "xbench", "--debug", "tasks", "show", "no_such_task"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    plain = subprocess.run([sys.executable, "-m", "xbench", "tasks", "show", "no_such_task"],
                           capture_output=True, text=True)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.splitlines()[-1].startswith("xbench: error: unknown task 'no_such_task'")


def test_valid_directory_passes():
    result = CliRunner().invoke(cli, ["tasks", "validate", str(Path(__file__).parents[2] / "tasks")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")

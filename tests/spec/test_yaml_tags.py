"""No task spec or experiment file runs code: YAML tags that build Python objects are refused with one
located line (exit 2) and never constructed, whichever command reads the file."""

import pytest
from click.testing import CliRunner

from xbench.cli import cli

TAGS = ("!!python/object/apply:os.system", "!!python/object/new:os.system")


def _payload(tag: str, marker) -> str:
    return f'{tag} ["touch {marker}"]'


def _spec(tag: str, marker) -> str:
    return (
        "name: evil_task\n"
        "version: 1\n"
        f"description: {_payload(tag, marker)}\n"
        "citation: none\n"
        "type: sequence_classification\n"
    )


def _experiment(tag: str, marker) -> str:
    return (
        "experiment: evil\n"
        "models:\n"
        f"  - {_payload(tag, marker)}\n"
        "intermediate:\n"
        "  baseline: none\n"
        "targets:\n"
        "  - xcopa\n"
    )


def _one_error_line(result, file_name: str, line: int) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert len(lines) == 1, result.output
    msg = lines[0]
    assert f"{file_name}:{line}:" in msg
    assert "!!python/object" in msg and "not allowed" in msg and "(fix: " in msg
    return msg


@pytest.mark.parametrize("tag", TAGS)
def test_task_spec_with_a_python_tag_is_refused_and_runs_nothing(tag, tmp_path):
    marker = tmp_path / "ran"
    spec = tmp_path / "evil_task.yaml"
    spec.write_text(_spec(tag, marker), encoding="utf-8")
    result = CliRunner().invoke(cli, ["tasks", "validate", str(spec)])
    _one_error_line(result, "evil_task.yaml", 3)
    assert not marker.exists()


@pytest.mark.parametrize("tag", TAGS)
def test_experiment_file_with_a_python_tag_is_refused_and_runs_nothing(tag, tmp_path):
    marker = tmp_path / "ran"
    exp = tmp_path / "evil_experiment.yaml"
    exp.write_text(_experiment(tag, marker), encoding="utf-8")
    for argv in (["run", str(exp), "--dry-run", "--output", str(tmp_path / "out")], ["tasks", "validate", str(exp)]):
        result = CliRunner().invoke(cli, argv)
        _one_error_line(result, "evil_experiment.yaml", 3)
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_task_spec_with_a_python_tag_on_the_task_path_never_runs(tmp_path, monkeypatch):
    """A spec on XBENCH_TASK_PATH is read by every listing command: it must not run code there either."""
    marker = tmp_path / "ran"
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "evil_task.yaml").write_text(_spec(TAGS[0], marker), encoding="utf-8")
    monkeypatch.setenv("XBENCH_TASK_PATH", str(folder))
    CliRunner().invoke(cli, ["tasks", "list", "--format", "json"])
    assert not marker.exists()

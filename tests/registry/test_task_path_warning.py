"""An XBENCH_TASK_PATH entry that does not exist is one warning line on stderr, not silence and not
an error (issue 12, S8); the specs of the entries that do exist are still found."""

from __future__ import annotations

import os

from click.testing import CliRunner

from xbench.cli import cli

SPEC = ("name: path_task\nversion: 1\ndescription: d\ncitation: c\nlicense: MIT\ntype: sequence_classification\n"
        "languages: [en]\nmetrics: [accuracy]\ndata:\n  format: tsv\n  splits:\n    test: {}\n"
        "fields: {text_a: s, label: l}\nlabels: [a, b]\n")


def test_a_missing_entry_warns_once_and_the_others_still_count(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "path_task.yaml").write_text(SPEC)
    gone = tmp_path / "no-such-folder"
    env = {"XBENCH_TASK_PATH": os.pathsep.join([str(gone), str(tmp_path / "specs")])}
    result = CliRunner().invoke(cli, ["tasks", "show", "path_task"], env=env)
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.output.splitlines() if ln.startswith("xbench: warning:")]
    assert warnings == [f"xbench: warning: XBENCH_TASK_PATH entry {gone} does not exist"]
    assert "name: path_task" in result.output


def test_a_file_as_an_entry_says_so(tmp_path):
    entry = tmp_path / "tasks.yaml"
    entry.write_text(SPEC)
    result = CliRunner().invoke(cli, ["tasks", "list"], env={"XBENCH_TASK_PATH": str(entry)})
    assert result.exit_code == 0, result.output
    assert f"xbench: warning: XBENCH_TASK_PATH entry {entry} is not a folder" in result.output

"""What the README-claim tests in tests/docs share: where the README is, a CLI runner, a minimal spec."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def run(*args: str) -> str:
    """``xbench ARGS`` through click's runner; its output, after checking it exited 0."""
    from xbench.cli import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


SPEC = """\
name: {name}
version: 1
description: d
citation: c
license: unknown
type: sequence_classification
languages: [en, de]
data:
  format: tsv
  splits: {{test: {{}}}}
fields: {{text_a: s1, label: l}}
labels: [a, b]
metrics: [accuracy]
"""

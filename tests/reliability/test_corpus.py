"""Every case of the bad-input corpus (corpus.py), run as the user runs it (the CLI), with the same
assertions: exit code 2; exactly one `xbench: error:` line holding the case's what/where/fix; no
traceback; with --debug the trace is shown; and nothing written that a later run reads as a result
(no cell file or results.json under the output folder, no row added to the results store)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reliability.corpus import CASES, CATEGORIES, Workspace
from xbench.cli import cli

REPO = Path(__file__).resolve().parents[2]
MALFORMED = REPO / "tests" / "spec" / "malformed"


def results_written(out: Path) -> list[str]:
    if not out.exists():
        return []
    return sorted(str(p) for p in out.rglob("*.json") if "cells" in p.parts or p.name == "results.json")


def store_state(home: Path):
    path = home / "results.sqlite"
    if not path.is_file():
        return "absent" if not path.exists() else "folder"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "cells"))
    except sqlite3.DatabaseError:
        return hashlib.sha256(path.read_bytes()).hexdigest()


def workspace(tmp_path, tiny_model, data_root, home) -> Workspace:
    return Workspace(tmp=tmp_path, model=tiny_model, data=data_root, out=tmp_path / "out", home=home)


def argv_of(case, ws: Workspace) -> list[str]:
    fill = {"model": ws.model, "data": ws.data, "out": ws.out, "tmp": ws.tmp, "home": ws.home, "malformed": MALFORMED}
    return [a.format(**fill) for a in case.argv]


def env_of(case, ws: Workspace) -> dict:
    """The case's environment, its values filled in like the command line (``XBENCH_TASK_PATH={tmp}/…``)."""
    fill = {"model": ws.model, "data": ws.data, "out": ws.out, "tmp": ws.tmp, "home": ws.home, "malformed": MALFORMED}
    return {key: value.format(**fill) for key, value in case.env.items()}


def test_the_corpus_covers_every_category_with_at_least_60_cases():
    names = [c.id for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 60
    assert {c.category for c in CASES} == set(CATEGORIES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case, tmp_path, tiny_model, data_root, isolated_home):
    ws = workspace(tmp_path, tiny_model, data_root, Path(case.env.get("XBENCH_HOME", isolated_home)))
    if case.setup:
        case.setup(ws)
    argv = argv_of(case, ws)
    env = env_of(case, ws)
    before = (results_written(ws.out), store_state(ws.home))

    result = CliRunner().invoke(cli, argv, env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [ln for ln in result.output.splitlines() if ln.startswith("xbench: error:")]
    assert len(lines) == 1, result.output
    for part in case.says:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    if not case.weak:  # a weak case names the file whose message lacks the hint (see the report)
        assert "(fix: " in lines[0] or "did you mean" in lines[0], lines[0]

    debug = CliRunner().invoke(cli, ["--debug", *argv], env=env)
    assert debug.exit_code == 2, (debug.exit_code, debug.output)  # still the user-error code, with the trace
    # `tasks validate` reports each problem itself, under --debug with its exception (and trace);
    # click's own parsing errors have no trace: --debug shows click's usage text instead
    assert "Traceback (most recent call last)" in debug.output or "xbench.errors." in debug.output \
        or "Usage:" in debug.output, debug.output

    assert (results_written(ws.out), store_state(ws.home)) == before


def test_a_real_process_prints_one_line_and_debug_prints_the_traceback(tmp_path):
    store = tmp_path / "home" / "results.sqlite"
    store.parent.mkdir()
    store.write_bytes(b"\x00junk" * 300)
    env = {"XBENCH_HOME": str(store.parent), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    plain = subprocess.run([sys.executable, "-m", "xbench", "leaderboard"], capture_output=True, text=True, env=env)
    assert plain.returncode == 2 and plain.stderr.count("\n") == 1, plain.stderr
    assert plain.stderr.startswith(f"xbench: error: {store}: not a readable xbench results store")
    debug = subprocess.run([sys.executable, "-m", "xbench", "--debug", "leaderboard"], capture_output=True,
                           text=True, env=env)
    assert debug.returncode == 2 and "Traceback (most recent call last)" in debug.stderr
    assert store.read_bytes() == b"\x00junk" * 300  # left as it was for the user to move aside

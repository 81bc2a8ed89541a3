"""Concurrent writers: 8 processes recording 100 runs each into one results store lose nothing and
fail nowhere (WAL journal, one transaction per run, busy timeout and retries in xbench/results/store.py);
two `xbench eval` on one output folder never leave a torn or differing cell."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WRITERS, RUNS_EACH = 8, 100


def _write_runs(store: str, writer: int) -> None:
    from xbench.results import CellResult, RunResults
    from xbench.results.store import ResultsStore

    target = ResultsStore(store)
    for i in range(RUNS_EACH):
        cell = CellResult(task="xnli", address="xnli", language="de", split="test", seed=writer,
                          metrics={"accuracy": (writer * RUNS_EACH + i) / 1000})
        target.record_run(RunResults(config={"model": f"m{writer}"}, cells=[cell]), run_dir=f"/runs/{writer}/{i}")


def test_eight_processes_record_800_runs_into_one_store(tmp_path):
    store = tmp_path / "results.sqlite"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_runs, args=(str(store), w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == WRITERS * RUNS_EACH
        assert conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0] == WRITERS * RUNS_EACH
        assert conn.execute("SELECT COUNT(DISTINCT run_dir) FROM runs").fetchone()[0] == WRITERS * RUNS_EACH
        values = sorted(json.loads(r[0])["metrics"]["accuracy"] for r in conn.execute("SELECT cell_json FROM cells"))
    assert values == [k / 1000 for k in range(WRITERS * RUNS_EACH)]
    from xbench.results.store import ResultsStore

    assert {s.label for s in ResultsStore(store).leaderboard()} == {f"m{w}" for w in range(WRITERS)}


def _eval(model, data, out, home):
    env = {**os.environ, "XBENCH_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "xbench", "eval", "--model", str(model), "--tasks", "xnli",
                             "--split", "dev", "--languages", "en,de", "--train-limit", "3", "--epochs", "1",
                             "--seeds", "1", "--data-dir", str(data), "--output", str(out), "--format", "json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _cells(out: Path) -> dict:
    return {str(p.relative_to(out)): json.loads(p.read_text())["metrics"]
            for p in sorted(out.glob("seed-*/cells/*/*.json"))}


def test_two_evals_on_one_output_folder_leave_every_cell_whole(tiny_model, data_root, tmp_path):
    # English training data, so the cells are evaluated (a run of only missing cells stores nothing)
    (data_root / "xnli" / "train-en.tsv").write_text(
        "a cat\tthe cat\tentailment\nthe dog\ta house\tneutral\nred\tblue\tcontradiction\n", encoding="utf-8")
    home = tmp_path / "home"
    single = tmp_path / "single"
    alone = _eval(tiny_model, data_root, single, home)
    assert alone.wait(timeout=600) == 0, alone.stderr.read()
    shared = tmp_path / "shared"
    procs = [_eval(tiny_model, data_root, shared, home) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    cells = _cells(shared)
    assert len(cells) == 2 and all("accuracy" in m for m in cells.values())  # evaluated, not missing
    assert cells == _cells(single)  # every cell file parses, same numbers
    json.loads((shared / "results.json").read_text())
    with sqlite3.connect(home / "results.sqlite") as conn:  # the shared folder is one run in the store
        dirs = [r[0] for r in conn.execute("SELECT run_dir FROM runs")]
    assert sorted(dirs) == sorted({str(single.resolve()), str(shared.resolve())})

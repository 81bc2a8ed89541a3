"""The results store: one SQLite file, ``$XBENCH_HOME/results.sqlite``, recording every run.

Tables: ``store_schema`` (the layout version), ``runs`` (one row per run, with the full results.json
text and the scoring snapshot) and ``cells`` (one row per cell and seed, for queries). Recording a
run is idempotent: the same run id, or the same run folder, replaces the earlier record, so a
resumed or re-saved run never counts twice.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from xbench.errors import UserError
from xbench.paths import xbench_home
from xbench.results.cells import CellResult
from xbench.results.run import RunResults
from xbench.results.scoring import Scoring
from xbench.results.seeds import aggregate_seeds
from xbench.results.table import Section

STORE_VERSION = 1
STORE_FILE = "results.sqlite"
UNKNOWN_MODEL = "(unknown model)"

SCHEMA = """
CREATE TABLE IF NOT EXISTS store_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    run_dir TEXT,
    scoring TEXT NOT NULL,
    results_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    task TEXT NOT NULL,
    grp TEXT,
    language TEXT NOT NULL,
    split TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    cell_json TEXT NOT NULL,
    PRIMARY KEY (run_id, address, language, split, seed)
);
CREATE INDEX IF NOT EXISTS cells_by_key ON cells (address, language, split);
CREATE INDEX IF NOT EXISTS runs_by_model ON runs (model, created_at);
"""


def store_path() -> Path:
    return xbench_home() / STORE_FILE


@dataclass
class _Candidate:
    """One run's cells (all seeds) for one (address, language, split)."""

    recency: tuple[str, str]  # (created_at, recorded_at)
    has_result: bool = False
    cells: list[CellResult] = field(default_factory=list)


@dataclass
class StoredRun:
    run_id: str
    model: str
    created_at: str
    recorded_at: str
    run_dir: str | None


class ResultsStore:
    """Runs recorded in one SQLite file (created with its tables on first use)."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else store_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA foreign_keys = ON")
        with conn:
            conn.executescript(SCHEMA)
            row = conn.execute("SELECT version FROM store_schema").fetchone()
            if row is None:
                conn.execute("INSERT INTO store_schema (version) VALUES (?)", (STORE_VERSION,))
        if row is not None and row[0] > STORE_VERSION:
            conn.close()
            raise UserError(f"{self.path}: results store version {row[0]} is newer than this xbench reads "
                            f"({STORE_VERSION}); upgrade xbench or set XBENCH_HOME to another folder")
        return conn

    def exists(self) -> bool:
        return self.path.is_file()

    # ---- writing -------------------------------------------------------------------------------
    def record_run(self, results: RunResults, run_dir: Path | str | None = None) -> str:
        """Record (or re-record) a run; returns its run id."""
        folder = str(Path(run_dir).resolve()) if run_dir is not None else None
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as conn, conn:
            # a run folder holds one run: a newer save of the same folder replaces the older record
            conn.execute("DELETE FROM runs WHERE run_id = ? OR (run_dir IS NOT NULL AND run_dir = ?)",
                         (results.run_id, folder))
            conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (results.run_id, results.model or UNKNOWN_MODEL, results.created_at, now, folder,
                          json.dumps(results.scoring.to_dict()), results.to_json()))
            conn.executemany(
                "INSERT OR REPLACE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(results.run_id, c.address, c.task, c.group, c.language, c.split, c.seed, c.status,
                  json.dumps(c.to_dict(), ensure_ascii=False)) for c in results.cells])
        return results.run_id

    # ---- reading -------------------------------------------------------------------------------
    def runs(self, model: str | None = None) -> list[StoredRun]:
        """Recorded runs, oldest first."""
        if not self.exists():
            return []
        sql = "SELECT run_id, model, created_at, recorded_at, run_dir FROM runs"
        args: tuple = ()
        if model:
            sql, args = sql + " WHERE model = ?", (model,)
        with closing(self._connect()) as conn:
            return [StoredRun(*r) for r in conn.execute(sql + " ORDER BY created_at, recorded_at", args)]

    def all_results(self) -> list[RunResults]:
        """Every recorded run's results, oldest first, read in one query (a concurrent writer that
        replaces a run cannot make one disappear between listing and loading)."""
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT results_json FROM runs ORDER BY created_at, recorded_at").fetchall()
        return [RunResults.from_dict(json.loads(r[0])) for r in rows]

    def load_run(self, run_id: str) -> RunResults:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT results_json FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise UserError(f"no run '{run_id}' in {self.path} (see `xbench leaderboard --all-runs`)")
        return RunResults.from_dict(json.loads(row[0]))

    def _cell_rows(self, group: str | None, model: str | None) -> list[tuple]:
        sql = ("SELECT r.model, r.run_id, r.created_at, r.recorded_at, r.scoring, c.address, c.language, c.split,"
               " c.status, c.cell_json FROM cells c JOIN runs r ON r.run_id = c.run_id WHERE 1 = 1")
        args: list = []
        if group:
            sql += " AND c.grp = ?"
            args.append(group)
        if model:
            sql += " AND r.model = ?"
            args.append(model)
        with closing(self._connect()) as conn:
            return conn.execute(sql, args).fetchall()

    def leaderboard(self, group: str | None = None, model: str | None = None,
                    all_runs: bool = False) -> list[Section]:
        """Sections to render: per model, the latest run's cells for each (address, language, split) —
        the latest run that has a result there, else the latest that lists it at all. With
        ``all_runs``, one section per run instead. Empty when nothing is recorded."""
        if not self.exists():
            return []
        # per (model or run, address, language, split): run id → its cells there
        candidates: dict[tuple, dict[str, _Candidate]] = {}
        run_info: dict[str, tuple] = {}  # run id → (model, created_at, recorded_at, scoring json)
        for mdl, run_id, created, recorded, scoring, address, lang, split, status, cell_json in self._cell_rows(
                group, model):
            key = (run_id if all_runs else mdl, address, lang, split)
            found = candidates.setdefault(key, {}).setdefault(run_id, _Candidate((created, recorded)))
            found.has_result = found.has_result or status != "missing"
            found.cells.append(CellResult.from_dict(json.loads(cell_json)))
            run_info[run_id] = (mdl, created, recorded, scoring)
        chosen: dict[str, list[CellResult]] = {}  # model (or run id) → the cells it shows
        used_runs: dict[str, set[str]] = {}
        for (owner, *_), by_run in candidates.items():
            run_id = max(by_run, key=lambda r: (by_run[r].has_result, by_run[r].recency))
            chosen.setdefault(owner, []).extend(by_run[run_id].cells)
            used_runs.setdefault(owner, set()).add(run_id)
        sections = []
        # models alphabetically; with all_runs, runs oldest first
        for owner in sorted(chosen, key=(lambda o: run_info[o][1:3]) if all_runs else None):
            # the newest run's snapshot wins; older runs fill in tasks and groups it lacks
            scoring = Scoring()
            for run_id in sorted(used_runs[owner], key=lambda r: run_info[r][1:3], reverse=True):
                scoring = scoring.merged(Scoring.from_dict(json.loads(run_info[run_id][3])))
            label = self._run_label(run_info[owner], owner) if all_runs else owner
            sections.append(Section(aggregate_seeds(chosen[owner]), scoring, label))
        return sections

    @staticmethod
    def _run_label(info: tuple, run_id: str) -> str:
        model, created = info[0], info[1]
        return f"{model} @ {run_id[:8]} ({created[:10]})"


def record_run(results: RunResults, run_dir: Path | str | None = None, path: Path | str | None = None) -> str:
    """Record a run in the store at ``path`` (default ``$XBENCH_HOME/results.sqlite``)."""
    return ResultsStore(path).record_run(results, run_dir)


def leaderboard(group: str | None = None, model: str | None = None, all_runs: bool = False,
                path: Path | str | None = None) -> list[Section]:
    return ResultsStore(path).leaderboard(group, model, all_runs)

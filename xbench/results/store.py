"""The results store: one SQLite file, ``$XBENCH_HOME/results.sqlite``, recording every run.

Tables: ``store_schema`` (the layout version), ``runs`` (one row per run, with the full results.json
text and the scoring snapshot) and ``cells`` (one row per cell and seed, for queries). Recording a
run is idempotent: the same run id, or the same run folder, replaces the earlier record, so a
resumed or re-saved run never counts twice. Reading (``xbench leaderboard``, ``report``, ``analyze``)
opens the file so that it cannot write: a missing, empty or wrong file is reported, never made a store.

The leaderboard never mixes configurations: cells are grouped by model *and* configuration
(``configuration_key``), each group is one table section labelled "model (configuration)", and a
benchmark score is computed within one section only.
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
from xbench.results.cells import CellChecksumError, CellResult, cell_record, verify_record
from xbench.results.configuration import (  # noqa: F401  (re-exported: the store's public names)
    ConfigKey, configuration_key, configuration_label, configuration_summary, run_configuration_keys)
from xbench.results.run import RunResults
from xbench.results.scoring import Scoring
from xbench.results.seeds import aggregate_seeds
from xbench.results.table import Section

STORE_VERSION = 1
STORE_FILE = "results.sqlite"
BUSY_TIMEOUT = 60.0  # seconds a writer waits for another one
EXPECTED_COLUMNS = {"store_schema": {"version"},
                    "runs": {"run_id", "model", "created_at", "recorded_at", "run_dir", "scoring", "results_json"},
                    "cells": {"run_id", "address", "task", "grp", "language", "split", "seed", "status", "cell_json"}}
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


def _retry(action, attempts: int = 20):
    """``action()``, retried with a growing pause while SQLite reports the database locked or busy
    (the busy timeout covers most waits; a lock upgrade in WAL mode can still fail at once)."""
    import random
    import time

    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as err:
            if ("locked" not in str(err) and "busy" not in str(err)) or attempt == attempts - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))


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
    """Runs recorded in one SQLite file (created with its tables when the first run is recorded;
    reading never creates or changes it)."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else store_path()

    def _connect(self) -> sqlite3.Connection:
        """A connection with the tables made; WAL journal and a busy timeout, so concurrent writers
        (several runs recording at once) wait for each other instead of failing."""
        if self.path.exists() and not self.path.is_file():
            raise self._unusable("is not a file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            row = _retry(lambda: self._create(conn))  # reads first: a foreign file is left untouched
            if row is None or row[0] <= STORE_VERSION:
                _retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        except sqlite3.DatabaseError as err:
            conn.close()
            if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
                raise UserError(f"{self.path}: the results store stayed locked by another process for "
                                f"{BUSY_TIMEOUT:g} s (fix: wait for the other xbench run to finish, then rerun)") from None
            raise self._unusable(str(err)) from None
        except UserError:
            conn.close()
            raise
        if row is not None and row[0] > STORE_VERSION:
            conn.close()
            raise UserError(f"{self.path}: results store version {row[0]} is newer than this xbench reads "
                            f"({STORE_VERSION}); upgrade xbench or set XBENCH_HOME to another folder")
        return conn

    @staticmethod
    def _create(conn: sqlite3.Connection):
        """The stored layout version, after making the tables if they are not there yet."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "store_schema" in tables:
            row = conn.execute("SELECT version FROM store_schema").fetchone()
            if row is not None and row[0] > STORE_VERSION:
                return row  # a newer layout: refused by version, whatever its columns
        for table in tables & set(EXPECTED_COLUMNS):
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if not EXPECTED_COLUMNS[table] <= have:
                raise sqlite3.DatabaseError(f"its table '{table}' lacks column(s) "
                                            f"{', '.join(sorted(EXPECTED_COLUMNS[table] - have))}")
        if set(EXPECTED_COLUMNS) <= tables:
            return conn.execute("SELECT version FROM store_schema").fetchone()
        with conn:
            conn.execute("BEGIN IMMEDIATE")  # one creator at a time
            for statement in filter(str.strip, SCHEMA.split(";")):
                conn.execute(statement)
            row = conn.execute("SELECT version FROM store_schema").fetchone()
            if row is None:
                conn.execute("INSERT INTO store_schema (version) VALUES (?)", (STORE_VERSION,))
        return row

    def _unusable(self, why: str) -> UserError:
        return UserError(f"{self.path}: not a readable xbench results store ({why}) (fix: move it aside, e.g. "
                         f"`mv {self.path} {self.path}.broken`, and xbench starts a new one; or set XBENCH_HOME / "
                         "--store to another file)")

    def _transaction(self, work) -> None:
        """Run ``work(conn)`` in one write transaction, retried while another writer holds the lock."""
        def attempt():
            with closing(self._connect()) as conn, conn:
                conn.execute("BEGIN IMMEDIATE")
                work(conn)
        _retry(attempt)

    def exists(self) -> bool:
        if self.path.exists() and not self.path.is_file():
            raise self._unusable("is not a file")
        return self.path.is_file()

    # ---- opening for reading: never creates or changes a file ------------------------------------
    def _reader(self) -> sqlite3.Connection | None:
        """A connection that cannot write, or None when nothing is stored here yet (no file, a 0-byte
        file, or an SQLite file without tables). Reading commands use it, so that pointing them at
        the wrong file (``--store``, ``XBENCH_HOME``) never turns that file into a store."""
        if not self.exists() or self.path.stat().st_size == 0:
            return None
        self._refuse_non_store()
        uri = self.path.resolve().as_uri()
        try:  # read-write but query_only: the last reader closing removes SQLite's -wal/-shm files
            conn = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
        except sqlite3.OperationalError:  # a file this user may not write: strictly read-only
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                conn.close()
                return None
            if "store_schema" in tables:
                row = conn.execute("SELECT version FROM store_schema").fetchone()
                if row is not None and row[0] > STORE_VERSION:
                    raise UserError(f"{self.path}: results store version {row[0]} is newer than this xbench reads "
                                    f"({STORE_VERSION}); upgrade xbench or set XBENCH_HOME to another folder")
            if not tables & set(EXPECTED_COLUMNS):
                raise sqlite3.DatabaseError(f"another program's database: none of the tables "
                                            f"{', '.join(EXPECTED_COLUMNS)}")
            for table in [t for t in EXPECTED_COLUMNS if t in tables]:
                have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                if not EXPECTED_COLUMNS[table] <= have:
                    raise sqlite3.DatabaseError(f"its table '{table}' lacks column(s) "
                                                f"{', '.join(sorted(EXPECTED_COLUMNS[table] - have))}")
            if not {"runs", "cells"} <= tables:
                raise sqlite3.DatabaseError(f"it lacks the table(s) {', '.join(sorted({'runs', 'cells'} - tables))}")
        except sqlite3.DatabaseError as err:
            conn.close()
            raise self._unusable(str(err)) from None
        except UserError:
            conn.close()
            raise
        return conn

    def _refuse_non_store(self) -> None:
        """A run's results.json named as the store: said as such (not "move it aside")."""
        with open(self.path, "rb") as f:
            head = f.read(64)
        if head.startswith(b"SQLite format 3\x00") or not head.lstrip().startswith(b"{"):
            return  # an SQLite file, or something SQLite itself will refuse
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return
        if isinstance(data, dict) and ("cells" in data or "run_id" in data):
            folder = self.path.parent
            raise UserError(f"{self.path}: is a results.json of one run, not a results store (fix: give --store the "
                            f"results.sqlite that `xbench eval` records runs in, default {store_path()}; "
                            f"`xbench report` and `xbench analyze` read a run folder itself, e.g. "
                            f"`xbench report {folder} --html report.html`)")

    def check_recordable(self) -> None:
        """Raise the store's one-line error now if a run could not be recorded in it later (a damaged
        or foreign file, a folder): called before a run does its work, so hours of evaluation are not
        followed by a failure to record them. Reads only; an absent store is fine (it is created)."""
        conn = self._reader()
        if conn is not None:
            conn.close()

    def require_results(self) -> None:
        """Raise the one-line error of a reading command when no run is stored here yet."""
        conn = self._reader()
        count = 0
        if conn is not None:
            with closing(conn):
                count = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        if not count:
            raise UserError(f"no results stored in {self.path} yet (fix: run `xbench eval` first, which records each "
                            "finished run there, or give --store FILE (or XBENCH_HOME) of the store that has them)")

    def unknown_experiment(self, name: str) -> UserError:
        """``--experiment NAME`` that no stored run belongs to: the error naming the stored ones."""
        from xbench.spec.suggest import did_you_mean

        names = self.stored()["experiments"]
        have = f"use a stored experiment: {', '.join(names)}" if names else "no stored run belongs to an experiment"
        return UserError(f"--experiment {name}: no runs of experiment '{name}' in {self.path}"
                         f"{did_you_mean(name, names)} (fix: {have}; `xbench run EXPERIMENT.yaml` records one)")

    def stored(self) -> dict[str, list[str]]:
        """What the store holds, for the did-you-mean of reading commands' filters: the models, the
        groups cells are addressed under, and the experiments (sorted, distinct)."""
        conn = self._reader()
        if conn is None:
            return {"models": [], "groups": [], "experiments": []}
        with closing(conn):
            models = [r[0] for r in conn.execute("SELECT DISTINCT model FROM runs ORDER BY model")]
            groups = [r[0] for r in conn.execute("SELECT DISTINCT grp FROM cells WHERE grp IS NOT NULL ORDER BY grp")]
            experiments = sorted({(json.loads(r[0]).get("config") or {}).get("experiment")
                                  for r in conn.execute("SELECT results_json FROM runs")} - {None})
        return {"models": models, "groups": groups, "experiments": experiments}

    # ---- writing -------------------------------------------------------------------------------
    def record_run(self, results: RunResults, run_dir: Path | str | None = None) -> str:
        """Record (or re-record) a run; returns its run id."""
        folder = str(Path(run_dir).resolve()) if run_dir is not None else None
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        def work(conn):
            # a run folder holds one run: a newer save of the same folder replaces the older record
            conn.execute("DELETE FROM runs WHERE run_id = ? OR (run_dir IS NOT NULL AND run_dir = ?)",
                         (results.run_id, folder))
            conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (results.run_id, results.model or UNKNOWN_MODEL, results.created_at, now, folder,
                          json.dumps(results.scoring.to_dict()), results.to_json()))
            conn.executemany(
                "INSERT OR REPLACE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(results.run_id, c.address, c.task, c.group, c.language, c.split, c.seed, c.status,
                  json.dumps(cell_record(c), ensure_ascii=False)) for c in results.cells])
        self._transaction(work)
        return results.run_id

    # ---- reading -------------------------------------------------------------------------------
    def runs(self, model: str | None = None) -> list[StoredRun]:
        """Recorded runs, oldest first."""
        conn = self._reader()
        if conn is None:
            return []
        sql = "SELECT run_id, model, created_at, recorded_at, run_dir FROM runs"
        args: tuple = ()
        if model:
            sql, args = sql + " WHERE model = ?", (model,)
        with closing(conn):
            return [StoredRun(*r) for r in conn.execute(sql + " ORDER BY created_at, recorded_at", args)]

    def all_results(self) -> list[RunResults]:
        """Every recorded run's results, oldest first, read in one query (a concurrent writer that
        replaces a run cannot make one disappear between listing and loading)."""
        conn = self._reader()
        if conn is None:
            return []
        with closing(conn):
            rows = conn.execute("SELECT results_json FROM runs ORDER BY created_at, recorded_at").fetchall()
        return [RunResults.from_dict(json.loads(r[0])) for r in rows]

    def load_run(self, run_id: str) -> RunResults:
        conn = self._reader()
        if conn is None:
            self.require_results()
        with closing(conn):
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
        with closing(self._reader()) as conn:
            return conn.execute(sql, args).fetchall()

    def _run_configs(self) -> dict[str, dict]:
        """Run id → the run's config (what ``configuration_key`` reads of it)."""
        with closing(self._reader()) as conn:
            try:  # SQLite's JSON functions spare parsing every results.json in Python
                rows = conn.execute("SELECT run_id, json_extract(results_json, '$.config') FROM runs").fetchall()
                return {run_id: json.loads(config) if config else {} for run_id, config in rows}
            except sqlite3.OperationalError:  # an SQLite built without JSON support
                rows = conn.execute("SELECT run_id, results_json FROM runs").fetchall()
                return {run_id: json.loads(text).get("config") or {} for run_id, text in rows}

    def leaderboard(self, group: str | None = None, model: str | None = None,
                    all_runs: bool = False) -> list[Section]:
        """Sections to render: one per model and configuration (``configuration_key``), holding for
        each (address, language, split) the latest run's cells of that configuration — the latest run
        that has a result there, else the latest that lists it at all. With ``all_runs``, one section
        per run and configuration instead. Empty when nothing is recorded."""
        probe = self._reader()
        if probe is None:
            return []
        probe.close()
        configs = self._run_configs()
        by_run: dict[str, list[tuple]] = {}
        run_info: dict[str, tuple] = {}  # run id → (model, created_at, recorded_at, scoring json)
        for mdl, run_id, created, recorded, scoring, _, _, _, status, cell_json in self._cell_rows(group, model):
            data = json.loads(cell_json)
            try:  # rows stored before cells had checksums carry none: shown as they are
                verify_record(data, required=False)
            except CellChecksumError as exc:
                _warn(f"{self.path}: run {run_id}, cell {data.get('address')} {data.get('split')}-"
                      f"{data.get('language')}: left out of the leaderboard ({exc})")
                continue
            by_run.setdefault(run_id, []).append((CellResult.from_dict(data), status))
            run_info[run_id] = (mdl, created, recorded, scoring)
        # per (owner, address, language, split), owner = (model or run, configuration): run id → its cells
        candidates: dict[tuple, dict[str, _Candidate]] = {}
        for run_id, found in by_run.items():
            mdl, created, recorded, _ = run_info[run_id]
            # keys per run: a missing cell may take its run's configuration (run_configuration_keys)
            keys = run_configuration_keys([c for c, _ in found], configs.get(run_id))
            for (cell, status), key in zip(found, keys):
                owner = (run_id if all_runs else mdl, key)
                slot = candidates.setdefault((owner, cell.address, cell.language, cell.split), {})
                entry = slot.setdefault(run_id, _Candidate((created, recorded)))
                entry.has_result = entry.has_result or status != "missing"
                entry.cells.append(cell)
        chosen: dict[tuple, list[CellResult]] = {}  # owner → the cells it shows
        used_runs: dict[tuple, set[str]] = {}
        for (owner, *_), runs in candidates.items():
            run_id = max(runs, key=lambda r: (runs[r].has_result, runs[r].recency))
            chosen.setdefault(owner, []).extend(runs[run_id].cells)
            used_runs.setdefault(owner, set()).add(run_id)

        def order(owner):  # models alphabetically (runs oldest first), the plain configuration first
            who, key = owner
            return (run_info[who][1:3] if all_runs else (who,), key != (), key)

        sections = []
        for owner in sorted(chosen, key=order):
            who, key = owner
            # the newest run's snapshot wins; older runs fill in tasks and groups it lacks
            scoring = Scoring()
            for run_id in sorted(used_runs[owner], key=lambda r: run_info[r][1:3], reverse=True):
                scoring = scoring.merged(Scoring.from_dict(json.loads(run_info[run_id][3])))
            label = (self._run_label(run_info[who], who, key) if all_runs else configuration_label(who, key))
            sections.append(Section(aggregate_seeds(chosen[owner]), scoring, label, configuration_summary(key)))
        return sections

    @staticmethod
    def _run_label(info: tuple, run_id: str, key: ConfigKey = ()) -> str:
        model, created = info[0], info[1]
        return f"{configuration_label(model, key)} @ {run_id[:8]} ({created[:10]})"


def record_run(results: RunResults, run_dir: Path | str | None = None, path: Path | str | None = None) -> str:
    """Record a run in the store at ``path`` (default ``$XBENCH_HOME/results.sqlite``)."""
    return ResultsStore(path).record_run(results, run_dir)


def leaderboard(group: str | None = None, model: str | None = None, all_runs: bool = False,
                path: Path | str | None = None) -> list[Section]:
    return ResultsStore(path).leaderboard(group, model, all_runs)


def _warn(message: str) -> None:
    import click

    click.echo(f"xbench: warning: {message}", err=True)

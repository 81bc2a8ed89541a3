"""What ``xbench analyze`` and ``xbench report`` read: recorded runs and their per-item files.

A source is a run folder (holding ``results.json``), a run id from the results store, or a whole
experiment (every run recorded under its name by ``xbench run``). Per-item predictions are read from
the run folder's ``seed-S/items/<task>/<split>-<lang>.jsonl``; paired statistics join runs' items on
the shared item id (``xbench.analysis.groups``), so runs on different ``--limit``s are compared only on
the items all of them have (and the number compared is reported).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from xbench.errors import UserError
from xbench.results.cells import CellResult
from xbench.results.run import RESULTS_FILE, RunResults


@dataclass
class Run:
    """One recorded run with where its files are (None when only the store's copy is left)."""

    results: RunResults
    run_dir: Path | None
    _items: dict = field(default_factory=dict, repr=False)

    @property
    def config(self) -> dict:
        return self.results.config

    @property
    def model(self) -> str:
        return str(self.config.get("base_model") or self.config.get("model") or "(unknown model)")

    @property
    def intermediate(self) -> str | None:
        return self.config.get("intermediate")

    @property
    def perturbation(self) -> str | None:
        return self.config.get("perturbation") or None

    @property
    def label(self) -> str:
        """How tables name the run: model, intermediate configuration and perturbation, when set."""
        parts = [self.model]
        if self.intermediate:
            parts.append(self.intermediate)
        if self.perturbation:
            parts.append(self.perturbation)
        return " · ".join(parts)

    def cells(self, status: str = "ok") -> list[CellResult]:
        return [c for c in self.results.cells if c.status == status]

    def cell(self, address: str, language: str, seed: int, split: str | None = None) -> CellResult | None:
        for c in self.results.cells:
            if (c.address, c.language, c.seed) == (address, language, seed) and split in (None, c.split):
                return c
        return None

    def items(self, cell: CellResult) -> list[dict]:
        """The per-item records of one of this run's cells (read once, then kept)."""
        key = (cell.task, cell.split, cell.language, cell.seed)
        if key not in self._items:
            self._items[key] = read_items(self._items_file(cell))
        return self._items[key]

    def _items_file(self, cell: CellResult) -> Path:
        from xbench.evaluation.artifacts import items_path

        if self.run_dir is None:
            raise UserError(f"run {self.results.run_id} ({self.label}) has no run folder on record, so its "
                            "per-item predictions cannot be read; pass the run folder itself")
        return items_path(self.run_dir, cell.seed, cell.task, cell.split, cell.language)


def read_items(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"{path}: per-item file missing; rerun `xbench eval` on this run folder to rewrite it") \
            from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise UserError(f"{path}:{number}: not a JSON record ({err.msg}); the file is damaged — rerun "
                            "the evaluation with --overwrite to rewrite it") from None
    return records


def load_runs(sources: list[str] = (), experiment: str | None = None, store_file: str | None = None) -> list[Run]:
    """The runs named by ``sources`` (run folders or stored run ids) and, with ``experiment``, every run
    recorded under that experiment's name (the latest record of each run folder)."""
    from xbench.results.store import ResultsStore

    store = ResultsStore(store_file)
    runs: list[Run] = []
    for source in sources:
        path = Path(source)
        if path.is_dir() or path.name == RESULTS_FILE:
            folder = path if path.is_dir() else path.parent
            runs.append(Run(RunResults.load(folder), folder.resolve()))
            continue
        runs.append(_stored(store, _stored_run(store, source)))
    if experiment:
        found = [r for r in (_stored(store, s) for s in store.runs()) if r.config.get("experiment") == experiment]
        if not found:
            store.require_results()
            raise store.unknown_experiment(experiment)
        runs += found
    if not runs:
        raise UserError("nothing to analyse: give run folders, run ids or --experiment NAME")
    return runs


def _stored_run(store, source: str):
    """The stored run whose id is ``source``, or the one whose id starts with it (the leaderboard shows
    ids cut to 8 characters); else the error naming the closest stored id."""
    from xbench.spec.suggest import did_you_mean

    known = {r.run_id: r for r in store.runs()}
    if source in known:
        return known[source]
    starting = [run_id for run_id in known if len(source) >= 6 and run_id.startswith(source)]
    if len(starting) == 1:
        return known[starting[0]]
    empty = "; no run is stored there yet" if not known else ""
    raise UserError(f"{source}: neither a run folder nor a run id in {store.path}{did_you_mean(source, known)}"
                    f"{empty} (fix: give a folder that holds results.json, or an id from `xbench leaderboard "
                    "--all-runs --format json`)")


def _stored(store, stored) -> Run:
    results = store.load_run(stored.run_id)
    folder = Path(stored.run_dir) if stored.run_dir and Path(stored.run_dir).is_dir() else None
    return Run(results, folder)


def item_key(record: dict):
    """The id an item is joined on across runs (ids are strings or ints in the per-item files)."""
    key = record.get("id", record.get("row"))
    return json.dumps(key, sort_keys=True) if isinstance(key, (list, dict)) else key


def metric_inputs(run: Run, cell: CellResult) -> tuple[list, list, list, list | None]:
    """(ids, predictions, references, resampling units) of one cell's labelled items; units is None when
    the items are the units (the items file carries no ``resampling_unit``, e.g. written by an older xbench)."""
    records = [r for r in run.items(cell) if "prediction" in r and r.get("reference") is not None]
    units = [r["resampling_unit"] for r in records] if records and all("resampling_unit" in r for r in records) \
        else None
    return (_unique_keys(records), [r["prediction"] for r in records], [r["reference"] for r in records], units)


def _unique_keys(records: list[dict]) -> list:
    """Item keys, made unique when ids repeat within a cell (XTREME's TyDiQA train files shorten ids, so
    several questions share one): the n-th item with an id is (id, n), the same in every run of that data."""
    keys = [item_key(r) for r in records]
    if len(set(keys)) == len(keys):
        return keys
    seen: dict = {}
    unique = []
    for key in keys:
        seen[key] = seen.get(key, -1) + 1
        unique.append(json.dumps([key, seen[key]]))
    return unique

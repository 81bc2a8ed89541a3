"""The results of one run: its cells, seed aggregates, and where they came from; ``results.json``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xbench.errors import UserError
from xbench.paths import write_atomic
from xbench.results.cells import CellChecksumError, CellFormatError, CellResult, cell_record, read_cells, verify_record, warn
from xbench.results.scoring import Scoring, complete_scoring
from xbench.results.seeds import CellAggregate, aggregate_seeds

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunResults:
    """Everything a run produced. Metric values are fractions in [0, 1].

    ``scoring`` is the snapshot of spec facts that scores depend on (see ``xbench.results.scoring``);
    whatever it lacks is taken from the installed specs when the results are saved or shown.
    """

    config: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    spec_hashes: dict[str, str] = field(default_factory=dict)
    cells: list[CellResult] = field(default_factory=list)
    scoring: Scoring = field(default_factory=Scoring)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    created_at: str = field(default_factory=_now)
    schema_version: int = SCHEMA_VERSION

    # ---- derived views -------------------------------------------------------------------------
    @property
    def model(self) -> str | None:
        model = self.config.get("model")
        return str(model) if model is not None else None

    def aggregates(self) -> list[CellAggregate]:
        """Per (address, language, split): mean ± sample sd over seeds of each metric."""
        return aggregate_seeds(self.cells)

    def complete_scoring(self) -> Scoring:
        """The scoring snapshot, completed from the installed specs for the tasks and groups present."""
        groups = {c.group for c in self.cells if c.group}
        tasks = {c.task for c in self.cells}
        tasks |= {e.task for g in groups if g in self.scoring.groups for e in self.scoring.groups[g].entries}
        self.scoring = complete_scoring(self.scoring, tasks, groups)
        return self.scoring

    def table(self, fmt: str = "table") -> str:
        """The task × language leaderboard with task means, transfer gaps, flags and benchmark scores."""
        from xbench.results.table import Section, render_table

        return render_table([Section(self.aggregates(), self.complete_scoring())], fmt)

    def scores(self) -> list:
        """Benchmark scores (``GroupScore``, or None for a group whose spec is unknown) per group present."""
        from xbench.results.table import Section, group_scores

        return group_scores(Section(self.aggregates(), self.complete_scoring()))

    # ---- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": self.schema_version, "run_id": self.run_id, "created_at": self.created_at,
                "config": self.config, "environment": self.environment, "spec_hashes": self.spec_hashes,
                "scoring": self.scoring.to_dict(), "cells": [cell_record(c) for c in self.cells],
                "aggregates": [a.to_dict() for a in self.aggregates()]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "results") -> RunResults:
        """Results from their dict (``aggregates`` are recomputed from the cells, not trusted).

        A cell whose checksum does not match its content (edited by hand) is left out with a warning
        naming ``where`` and the cell; cells saved before cells had checksums are read as they are."""
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise UserError(f"results schema_version {version!r} is not supported by this xbench "
                            f"(it reads up to {SCHEMA_VERSION}); upgrade xbench to read these results")
        cells = []
        for number, record in enumerate(data.get("cells", []), start=1):
            try:
                cell = CellResult.from_dict(record)
            except CellFormatError as err:
                raise UserError(f"{where}: cell {number} is malformed ({err}); rerun the evaluation to "
                                "rewrite it") from None
            try:
                verify_record(record, required=False)
            except CellChecksumError as err:
                warn(f"{where}: cell {number} ({cell.task}/{cell.split}-{cell.language}, seed {cell.seed}) is left "
                     f"out: {err} (fix: rerun `xbench eval` for it, or restore the file)")
                continue
            cells.append(cell)
        return cls(config=dict(data.get("config") or {}), environment=dict(data.get("environment") or {}),
                   spec_hashes=dict(data.get("spec_hashes") or {}), cells=cells,
                   scoring=Scoring.from_dict(data.get("scoring")), run_id=data.get("run_id") or uuid.uuid4().hex[:16],
                   created_at=data.get("created_at") or _now(), schema_version=version)

    def save(self, run_dir: Path | str) -> Path:
        """Write ``<run_dir>/results.json`` atomically (the scoring snapshot completed first)."""
        self.complete_scoring()
        path = Path(run_dir) / RESULTS_FILE
        write_atomic(path, self.to_json() + "\n")
        return path

    @classmethod
    def load(cls, run_dir: Path | str) -> RunResults:
        """The results saved in a run folder (``run_dir`` or its ``results.json``)."""
        path = Path(run_dir)
        path = path / RESULTS_FILE if path.is_dir() else path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"{path}: no results here (a run writes results.json when it finishes; "
                            "RunResults.from_cells() reads an unfinished run's cells)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UserError(f"{path}: not a readable results file ({err}); rerun the evaluation") from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: not a results file (expected a JSON object); rerun the evaluation")
        return cls.from_dict(data, str(path))

    @classmethod
    def from_cells(cls, run_dir: Path | str, **fields) -> RunResults:
        """Results from the valid cell files of a (possibly unfinished) run folder."""
        return cls(cells=read_cells(run_dir), **fields)

    def to_pandas(self, aggregate: bool = False):
        """A long DataFrame: one row per cell × metric (``aggregate=True``: per seed-aggregated cell ×
        metric, with mean, sd and n_seeds). Values are fractions. Needs pandas (``xbench[pandas]``)."""
        try:
            import pandas as pd
        except ImportError:
            raise UserError("to_pandas() needs pandas, which is not installed "
                            "(fix: pip install 'xbench[pandas]', or use .to_json() / .table())") from None

        cols = ["address", "task", "group", "language", "split"]
        if aggregate:
            rows = []
            for a in self.aggregates():
                base = {**{k: getattr(a, k) for k in cols}, "status": a.status, "flags": ",".join(a.flags)}
                for metric, stat in (a.metrics.items() or [(None, None)]):
                    rows.append({**base, "metric": metric, "mean": stat and stat.mean, "sd": stat and stat.sd,
                                 "n_seeds": stat.n if stat else 0})
            return pd.DataFrame(rows, columns=[*cols, "metric", "mean", "sd", "n_seeds", "status", "flags"])
        rows = []
        for c in self.cells:
            base = {**{k: getattr(c, k) for k in cols}, "seed": c.seed, "status": c.status, "n_items": c.n_items,
                    "flags": ",".join(c.flags)}
            for metric, value in (c.metrics.items() or [(None, None)]):
                lo, hi = (c.ci.get(metric) or (None, None)) if metric else (None, None)
                rows.append({**base, "metric": metric, "value": value, "ci_low": lo, "ci_high": hi})
        return pd.DataFrame(rows, columns=[*cols, "seed", "metric", "value", "ci_low", "ci_high", "status",
                                           "n_items", "flags"])

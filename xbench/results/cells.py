"""One evaluated cell (task address, language, split, seed) and its file in a run folder.

The engine writes each finished cell atomically to
``<run_dir>/seed-<S>/cells/<task>/<split>-<lang>.json``. A reader must never take a half-written or
damaged file for a result: ``read_cell`` checks the file completely (JSON, every field and its type,
metric values being finite fractions, the file's place matching its content, its checksum) and
raises ``CellFormatError`` otherwise; ``read_cells`` / ``scan_cells`` treat such files as absent (and
report them), so the engine recomputes those cells.

**Checksum.** Every cell file carries ``checksum``: ``sha256:`` of the canonical JSON (sorted keys,
no whitespace, UTF-8) of all its other fields. A file whose content does not match it was edited by
hand or damaged (``CellChecksumError``): it is never reused or shown as a result. A file without a
checksum was written by an older xbench (``CellStaleError``): it is treated as stale and recomputed.
Cells in ``results.json`` carry the same checksum (``cell_record``); ``verify_record`` checks one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xbench.paths import write_atomic

log = logging.getLogger("xbench.results")

STATUSES = ("ok", "missing", "predict_only")


class CellFormatError(ValueError):
    """A cell file or dict that is not a complete, valid cell."""


class CellChecksumError(CellFormatError):
    """A cell whose content does not match its checksum: edited by hand, or damaged."""


class CellStaleError(CellFormatError):
    """A cell file without a checksum (written before cells had one): recomputed, never reused."""


CHECKSUM_FIELD = "checksum"


def cell_checksum(data: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON of a cell dict's fields other than ``checksum``."""
    content = {k: v for k, v in data.items() if k != CHECKSUM_FIELD}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def cell_record(cell: CellResult) -> dict[str, Any]:
    """A cell's dict as stored (cell files, ``results.json``): its fields and their checksum. The
    checksum is taken over the JSON round trip of the fields, which is what a reader sees."""
    data = json.loads(json.dumps(cell.to_dict(), ensure_ascii=False, allow_nan=False))
    return {**data, CHECKSUM_FIELD: cell_checksum(data)}


def verify_record(data: Any, *, required: bool = True) -> None:
    """Raise ``CellChecksumError`` when a stored cell dict does not match its checksum, and
    ``CellStaleError`` when it has none and one is ``required``."""
    if not isinstance(data, dict):
        return  # not a cell at all: CellResult.from_dict says what is wrong
    stored = data.get(CHECKSUM_FIELD)
    if stored is None:
        if required:
            raise CellStaleError("no checksum (written by an older xbench); it counts as stale")
        return
    if stored != cell_checksum(data):
        raise CellChecksumError("its content does not match its checksum (edited by hand or damaged)")


@dataclass
class CellResult:
    """The result of one (task address, language, split, seed); metric values are fractions in [0, 1]."""

    task: str
    address: str
    language: str
    split: str
    seed: int
    group: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    ci: dict[str, list[float]] = field(default_factory=dict)
    n_items: int = 0
    flags: list[str] = field(default_factory=list)
    status: str = "ok"
    missing_reason: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> CellResult:
        """A cell from its dict, raising ``CellFormatError`` on anything missing or malformed."""
        if not isinstance(data, dict):
            raise CellFormatError("a cell must be a JSON object")
        for name in ("task", "address", "language", "split"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise CellFormatError(f"field '{name}' must be a non-empty string")
        seed = data.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise CellFormatError("field 'seed' must be an integer")
        group = data.get("group")
        if group is not None and not isinstance(group, str):
            raise CellFormatError("field 'group' must be a string or null")
        status = data.get("status", "ok")
        if status not in STATUSES:
            raise CellFormatError(f"field 'status' must be one of {', '.join(STATUSES)}, not {status!r}")
        metrics = _metric_map(data.get("metrics", {}))
        if status == "ok" and not metrics:
            raise CellFormatError("a cell with status 'ok' needs at least one metric")
        ci = data.get("ci", {})
        if not isinstance(ci, dict) or not all(
                isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_number(x) for x in v) for v in ci.values()):
            raise CellFormatError("field 'ci' must map metric names to [low, high]")
        n_items = data.get("n_items", 0)
        if not isinstance(n_items, int) or isinstance(n_items, bool) or n_items < 0:
            raise CellFormatError("field 'n_items' must be a non-negative integer")
        flags = data.get("flags", [])
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise CellFormatError("field 'flags' must be a list of strings")
        reason = data.get("missing_reason")
        if reason is not None and not isinstance(reason, str):
            raise CellFormatError("field 'missing_reason' must be a string or null")
        info = data.get("info", {})
        if not isinstance(info, dict):
            raise CellFormatError("field 'info' must be an object")
        return cls(task=data["task"], address=data["address"], language=data["language"], split=data["split"],
                   seed=seed, group=group, metrics=metrics, ci={k: [float(a), float(b)] for k, (a, b) in ci.items()},
                   n_items=n_items, flags=list(flags), status=status, missing_reason=reason, info=dict(info))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _metric_map(metrics: Any) -> dict[str, float]:
    if not isinstance(metrics, dict):
        raise CellFormatError("field 'metrics' must be an object")
    out = {}
    for name, value in metrics.items():
        # fractions only: a value like 61.2 means someone stored a percentage
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            raise CellFormatError(f"metric '{name}' must be a finite fraction in [0, 1], not {value!r}")
        out[name] = float(value)
    return out


# ---- files in a run folder ----------------------------------------------------------------------

def cell_path(run_dir: Path | str, task: str, split: str, language: str, seed: int) -> Path:
    """Where the cell of (task, split, language, seed) lives in a run folder."""
    return Path(run_dir) / f"seed-{seed}" / "cells" / task / f"{split}-{language}.json"


def write_cell(run_dir: Path | str, cell: CellResult) -> Path:
    """Write one cell atomically (temporary file + rename) and return its path."""
    CellResult.from_dict(cell.to_dict())  # never write what a reader would reject
    path = cell_path(run_dir, cell.task, cell.split, cell.language, cell.seed)
    write_atomic(path, json.dumps(cell_record(cell), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    return path


def read_cell(path: Path | str) -> CellResult:
    """The cell stored at ``path``; raises ``CellFormatError`` when the file is not a complete cell
    (``CellChecksumError`` when it does not match its checksum, ``CellStaleError`` when it has none)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CellFormatError(f"unreadable: {err}") from None
    cell = CellResult.from_dict(data)
    verify_record(data)
    # a file copied or renamed into the wrong place would silently stand in for another cell
    expected = (f"seed-{cell.seed}", cell.task, f"{cell.split}-{cell.language}.json")
    actual = (path.parent.parent.parent.name, path.parent.name, path.name)
    if expected != actual:
        raise CellFormatError(f"content is cell {'/'.join(expected)}, but the file is {'/'.join(actual)}")
    return cell


@dataclass
class CellScan:
    """The valid cells of a run folder, and the files that were not valid cells (path, reason)."""

    cells: list[CellResult]
    corrupt: list[tuple[Path, str]]


def scan_cells(run_dir: Path | str) -> CellScan:
    """Every cell file of a run folder, sorted by path; damaged files are listed, not returned as cells.

    Temporary files of ``write_atomic`` (``.name.*.tmp``) are skipped: they are writes in progress
    or left behind by a crash.
    """
    cells, corrupt = [], []
    for path in sorted(Path(run_dir).glob("seed-*/cells/*/*.json")):
        try:
            cells.append(read_cell(path))
        except CellFormatError as err:
            corrupt.append((path, str(err)))
    return CellScan(cells, corrupt)


def read_cells(run_dir: Path | str) -> list[CellResult]:
    """The valid cells of a run folder. Damaged, hand-edited and stale files are treated as absent,
    each with a warning line naming it."""
    scan = scan_cells(run_dir)
    for path, reason in scan.corrupt:
        warn(f"{path}: not used as a result: {reason}; the cell counts as not computed "
             "(`xbench eval` recomputes it)")
    return scan.cells


def warn(text: str) -> None:
    """One ``xbench: warning:`` line on stderr (as the engine's other warnings), also logged."""
    log.debug(text)
    print(f"xbench: warning: {text}", file=sys.stderr, flush=True)

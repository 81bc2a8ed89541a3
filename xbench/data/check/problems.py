"""Row-level problems of one cell's canonical rows: empty fields, duplicate ids, labels outside the
spec and length outliers, through the task type's data-check hooks (``xbench.tasktypes.base``), plus
the problems the type finds itself (e.g. answers not at their offsets, placeholder rows)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from xbench.data.canonical import FILE
from xbench.data.formats import LINE

SHOW = 3  # locations shown per problem
LENGTH_FLOOR = {"characters": 100, "tokens": 50}  # a length outlier is at least this long, by unit


@dataclass
class Problem:
    kind: str                      # malformed, dropped, empty_field, duplicate_id, label_outside_spec, ...
    message: str
    count: int = 1
    where: list[str] = field(default_factory=list)   # file:line of the first few rows
    # an error: the data cannot be used as it is (`xbench eval` refuses it or leaves rows out), so the
    # check exits 2; other problems are notes on data that is used as published
    error: bool = False

    def line(self) -> str:
        at = f" (e.g. {', '.join(self.where[:SHOW])})" if self.where else ""
        return f"{self.message}{at}"


def _loc(row: dict) -> str:
    line = row.get(LINE)
    return f"{row.get(FILE, '?')}:{line}" if line is not None else str(row.get(FILE, "?"))


def collect(rows, predicate, kind: str, message: str) -> Problem | None:
    """One problem for the rows matching ``predicate`` (``{n}`` in ``message``: how many), or None."""
    hits = [r for r in rows if predicate(r)]
    if not hits:
        return None
    return Problem(kind, message.format(n=len(hits)), len(hits), [_loc(r) for r in hits[:SHOW]])


def _outside_labels(task_type, rows: list[dict], labels: list) -> Problem | None:
    allowed = {str(label) for label in labels}
    bad = Counter(v for r in rows for v in task_type.row_labels(r) if v not in allowed)
    hits = [r for r in rows if any(v not in allowed for v in task_type.row_labels(r))]
    if not hits:
        return None
    values = ", ".join(f"{v!r}×{n}" for v, n in bad.most_common(5))
    return Problem("label_outside_spec", f"{len(hits)} rows with labels outside the spec's labels: {values}",
                   len(hits), [_loc(r) for r in hits[:SHOW]], error=True)


def _bad_labels(task_type, rows: list[dict], fields: dict) -> Problem | None:
    """Labels the type cannot use whatever the spec says (e.g. a choice index past the choices)."""
    hits = [(r, m) for r in rows for m in [task_type.label_problem(r, fields)] if m]
    if not hits:
        return None
    return Problem("label_invalid", f"{len(hits)} rows with an unusable label (the first: {hits[0][1]})", len(hits),
                   [_loc(r) for r, _ in hits[:SHOW]], error=True)


def _duplicate_ids(task_type, rows: list[dict]) -> Problem | None:
    ids = Counter(r["id"] for r in rows)
    dups = {i for i, n in ids.items() if n > 1}
    if not dups:
        return None
    first = [r for r in rows if r["id"] in dups]
    # loading refuses an item id repeated within one file where the type joins items by id
    in_file = Counter((r.get(FILE), r["id"]) for r in rows if task_type.is_item(r))
    refused = task_type.unique_item_ids and any(n > 1 for n in in_file.values())
    return Problem("duplicate_id", f"{len(dups)} ids occur more than once ({sum(ids[i] for i in dups)} rows; "
                   f"e.g. {', '.join(sorted(map(repr, dups))[:SHOW])})", len(dups), [_loc(r) for r in first[:SHOW]],
                   error=refused)


def _outliers(task_type, rows: list[dict]) -> Problem | None:
    lengths = [task_type.text_length(r) for r in rows]
    if len(lengths) < 20:
        return None
    median = statistics.median(lengths)
    unit = task_type.length_unit
    floor = LENGTH_FLOOR.get(unit, LENGTH_FLOOR["characters"])
    limit = max(10 * median, floor)
    hits = [(n, r) for n, r in zip(lengths, rows) if n > limit]
    if not hits:
        return None
    longest = max(n for n, _ in hits)
    return Problem("length_outlier", f"{len(hits)} rows longer than {limit:g} {unit} (10× the median {median:g}, "
                   f"at least {floor}); longest {longest}", len(hits), [_loc(r) for _, r in hits[:SHOW]])


def row_problems(task_type, doc: dict, rows: list[dict]) -> list[Problem]:
    """Every row-level problem found in a cell of the task type class ``task_type`` (an empty list
    when it is clean): the generic checks, then the type's own (``row_problems``, ``notable_rows``)."""
    fields = doc.get("fields") or {}
    out = [collect(rows, lambda r: task_type.has_empty_text(r, fields), "empty_field",
                   "{n} rows with an empty text field")]
    out.append(_duplicate_ids(task_type, rows))
    out.append(_bad_labels(task_type, rows, fields))
    if doc.get("labels"):  # a row reported as unusable above is not counted twice
        out.append(_outside_labels(task_type, [r for r in rows if not task_type.label_problem(r, fields)],
                                   doc["labels"]))
    out += task_type.row_problems(rows) + task_type.notable_rows(rows)
    out.append(_outliers(task_type, rows))
    return [p for p in out if p is not None]

"""Loader rows → canonical examples: the generic loop and the row helpers task types build on.

Each task type defines its own canonical schema (``canonical_columns``, ``canonical_features()``)
and maps one loader row, after the spec's ``fields:`` mapping, with ``canonical_row`` (see
``xbench.tasktypes.base.TaskType``). This module is the library under those methods: reading a
mapped column (``value``, ``text``, ``optional``), choice lists and choice labels, the ``BadRow``
exception for a row that does not fit its type, and ``canonicalise``, which runs a type's
``canonical_row`` over a cell's rows with the error and skip rules below.

The stable ``id``: the one ``canonical_row`` sets when its type has its own (e.g. a candidate's id),
else the mapped id column when the data has it (XCOPA/COPA ``idx``, XQuAD question id, UD
``sent_id``), else the row's 0-based position in the cell (XNLI/PAWS-X rows, which are parallel
across languages row by row). A row whose label or structure does not fit is a counted skip.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from xbench.data.errors import DataFileError
from xbench.data.formats import LINE
from xbench.data.skips import SkipLog, skip_or_raise

FILE = "_file"
ROW = "_row"  # a loader's 0-based data-row index (malformed rows included), the id of rows without one


class BadRow(Exception):
    """A row that does not fit the task type (``canonicalise`` makes it a counted skip)."""


def task_type_class(name: str, registry=None):
    """The class registered for task type ``name``; a one-line ``UserError`` when there is none (naming
    the installed types), when it cannot be imported, or when it cannot map rows to canonical examples."""
    from xbench.errors import PluginError, UserError
    from xbench.registry import get_registry

    registry = get_registry() if registry is None else registry
    try:
        component = registry.get("task_types", name)
    except PluginError as err:  # its message names the installed types
        raise UserError(f"{err} (fix: install the plugin that provides it, or correct the spec's type:)") from None
    try:
        cls = component.load()
    except (ImportError, AttributeError) as err:
        raise UserError(f"task type '{name}' of plugin '{component.plugin}' cannot be loaded from "
                        f"{component.target!r}: {err} (fix: the plugin's xbench_task_types target)") from None
    if not getattr(cls, "canonical_columns", None) or not callable(getattr(cls, "canonical_row", None)):
        raise UserError(f"task type '{name}' ({getattr(cls, '__qualname__', cls)}) defines no canonical data "
                        f"schema (fix: give the class canonical_columns, canonical_features and canonical_row; "
                        f"see CONTRIBUTING.md, 'Add a task type')")
    return cls


def value(row: dict, column: str):
    """A column, or a dotted path into nested mappings (``choices.text``); KeyError when absent."""
    found: Any = row
    for part in column.split("."):
        if not isinstance(found, dict) or part not in found:
            raise KeyError(column)
        found = found[part]
    return found


def text(row: dict, fields: dict, name: str, default: str | None = "") -> str:
    """The mapped column of field ``name`` as a string (None becomes ""). An unmapped field gives
    ``default``, or is a bad row when ``default`` is None (the field is required)."""
    column = fields.get(name)
    if column is None:
        if default is None:
            raise BadRow(f"the spec maps no column to '{name}'")
        return default
    found = value(row, column)
    return "" if found is None else str(found)


def optional(row: dict, fields: dict, name: str):
    """An optional mapped column: None when unmapped or absent in this row (unlabelled data)."""
    column = fields.get(name)
    if column is None or isinstance(column, list):
        return None
    try:
        return value(row, column)
    except KeyError:
        return None


def choice_label(label, n_choices: int) -> int:
    """A 0-based choice index (-1: unlabelled, for None or ""); a bad row when it is not an integer.
    An integer with no such choice is kept: loading refuses it as a located label error (the type's
    ``label_problem``) rather than skipping the row."""
    if label is None or label == "":
        return -1
    if isinstance(label, bool):
        raise BadRow(f"label {label!r} is not a choice index")
    try:
        index = int(label)
    except (TypeError, ValueError):
        raise BadRow(f"label {label!r} is not a choice index") from None
    return index


def choice_list(row: dict, spec) -> list[str]:
    """Choices from a list of columns (one choice each) or from one column holding a list."""
    if isinstance(spec, list):
        return ["" if value(row, c) is None else str(value(row, c)) for c in spec]
    found = value(row, spec)
    if not isinstance(found, list):
        raise BadRow(f"column '{spec}' holds {type(found).__name__}, not a list of choices")
    return [str(v) for v in found]


def _row_id(row: dict, fields: dict, position: int) -> str:
    for column in (fields.get("id"), "id"):
        if isinstance(column, str):
            try:
                found = value(row, column)
            except KeyError:
                continue
            if found not in (None, ""):
                return str(found)
    return str(row.get(ROW, position))


def canonicalise(task_type, rows: Iterable[dict], fields: dict, *, options: dict | None = None,
                 skips: SkipLog | None = None, subsets: dict | None = None) -> Iterator[dict]:
    """Canonical examples of the task type class ``task_type`` from loader rows (``_file``/``_line``
    give skip locations).

    A required column missing from the very first row of a file is a spec/layout mismatch and an
    error naming the columns that exist; later rows missing it are counted skips, like rows for
    which ``canonical_row`` raises ``BadRow``. ``subsets`` (the spec's ``item_subsets``: name → boolean
    column) adds ``subsets``: the names whose column is true for the row."""
    options = options or {}
    checked_files: set = set()
    for position, row in enumerate(rows):
        file, line = row.get(FILE, "<data>"), row.get(LINE)
        try:
            out = task_type.canonical_row(row, fields, options)
        except KeyError as err:
            column = err.args[0]
            if file not in checked_files:
                have = ", ".join(k for k in row if not k.startswith("_"))
                raise DataFileError(f"column '{column}' (named in the spec's fields) is not in the data; it has: "
                                    f"{have}", file=file, line=line,
                                    fix="map the spec's fields to these columns, or fix the layout's columns/rename")
            skip_or_raise(skips, file, line, f"row lacks column '{column}'", "repair the row")
            continue
        except BadRow as bad:
            skip_or_raise(skips, file, line, str(bad), "repair the row or the layout's label_map")
            continue
        finally:
            checked_files.add(file)
        out["id"] = out.pop("id") if "id" in out else _row_id(row, fields, position)
        if subsets:
            out["subsets"] = [name for name, column in subsets.items() if row.get(column) in (True, 1, "true", "True")]
        out[FILE], out[LINE] = file, line
        yield out

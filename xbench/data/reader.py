"""Reading the files of a planned cell: run each file's loader, then the layout's ``filter``,
``rename`` and ``label_map``, then the spec's lenient ``options.label_map``; stop at ``limit``."""

from __future__ import annotations

import functools
import inspect
import re
from typing import Iterator

from xbench.data.canonical import FILE, ROW
from xbench.data.errors import DataFileError, LayoutError
from xbench.data.formats import LINE
from xbench.data.manifest import CellPlan, FileRead
from xbench.data.skips import RULE, SkipLog


@functools.lru_cache(maxsize=None)
def _loader(name: str):
    from xbench.registry import get_registry

    formats = get_registry().collect("data_formats")
    if name not in formats:
        raise LayoutError(f"unknown data format '{name}' in a layout manifest "
                          f"(fix: use one of {', '.join(sorted(formats))})")
    func = formats[name].load()
    params = inspect.signature(func).parameters
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    return func, (None if accepts_any else set(params)), inspect.getmodule(func)


def _call(read: FileRead, skips: SkipLog) -> Iterator[dict]:
    func, params, _ = _loader(read.format)
    kwargs = dict(read.options)
    if params is not None:
        unknown = set(kwargs) - params
        if unknown:
            raise LayoutError(f"data format '{read.format}' has no option(s) {', '.join(sorted(unknown))} "
                              f"(reading {read.path}; fix: the layout entry's options)")
        if "skips" in params:
            kwargs["skips"] = skips
    try:
        yield from func(read.path, **kwargs)
    except OSError as err:
        raise DataFileError(f"cannot read: {err.strerror or err}", file=str(err.filename or read.path),
                            fix="check that the file exists and is readable") from None


def load_gold(plan: CellPlan, skips: SkipLog) -> list[tuple[str, str]] | None:
    """Gold pairs named by a read's ``gold`` option, read by its format module's ``load_gold``."""
    for read in plan.reads:
        gold = read.options.get("gold")
        if gold:
            module = _loader(read.format)[2]
            if hasattr(module, "load_gold"):
                try:
                    return module.load_gold(gold, skips)
                except OSError as err:  # e.g. the gold file the layout names is not there
                    raise DataFileError(f"cannot read the gold file: {err.strerror or err}",
                                        file=str(err.filename or gold),
                                        fix="put the gold file there, or evaluate a split that has one") from None
    return None


def iter_rows(plan: CellPlan, *, label_column: str | None, spec_label_map: dict | None = None,
              limit: int | None = None, skips: SkipLog) -> Iterator[dict]:
    """Loader rows of every file of the plan with ``_file`` set and the layout's transformations applied.

    ``limit`` keeps the first N rows; for mixed rows (retrieval: ``kind``/``side`` columns) it keeps the
    first N of each kind."""
    counts: dict[str, int] = {}
    several = len(plan.reads) > 1
    for index, read in enumerate(plan.reads):
        patterns = {col: re.compile(rx) for col, rx in read.filter.items()}
        for row in _call(read, skips):
            if any(not rx.match(str(row.get(col, ""))) for col, rx in patterns.items()):
                continue
            for old, new in read.rename.items():
                if old in row:
                    row[new] = row.pop(old)
            if read.label_map is not None and label_column:
                value = row.get(label_column)
                key = value if value in read.label_map else str(value)
                if key not in read.label_map:
                    # the layout keeps only the labels it maps (e.g. drops SNLI's "-"): a counted rule skip
                    skips.add(read.path, row.get(LINE), f"label {value!r} is not in the layout's label_map", RULE)
                    continue
                row[label_column] = read.label_map[key]
            if spec_label_map and label_column and row.get(label_column) in spec_label_map:
                row[label_column] = spec_label_map[row[label_column]]
            row[FILE] = str(read.path)
            if several and ROW in row:
                row[ROW] = f"{index}:{row[ROW]}"
            group = str(row.get("kind") or row.get("side") or "")
            if limit is not None:
                if counts.get(group, 0) >= limit:
                    if not group:
                        return
                    continue
                counts[group] = counts.get(group, 0) + 1
            yield row

"""Tab-separated columns, with or without a header: XNLI and PAWS-X (XTREME-processed and original),
PAWS-X's Hugging Face export, GLUE MNLI and QQP, SNLI's .txt files.

Yields one dict per row, values as strings, keyed by the manifest option ``columns`` or, with
``header: true``, by the file's first row (``columns`` then renames them in order). ``quoting``:
``none`` (default: split on tabs, quotes are text, as in GLUE and the original PAWS-X/XNLI files) or
``csv`` (Python's csv quoting, which XTREME's preprocessing and pandas exports write). A row with the
wrong number of columns is a counted skip; blank lines are not rows. ``_line`` is the row's first line,
``_row`` its 0-based index among the data rows (malformed ones included).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from xbench.data.errors import DataFileError
from xbench.data.formats import LINE
from xbench.data.formats._text import iter_lines, require
from xbench.data.skips import SkipLog, skip_or_raise

FIX = "every row needs the same tab-separated columns as the header (or the layout's `columns:`)"


def _rows(path: Path, quoting: str) -> Iterator[tuple[int, list[str]]]:
    if quoting == "none":
        for lineno, line in iter_lines(path):
            if line.strip():
                yield lineno, line.split("\t")
        return
    lines = iter_lines(path)
    reader = csv.reader((text + "\n" for _, text in lines), delimiter="\t", quotechar='"', strict=False)
    start = 1
    while True:
        try:
            record = next(reader, None)
        except csv.Error as err:  # e.g. a field over csv's size limit: a line that never ends
            raise DataFileError(f"cannot parse as tab-separated values: {err}", file=str(path), line=start,
                                fix="check the file's quoting: an unclosed \" runs to the end of the file "
                                    "(or use quoting: none in the layout)") from None
        if record is None:
            return
        if record and any(field.strip() for field in record):
            yield start, record
        start = reader.line_num + 1


def load(path: Path, *, columns: list[str] | None = None, header: bool = False, quoting: str = "none",
         skips: SkipLog | None = None) -> Iterator[dict]:
    require(path, quoting in ("none", "csv"), f"tsv option quoting={quoting!r}", "use none or csv")
    require(path, bool(columns) or header, "no column names", "give the layout entry `columns:` or `header: true`")
    rows = _rows(path, quoting)
    names = list(columns or [])
    if header:
        first = next(rows, None)
        require(path, first is not None, "no header row", FIX, line=1)
        if not names:
            names = [c.strip() for c in first[1]]
        require(path, len(names) == len(first[1]), f"the header has {len(first[1])} columns but the layout "
                f"names {len(names)}", "fix `columns:` in the layout manifest", line=first[0])
    found = 0
    for lineno, values in rows:
        found += 1
        if len(values) != len(names):
            skip_or_raise(skips, path, lineno, f"{len(values)} tab-separated columns, expected {len(names)} "
                          f"({', '.join(names)})", FIX)
            continue
        row = dict(zip(names, values))
        row[LINE], row["_row"] = lineno, found - 1
        yield row
    require(path, found > 0, "no data rows", "re-download the file")

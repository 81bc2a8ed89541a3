"""One set of output formats for every listing command (table, md, csv, latex, json), and the
``--uncertainty`` option of every command that shows results."""

from __future__ import annotations

import csv
import io
import json
from json.encoder import encode_basestring as _encode_str  # the C one when built

import click

FORMATS = ("table", "md", "csv", "latex", "json")
TABULATE_FORMATS = {"table": "simple", "md": "github", "latex": "latex_booktabs"}

format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                             show_default=True, help="Output format.")

# the choices are those of xbench.results.uncertainty.MODES (kept literal: this module stays import-light)
UNCERTAINTY_MODES = ("auto", "sd", "ci", "none")
uncertainty_option = click.option(
    "--uncertainty", type=click.Choice(UNCERTAINTY_MODES), default="auto", show_default=True,
    help="Beside each value: sd = ± sd over seeds; ci = 95% interval ([low, high]: t-interval over seeds, or a "
         "single-seed cell's bootstrap CI over items); none; auto = sd with several seeds, ci with one. csv and "
         "json give the parts as separate fields.")


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


class _Unusual(Exception):
    """A value the fast encoder leaves to ``json.dumps`` (non-string keys, non-JSON types)."""


def dumps_indented(value) -> str:
    """Exactly ``json.dumps(value, indent=2, ensure_ascii=False)``, several times faster on listings
    (the standard library's C encoder is used only without ``indent``; its pure-Python one took a
    third of ``xbench tasks list --format json`` at 5,000 tasks). Lists of strings, most of a
    listing, are joined in one C call."""
    out: list[str] = []
    try:
        _encode(value, "\n", out)
    except (_Unusual, RecursionError):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(out)


def _float(x: float) -> str:
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return float.__repr__(x)


def _encode(v, nl: str, out: list[str]) -> None:
    if isinstance(v, str):
        out.append(_encode_str(v))
    elif v is None:
        out.append("null")
    elif v is True or v is False:
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(int.__repr__(v))
    elif isinstance(v, float):
        out.append(_float(v))
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[]")
            return
        inner = nl + "  "
        if all(type(x) is str for x in v):
            out.append("[" + inner + ("," + inner).join(map(_encode_str, v)) + nl + "]")
            return
        sep = "[" + inner
        for x in v:
            out.append(sep)
            _encode(x, inner, out)
            sep = "," + inner
        out.append(nl + "]")
    elif isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        inner = nl + "  "
        sep = "{" + inner
        for k, x in v.items():
            if not isinstance(k, str):
                raise _Unusual
            out.append(sep + _encode_str(k) + ": ")
            _encode(x, inner, out)
            sep = "," + inner
        out.append(nl + "}")
    else:
        raise _Unusual


def render(rows: list[dict], columns: list[str], fmt: str, wrap: dict[str, int] | None = None) -> str:
    """Render rows (dicts) with the given columns. JSON keeps full values (lists stay lists)."""
    if fmt == "json":
        return dumps_indented(rows)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(r.get(c)) for c in columns] for r in rows])
        return buf.getvalue().rstrip("\n")
    from tabulate import tabulate

    table = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [(wrap or {}).get(c) for c in columns] if fmt == "table" and wrap else None
    if widths:
        widths = _prewrap(table, widths)
    if fmt == "table" and widths is None:
        fast = _plain_simple_table(table, columns)
        if fast is not None:
            return fast
    return tabulate(table, headers=columns, tablefmt=TABULATE_FORMATS[fmt], maxcolwidths=widths,
                    disable_numparse=True)


def _plain_simple_table(table: list[list[str]], headers: list[str]) -> str | None:
    """tabulate's ``simple`` format, text columns, for tables of plain ASCII cells (no escape codes,
    no whitespace at a line's ends, single-line headers, no all-empty row): at 5,000 rows tabulate spent
    ~0.4 s measuring every line's display width and column type. None for anything else (tabulate)."""
    if not table or not all(h.isascii() and h.isprintable() and h == h.strip() for h in headers):
        return None
    if not all(any(row) for row in table):  # tabulate drops some all-empty rows: leave those to it
        return None
    if not all(cell == cell.strip() for row in table for cell in row):
        return None
    split = [[cell.split("\n") for cell in row] for row in table]
    widths = [len(h) + 2 for h in headers]  # tabulate's minimum padding beside a header
    for row in split:
        for i, lines in enumerate(row):
            for line in lines:
                if not (line.isascii() and line.isprintable() and line == line.strip()):
                    return None
                if len(line) > widths[i]:
                    widths[i] = len(line)

    def join(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [join(headers), "  ".join("-" * w for w in widths)]
    for row in split:
        height = max(map(len, row))
        for k in range(height):
            out.append(join([lines[k] if k < len(lines) else "" for lines in row]))
    return "\n".join(out)


def _prewrap(table: list[list[str]], widths: list[int | None]) -> list[int | None] | None:
    """Wrap the cells of all-ASCII columns with ``textwrap`` (what tabulate's ``maxcolwidths`` does to
    them, ~10x faster: its wrapper measures every word for ANSI codes and wide characters); columns with
    other text are left to tabulate. Returns the widths tabulate still has to apply."""
    import textwrap

    left = list(widths)
    for i, width in enumerate(widths):
        if width is None or not all(row[i].isascii() for row in table):
            continue
        for row in table:
            if len(row[i]) > width or "\n" in row[i]:
                row[i] = "\n".join(line for part in row[i].splitlines() for line in (textwrap.wrap(part, width) or [""]))
        left[i] = None
    return left if any(w is not None for w in left) else None

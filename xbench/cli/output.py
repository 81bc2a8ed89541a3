"""One set of output formats for every listing command (table, md, csv, latex, json), and the
``--uncertainty`` option of every command that shows results."""

from __future__ import annotations

import csv
import io
import json

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


def render(rows: list[dict], columns: list[str], fmt: str, wrap: dict[str, int] | None = None) -> str:
    """Render rows (dicts) with the given columns. JSON keeps full values (lists stay lists)."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(r.get(c)) for c in columns] for r in rows])
        return buf.getvalue().rstrip("\n")
    from tabulate import tabulate

    table = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [(wrap or {}).get(c) for c in columns] if fmt == "table" and wrap else None
    return tabulate(table, headers=columns, tablefmt=TABULATE_FORMATS[fmt], maxcolwidths=widths,
                    disable_numparse=True)

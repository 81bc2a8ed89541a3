"""A tiny document model for one self-contained HTML page, and its renderer.

A ``Report`` holds ``Section``s of blocks: ``Table`` (sortable by clicking a header), ``Figure``
(a PNG inlined as a base64 data URI, or an SVG inlined as markup), ``Text`` (paragraphs, ``- `` lists
and ``code`` spans, or preformatted text) and ``Config`` (a dict as pretty JSON in a ``<details>``).
Every piece of text is escaped with ``html.escape``. The page loads nothing: its CSS and the sorting
script are inline, figures are embedded, and there are no fonts, CDNs or links outside the page, so
it works offline and as an e-mail attachment. The same input always renders to the same bytes (the
only clock reading is ``Report.generated``, which the caller passes in or leaves out).
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

NUMBER, TEXT = "number", "text"
SORT_KINDS = (NUMBER, TEXT)


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


# ---- blocks ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One table cell: what is shown, what it sorts by (a number, a string, or None = no value, which
    sorts last in both directions) and an optional tooltip."""

    text: str
    sort: float | str | None = None
    tooltip: str | None = None

    @classmethod
    def of(cls, value: Any) -> Cell:
        """A cell from a plain value: a string sorts as itself, a number by its value, None is empty."""
        if isinstance(value, Cell):
            return value
        if value is None:
            return cls("", None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(str(value), value)
        return cls(str(value), str(value))


@dataclass
class Table:
    """A table; ``rows`` are lists of ``Cell`` or plain values (see ``Cell.of``).

    ``sort_keys`` gives each column's sort kind: ``"number"``, ``"text"`` or None (not sortable).
    Without it every column is sortable, as numbers when all its sort values are numbers (or None),
    else as text.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    footnotes: Sequence[str] = ()
    sort_keys: Sequence[str | None] | None = None
    caption: str | None = None
    id: str | None = None

    def __post_init__(self):
        self.columns = [str(c) for c in self.columns]
        self.rows = [[Cell.of(v) for v in row] for row in self.rows]
        self.footnotes = [str(n) for n in self.footnotes]
        width = len(self.columns)
        for number, row in enumerate(self.rows, 1):
            if len(row) != width:
                raise ValueError(f"table row {number} has {len(row)} cells for {width} columns")
            for cell in row:
                if isinstance(cell.sort, float) and not math.isfinite(cell.sort):
                    raise ValueError(f"table row {number}: sort value {cell.sort!r} is not finite")
        if self.sort_keys is None:
            self.sort_keys = [self._inferred(i) for i in range(width)]
        else:
            self.sort_keys = list(self.sort_keys)
            if len(self.sort_keys) != width or any(k not in (*SORT_KINDS, None) for k in self.sort_keys):
                raise ValueError(f"sort_keys must give one of {SORT_KINDS} or None for each of {width} columns")
        for i, kind in enumerate(self.sort_keys):
            if kind == NUMBER and any(isinstance(r[i].sort, str) for r in self.rows):
                raise ValueError(f"column {self.columns[i]!r} sorts as numbers but has a text sort value")

    def _inferred(self, column: int) -> str:
        values = [r[column].sort for r in self.rows if r[column].sort is not None]
        return NUMBER if all(isinstance(v, (int, float)) for v in values) else TEXT


def _sniff(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        return "svg"
    raise ValueError("figure data is neither a PNG nor an SVG")


@dataclass
class Figure:
    """An image with a caption: a PNG or SVG file (``source`` a path; its suffix gives the format)
    or its bytes (the format is sniffed). The file is read at once, so it may be deleted afterwards."""

    source: Union[Path, str, bytes]
    caption: str = ""
    alt: str | None = None
    data: bytes = field(init=False, repr=False)
    format: str = field(init=False)

    def __post_init__(self):
        if isinstance(self.source, (bytes, bytearray)):
            self.data = bytes(self.source)
            self.format = _sniff(self.data)
        else:
            path = Path(self.source)
            self.data = path.read_bytes()
            suffix = path.suffix.lower().lstrip(".")
            self.format = suffix if suffix in ("png", "svg") else _sniff(self.data)
        if self.format == "svg":
            svg_markup(self.data, "check-")  # refuse a scripted or linking SVG now, not when rendering


@dataclass
class Text:
    """Paragraphs separated by blank lines; a paragraph whose lines all start with ``- `` is a list;
    ```code``` spans. ``preformatted=True`` shows the text as is, in a monospace block."""

    text: str
    preformatted: bool = False


@dataclass
class Config:
    """A mapping shown as pretty JSON in a collapsed ``<details>`` titled ``title``."""

    data: dict
    title: str = "configuration"
    open: bool = False


Block = Union[Table, Figure, Text, Config]


@dataclass
class Section:
    title: str
    blocks: Sequence[Block] = ()
    id: str | None = None


@dataclass
class Report:
    title: str
    subtitle: str | None = None
    sections: Sequence[Section] = ()
    generated: str | None = None  # e.g. a timestamp; None leaves the line out (reproducible pages)

    def to_html(self) -> str:
        return render(self)


# ---- rendering ------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; padding: 1.5em 2em 4em; max-width: 1400px; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.7em; margin: 0 0 .2em; }
h2 { font-size: 1.3em; margin: 2em 0 .6em; padding-bottom: .2em; border-bottom: 2px solid #d8dde6; }
.subtitle { color: #555; margin: 0 0 1em; }
.generated { color: #777; font-size: .85em; }
nav ul { margin: .4em 0 1em; padding: 0; list-style: none; }
nav li { display: inline-block; margin-right: 1.2em; }
.table-wrap { overflow-x: auto; margin: .6em 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .3em 0; }
th, td { border: 1px solid #d8dde6; padding: .25em .55em; text-align: left; vertical-align: top; }
th, td.num, td:first-child { white-space: nowrap; }
td { max-width: 45em; }
thead th { background: #eef2f7; position: sticky; top: 0; }
tbody tr:nth-child(even) { background: #f8f9fb; }
td.num { text-align: right; }
td.none { color: #999; }
td[title] { cursor: help; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; }
th .arrow::after { content: "\\2195"; color: #aab; margin-left: .3em; }
th[aria-sort=ascending] .arrow::after { content: "\\25B2"; color: #1d1d1f; }
th[aria-sort=descending] .arrow::after { content: "\\25BC"; color: #1d1d1f; }
ul.footnotes { font-size: .9em; color: #444; margin: .3em 0 1em; padding-left: 1.2em; }
figure { margin: 1em 0; }
figure img, figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: .9em; margin-top: .3em; }
pre { background: #f5f6f8; padding: .7em 1em; overflow-x: auto; font-size: 12.5px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details { margin: .5em 0; }
summary { cursor: pointer; font-weight: 600; }
"""

# Sorting: by the cells' data-sort values (numbers or code-point order for text, like Python's
# sorted); rows without a value stay last in both directions; ties keep the original order.
SCRIPT = """
(function () {
  function value(row, col, kind) {
    var v = row.cells[col].getAttribute("data-sort");
    if (v === null) return null;
    return kind === "number" ? parseFloat(v) : v;
  }
  function sortBy(table, th, col, kind) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col, kind), y = value(b, col, kind);
      var order = a.getAttribute("data-index") - b.getAttribute("data-index");
      if (x === null || y === null) return (x === null) - (y === null) || order;
      var c = kind === "number" ? x - y : (x < y ? -1 : (x > y ? 1 : 0));
      return (ascending ? c : -c) || order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var kind = th.getAttribute("data-kind");
      var button = th.querySelector("button");
      if (!kind || !button) return;
      button.addEventListener("click", function () { sortBy(table, th, col, kind); });
    });
  });
})();
"""


class _Ids:
    """Unique, stable element ids (the same document always gets the same ids)."""

    def __init__(self):
        self.used: set[str] = set()

    def make(self, wanted: str | None, fallback: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", (wanted or fallback).lower()).strip("-") or fallback
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}-{n}", n + 1
        self.used.add(name)
        return name


def render(report: Report) -> str:
    """The whole page as one HTML string."""
    ids = _Ids()
    counter = {"figure": 0}
    sections = [(ids.make(s.id, s.title or "section"), s) for s in report.sections]
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(report.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<header>",
             f"<h1>{esc(report.title)}</h1>"]
    if report.subtitle:
        parts.append(f'<p class="subtitle">{esc(report.subtitle)}</p>')
    if report.generated:
        parts.append(f'<p class="generated">generated {esc(report.generated)}</p>')
    parts.append("</header>")
    if len(sections) > 1:
        parts.append("<nav><ul>" + "".join(f'<li><a href="#{sid}">{esc(s.title)}</a></li>' for sid, s in sections)
                     + "</ul></nav>")
    parts.append("<main>")
    for sid, section in sections:
        parts.append(f'<section id="{sid}">')
        parts.append(f"<h2>{esc(section.title)}</h2>")
        parts += [_block(b, ids, counter) for b in section.blocks]
        parts.append("</section>")
    parts += ["</main>", f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _block(block: Block, ids: _Ids, counter: dict) -> str:
    if isinstance(block, Table):
        return _table(block, ids)
    if isinstance(block, Figure):
        counter["figure"] += 1
        return _figure(block, counter["figure"])
    if isinstance(block, Text):
        return _text(block)
    if isinstance(block, Config):
        return _config(block)
    raise TypeError(f"not a report block: {type(block).__name__}")


def _sort_attr(value: float | str | None) -> str:
    if value is None:
        return ""
    text = repr(float(value)) if isinstance(value, (int, float)) else value
    return f' data-sort="{esc(text)}"'


def _table(table: Table, ids: _Ids) -> str:
    sortable = any(table.sort_keys)
    tid = ids.make(table.id, "table")
    out = ['<div class="table-wrap">',
           f'<table id="{tid}"' + (' class="sortable"' if sortable else "") + ">"]
    if table.caption:
        out.append(f"<caption>{esc(table.caption)}</caption>")
    heads = []
    for name, kind in zip(table.columns, table.sort_keys):
        if kind:
            heads.append(f'<th scope="col" data-kind="{kind}"><button type="button" title="sort by {esc(name)}">'
                         f'{esc(name)}</button><span class="arrow" aria-hidden="true"></span></th>')
        else:
            heads.append(f'<th scope="col">{esc(name)}</th>')
    out.append("<thead><tr>" + "".join(heads) + "</tr></thead>")
    out.append("<tbody>")
    for index, row in enumerate(table.rows):
        cells = []
        for cell, kind in zip(row, table.sort_keys):
            classes = [c for c in ("num" if kind == NUMBER else "", "none" if cell.sort is None and kind else "") if c]
            attrs = (f' class="{" ".join(classes)}"' if classes else "") + _sort_attr(cell.sort)
            if cell.tooltip:
                attrs += f' title="{esc(cell.tooltip)}"'
            cells.append(f"<td{attrs}>{esc(cell.text)}</td>")
        out.append(f'<tr data-index="{index}">' + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    if table.footnotes:
        out.append('<ul class="footnotes">' + "".join(f"<li>{esc(n)}</li>" for n in table.footnotes) + "</ul>")
    return "\n".join(out)


_SVG_DROP = re.compile(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<!--.*?-->|<metadata\b.*?</metadata>", re.S | re.I)
_SVG_FORBIDDEN = re.compile(r"<script\b|<foreignObject\b|\son[a-z]+\s*=", re.I)
_SVG_LINK = re.compile(r"""\b(?:xlink:)?(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)


def svg_markup(data: bytes, prefix: str) -> str:
    """SVG bytes as markup to inline: without the XML prolog, doctype, comments and metadata (which
    holds a creation date), with every id prefixed so that several inlined SVGs never share one.
    Refuses SVGs that script or reference anything outside themselves."""
    text = _SVG_DROP.sub("", data.decode("utf-8")).strip()
    if _SVG_FORBIDDEN.search(text):
        raise ValueError("refusing to inline an SVG with scripts, event handlers or foreignObject")
    for link in _SVG_LINK.findall(text):
        if not link.startswith(("#", "data:")):
            raise ValueError(f"refusing to inline an SVG that links outside itself ({link[:60]})")
    if not text.lower().startswith("<svg"):
        raise ValueError("figure data is not an SVG document")
    text = re.sub(r'\bid="([^"]*)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]*)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)

    def local(match: re.Match) -> str:
        link = match.group(1)
        return match.group(0).replace(link, f"#{prefix}{link[1:]}") if link.startswith("#") else match.group(0)

    return _SVG_LINK.sub(local, text)


def _figure(figure: Figure, number: int) -> str:
    alt = figure.alt if figure.alt is not None else figure.caption
    if figure.format == "png":
        payload = base64.b64encode(figure.data).decode("ascii")
        body = f'<img src="data:image/png;base64,{payload}" alt="{esc(alt)}">'
    else:
        body = svg_markup(figure.data, f"fig{number}-")
        body = re.sub(r"^<svg\b", f'<svg role="img" aria-label="{esc(alt)}"', body, count=1, flags=re.I)
    caption = f"<figcaption>{esc(figure.caption)}</figcaption>" if figure.caption else ""
    return f'<figure id="figure-{number}">{body}{caption}</figure>'


def _inline(text: str) -> str:
    """Escaped text with ``code`` spans."""
    pieces = re.split(r"`([^`]+)`", text)
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(pieces))


def _text(block: Text) -> str:
    if block.preformatted:
        return f"<pre>{esc(block.text)}</pre>"
    out = []
    for para in re.split(r"\n\s*\n", block.text.strip()):
        lines = [line.strip() for line in para.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            out.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            out.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(out)


def _config(block: Config) -> str:
    text = json.dumps(block.data, indent=2, ensure_ascii=False, default=str)
    return (f"<details{' open' if block.open else ''}><summary>{esc(block.title)}</summary>"
            f"<pre>{esc(text)}</pre></details>")

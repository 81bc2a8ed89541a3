"""The page model and renderer: escaping, sort attributes, embedded figures, determinism, no links out."""

import base64
import io
import re
from html.parser import HTMLParser

import pytest

from xbench.report.page import Cell, Config, Figure, Report, Section, Table, Text, render, svg_markup

PNG_1x1 = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                           "AAAABJRU5ErkJggg==")
SVG = b"""<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20pt" height="10pt">
 <metadata><rdf:RDF><dc:date>2026-01-01T00:00:00</dc:date></rdf:RDF></metadata>
 <defs><clipPath id="clip1"><rect width="5" height="5"/></clipPath><path id="m1" d="M0 0L1 1"/></defs>
 <g clip-path="url(#clip1)"><use xlink:href="#m1" x="2" y="2"/></g>
</svg>
"""


class Collector(HTMLParser):
    """Every start tag with its attributes, to check the document's structure and links."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(text):
    collector = Collector()
    collector.feed(text)
    return collector.tags


def sample(tmp_path):
    png = tmp_path / "fig.png"
    png.write_bytes(PNG_1x1)
    table = Table(["name", "score"], [[Cell("<b>x</b>", "x", 'tip "quoted" & <tag>'), Cell("61.2 ± 0.8", 61.2)],
                                      ["plain", None], [Cell("a", "a"), 3]],
                  footnotes=["* <not> markup"], caption="caption & co", id="board")
    return Report("Title <script>alert(1)</script>", "sub & title", [
        Section("Results & more", [table, Figure(png, "a <png>")]),
        Section("Other", [Figure(SVG, "an svg"),
                          Text("First `code <x>` para\nstill first.\n\n- item one\n- item <two>"),
                          Text("  keep   spacing\n<pre>", preformatted=True),
                          Config({"model": "m", "nested": {"a": [1, 2]}, "html": "</pre><script>"})]),
    ])


def test_everything_is_escaped(tmp_path):
    page = render(sample(tmp_path))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert 'title="tip &quot;quoted&quot; &amp; &lt;tag&gt;"' in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page  # JSON of a config cannot close its <pre>
    assert "* &lt;not&gt; markup" in page and "caption &amp; co" in page
    assert "<code>code &lt;x&gt;</code>" in page and "<li>item &lt;two&gt;</li>" in page
    assert "<pre>  keep   spacing\n&lt;pre&gt;</pre>" in page
    # the only <script> element is the page's own sorting script
    assert page.count("<script>") == 1


def test_table_cells_carry_sort_values_and_kinds(tmp_path):
    tags = parse(render(sample(tmp_path)))
    heads = [a for t, a in tags if t == "th"]
    assert [h.get("data-kind") for h in heads] == ["text", "number"]  # inferred from the sort values
    cells = [a for t, a in tags if t == "td"]
    assert [c.get("data-sort") for c in cells] == ["x", "61.2", "plain", None, "a", "3.0"]
    assert [a["data-index"] for t, a in tags if t == "tr" and "data-index" in a] == ["0", "1", "2"]
    assert ("table", {"id": "board", "class": "sortable"}) in tags


def test_sort_keys_can_switch_sorting_off_and_are_checked():
    page = render(Report("t", sections=[Section("s", [Table(["a", "b"], [["x", "y"]], sort_keys=[None, None])])]))
    tags = parse(page)
    assert ("table", {"id": "table"}) in tags
    assert not any(t == "button" or "data-kind" in a for t, a in tags)
    with pytest.raises(ValueError, match="sorts as numbers"):
        Table(["a"], [["text"]], sort_keys=["number"])
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        Table(["a"], [["x", "y"]])
    with pytest.raises(ValueError, match="not finite"):
        Table(["a"], [[Cell("nan", float("nan"))]])


def test_figures_are_embedded(tmp_path):
    page = render(sample(tmp_path))
    images = [a for t, a in parse(page) if t == "img"]
    assert len(images) == 1
    assert images[0]["src"] == "data:image/png;base64," + base64.b64encode(PNG_1x1).decode()
    assert images[0]["alt"] == "a <png>"
    # the SVG is inline markup: no prolog, doctype or dated metadata; ids prefixed per figure
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and "dc:date" not in page
    assert 'id="fig2-clip1"' in page and "url(#fig2-clip1)" in page and 'xlink:href="#fig2-m1"' in page
    assert '<svg role="img" aria-label="an svg"' in page


def test_no_external_resources(tmp_path):
    page = render(sample(tmp_path))
    for tag, attrs in parse(page):
        for name in ("src", "href", "xlink:href", "action"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
        assert not (tag == "link" or (tag == "script" and "src" in attrs)), tag
    assert "@import" not in page and "url(http" not in page and "@font-face" not in page


@pytest.mark.parametrize("svg, message", [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "scripts"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="x()"/></svg>', "event handlers"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.org/a.png"/></svg>', "links outside"),
    (b"GIF89a....", "neither a PNG nor an SVG"),
])
def test_unsafe_or_unknown_figures_are_refused(svg, message):
    with pytest.raises(ValueError, match=message):
        Figure(svg, "bad")


def test_several_svgs_never_share_an_id():
    first, second = svg_markup(SVG, "fig1-"), svg_markup(SVG, "fig2-")
    ids = re.findall(r'id="([^"]+)"', first) + re.findall(r'id="([^"]+)"', second)
    assert len(ids) == len(set(ids)) == 4


def test_figure_file_is_read_at_once(tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(PNG_1x1)
    figure = Figure(path, "c")
    path.unlink()  # the builder draws into a temporary folder that is gone when the page is rendered
    assert "data:image/png;base64," in render(Report("t", sections=[Section("s", [figure])]))


def test_rendering_is_deterministic(tmp_path):
    assert render(sample(tmp_path)) == render(sample(tmp_path))
    report = sample(tmp_path)
    assert "<p class=\"generated\">" not in render(report)
    report.generated = "2030-01-01T00:00:00+00:00"
    assert '<p class="generated">generated 2030-01-01T00:00:00+00:00</p>' in render(report)


def test_section_ids_are_unique_and_linked(tmp_path):
    report = Report("t", sections=[Section("Same", [Text("a")]), Section("Same", [Text("b")])])
    tags = parse(render(report))
    assert [a["id"] for t, a in tags if t == "section"] == ["same", "same-2"]
    assert [a["href"] for t, a in tags if t == "a"] == ["#same", "#same-2"]


def test_page_is_well_formed(tmp_path):
    """Every element the renderer opens is closed, in order (void elements aside)."""
    void = {"meta", "img", "br", "hr", "input", "link"}
    stack = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in void and not tag.startswith(("svg", "rect", "path", "use", "g", "defs", "clippath")):
                stack.append(tag)

        def handle_endtag(self, tag):
            if tag in void or tag.startswith(("svg", "rect", "path", "use", "g", "defs", "clippath")):
                return
            assert stack and stack[-1] == tag, (stack[-3:], tag)
            stack.pop()

    Checker().feed(render(sample(tmp_path)))
    assert stack == []


def test_png_bytes_are_sniffed():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    assert Figure(buf.getvalue(), "c").format == "png"

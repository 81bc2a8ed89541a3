"""``render``'s own wrapping of long table cells gives tabulate's ``maxcolwidths`` output exactly."""

import random

from tabulate import tabulate

from xbench.cli.output import render


def test_prewrapped_table_equals_tabulates_own_wrapping():
    rng = random.Random(7)
    words = ["en", "de", "zh", "a-long-word-that-needs-breaking-into-pieces", "x", "multi\nline", "ünïcode", "数据"]
    rows = [{"name": f"t{i}", "languages": " ".join(rng.choice(words) for _ in range(rng.randint(0, 30))),
             "text": " ".join(rng.choice(words[:6]) for _ in range(rng.randint(0, 20)))} for i in range(200)]
    columns, wrap = ["name", "languages", "text"], {"languages": 20, "text": 11}
    expected = tabulate([[r[c] for c in columns] for r in rows], headers=columns, tablefmt="simple",
                        maxcolwidths=[wrap.get(c) for c in columns], disable_numparse=True)
    assert render(rows, columns, "table", wrap=wrap) == expected


def test_plain_tables_equal_tabulates_simple_format():
    """The fast path for plain ASCII tables gives tabulate's output exactly, and leaves to tabulate
    every table it would render differently (escape codes, padded or non-ASCII cells, empty rows)."""
    from xbench.cli.output import _plain_simple_table

    rng = random.Random(3)
    cells = ["a", "bb", "ccc dd", "x\ny", "", "long text here", "e\n\nf", "7", "3.5", "-1", "1e5", "True", "None",
             "  ", " lead", "trail ", "a\n", "p\n q", "ünï", "数据", "\x1b[31mred\x1b[0m"]
    fast_ones = 0
    for _ in range(3000):
        ncol, nrow = rng.randint(1, 5), rng.randint(1, 6)
        headers = [rng.choice(["name", "x", "", "n_languages", "12"]) for _ in range(ncol)]
        table = [[rng.choice(cells) for _ in range(ncol)] for _ in range(nrow)]
        fast = _plain_simple_table([list(r) for r in table], headers)
        if fast is not None:
            fast_ones += 1
            assert fast == tabulate(table, headers=headers, tablefmt="simple", disable_numparse=True), (headers, table)
    assert fast_ones > 200  # the fast path is really taken for plain tables


def test_render_of_a_plain_table_takes_the_fast_path(monkeypatch):
    import xbench.cli.output as output

    rows = [{"name": f"task{i}", "languages": "de en fr"} for i in range(3)]
    expected = render(rows, ["name", "languages"], "table")
    monkeypatch.setattr(output, "_plain_simple_table", lambda table, headers: None)  # tabulate alone
    assert render(rows, ["name", "languages"], "table") == expected
    monkeypatch.undo()
    import tabulate as tabulate_module

    monkeypatch.setattr(tabulate_module, "tabulate", lambda *a, **k: "tabulate was called")
    assert render(rows, ["name", "languages"], "table") == expected

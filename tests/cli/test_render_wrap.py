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

"""The README's Reliability section lists the corpus counts per category: they are the corpus's own."""

import re
from collections import Counter
from pathlib import Path

from reliability.corpus import CASES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_corpus_table_matches_the_corpus():
    text = README.read_text(encoding="utf-8").split("## Reliability", 1)[1].split("\n## ", 1)[0]
    listed = {m[1]: int(m[2]) for m in re.finditer(r"^\| (\w+) \| (\d+) \|", text, re.M)}
    counts = Counter(c.category for c in CASES)
    assert listed == dict(counts)
    assert re.search(rf"\| \*\*total\*\* \| \*\*{len(CASES)}\*\* \|", text)
    assert len(CASES) >= 60

"""BUCC 2018 bitext mining files: ``<id><TAB><sentence>`` per line (``zh-000000001<TAB>...``), one file
per language, plus gold pairs ``<src-id><TAB><en-id>``.

``load(path, target=PATH)`` yields ``id``, ``side`` ("source" for the non-English ``path``, "target"
for the English ``target`` file) and ``text``. ``load_gold(path)`` returns the gold pairs as
``[(source_id, target_id), ...]``; the data layer attaches them to the loaded split as ``gold``.
Lines without exactly one tab are counted skips; a repeated id is reported by ``xbench data check``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from xbench.data.formats import LINE
from xbench.data.formats._text import iter_lines, require
from xbench.data.skips import SkipLog, skip_or_raise

FIX = "one <id><TAB><text> per line, as in the BUCC 2018 release"


def _sentences(path: Path, side: str, skips: SkipLog | None) -> Iterator[dict]:
    found = 0
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip():
            skip_or_raise(skips, path, lineno, f"{len(parts)} tab-separated fields, expected 2 (id, sentence)", FIX)
            continue
        found += 1
        yield {"id": parts[0].strip(), "side": side, "text": parts[1], LINE: lineno}
    require(path, found > 0, "no sentences", FIX)


def load(path: Path, *, target: str | Path | None = None, gold: str | Path | None = None,
         skips: SkipLog | None = None) -> Iterator[dict]:
    """``gold`` is accepted (and ignored) here so that one manifest entry can name all three files."""
    yield from _sentences(Path(path), "source", skips)
    if target is not None:
        yield from _sentences(Path(target), "target", skips)


GOLD_FIX = "one <source-id><TAB><en-id> line per gold pair, as in the BUCC 2018 release"


def load_gold(path: str | Path, skips: SkipLog | None = None) -> list[tuple[str, str]]:
    pairs, bad = [], []
    for lineno, line in iter_lines(Path(path)):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            reason = f"gold line with {len(parts)} field{'s' if len(parts) != 1 else ''}, expected 2"
            bad.append((lineno, reason))
            skip_or_raise(skips, path, lineno, reason, GOLD_FIX)
            continue
        pairs.append((parts[0].strip(), parts[1].strip()))
    # no pair at all: every score would be 0 (and no threshold could be tuned), so it is the file's error
    if not pairs:
        skipped = "its one line was" if len(bad) == 1 else f"all {len(bad)} lines were"
        why = f": {skipped} skipped (the first: {bad[0][1]})" if bad else " (only blank lines)"
        require(path, False, "no gold pairs" + why, GOLD_FIX, line=bad[0][0] if bad else None)
    return pairs

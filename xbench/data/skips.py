"""Counted skips: rows a loader could not use (malformed) or dropped by an official rule.

Nothing is dropped silently: a loader given a ``SkipLog`` records each skipped row with its
location; given none, it raises the same problem as a one-line ``DataFileError``.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass

from xbench.data.errors import DataFileError

MALFORMED = "malformed"
RULE = "rule"  # dropped on purpose by an official preprocessing rule (e.g. UD sentences of `_` forms)


@dataclass(frozen=True)
class Skip:
    file: str
    line: int | str | None
    reason: str
    kind: str = MALFORMED

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class SkipLog(list):
    """A list of ``Skip`` with a summary."""

    def add(self, file, line, reason: str, kind: str = MALFORMED) -> None:
        self.append(Skip(str(file), line, reason, kind))

    def total(self, kind: str | None = None) -> int:
        return len(self) if kind is None else sum(1 for s in self if s.kind == kind)

    def by_reason(self) -> Counter:
        return Counter(s.reason for s in self)


def skip_or_raise(skips: SkipLog | None, file, line, reason: str, fix: str, kind: str = MALFORMED) -> None:
    """Record a skipped row, or raise it as a located error when the caller keeps no log."""
    if skips is None:
        raise DataFileError(reason, file=str(file), line=line, fix=fix)
    skips.add(file, line, reason, kind)


_warned: set = set()  # cells warned about in this invocation (a cell is loaded again for each seed)


def reset_warnings() -> None:
    """Forget which cells were warned about (each CLI invocation warns afresh)."""
    _warned.clear()


def warn_malformed(skips: SkipLog, cell: str, key=None, fix: str = "repair or remove them") -> int:
    """One ``xbench: warning:`` line for a cell read with malformed rows left out: where the first is,
    how many, and ``fix``; once per ``key`` (the cell's data) per invocation. Returns how many."""
    malformed = [s for s in skips if s.kind == MALFORMED]
    if not malformed:
        return 0
    if key is None or key not in _warned:
        _warned.add(key)
        first, n = malformed[0], len(malformed)
        files = len({s.file for s in malformed})
        rows = f"{n} malformed row{'s' if n > 1 else ''}" + (f" in {files} files" if files > 1 else "")
        print(f"xbench: warning: {first.where}: {rows} skipped (the first: {first.reason}); {cell} is read without "
              f"{'them' if n > 1 else 'it'} and flagged skipped_rows={n} (fix: {fix})", file=sys.stderr, flush=True)
    return len(malformed)

"""A cache of parsed, include-resolved, schema-checked spec files, keyed by file paths and mtimes.

Listing thousands of specs then costs one JSON read and a ``stat`` per file. An entry is reused
only if every file it was built from (the spec and its includes) has the same mtime and size, and
the cache was written by the same xbench version with the same schema files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import xbench
from xbench.paths import write_atomic, xbench_home
from xbench.spec.validate import SCHEMA_DIR

CACHE_FORMAT = 1


def _stamp(path: Path) -> list:
    st = os.stat(path)
    return [st.st_mtime_ns, st.st_size]


def _cache_key() -> str:
    schemas = sorted(SCHEMA_DIR.glob("*.schema.json")) + [SCHEMA_DIR / "iso639_1.txt"]
    return json.dumps([CACHE_FORMAT, xbench.__version__, [[p.name, *_stamp(p)] for p in schemas]])


class IndexCache:
    def __init__(self, path: Path | None = None, enabled: bool = True):
        self.path = path or xbench_home() / "cache" / "spec-index.json"
        self.enabled = enabled
        self.key = _cache_key()
        self.entries: dict[str, dict] = {}
        self.dirty = False
        self.hits = 0
        if enabled:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("key") == self.key and isinstance(data["entries"], dict):
                    self.entries = data["entries"]
            except (OSError, ValueError, KeyError, AttributeError):
                pass  # no cache or an unreadable one: rebuild

    def get(self, path: Path) -> dict | None:
        entry = self.entries.get(str(path))
        if entry is None:
            return None
        try:
            if all(_stamp(Path(f)) == stamp for f, stamp in entry["stamps"]) and isinstance(entry["value"], dict):
                self.hits += 1
                return entry["value"]
        except (OSError, KeyError, TypeError, ValueError):
            pass  # a file gone, or a damaged entry: parse the spec again
        return None

    def put(self, path: Path, files: list[Path], value: dict) -> None:
        if not self.enabled:
            return
        try:
            stamps = [[str(f), _stamp(f)] for f in files]
        except OSError:
            return
        self.entries[str(path)] = {"stamps": stamps, "value": value}
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        """Write the cache if it changed, dropping entries for files that no longer exist."""
        stale = set(self.entries) - keep
        for k in stale:
            del self.entries[k]
        if self.enabled and (self.dirty or stale):
            try:
                write_atomic(self.path, json.dumps({"key": self.key, "entries": self.entries}))
            except OSError:
                pass  # a read-only home must not break listing

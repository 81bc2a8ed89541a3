"""A cache of parsed, include-resolved, schema-checked spec files, keyed by file paths and stats.

Listing thousands of specs then costs one small JSON read and a ``stat`` per file. An entry is
reused only if every file it was built from (the spec and its includes) has the same mtime, size,
inode and ctime (ctime cannot be set back, so an edit that restores the mtime is still seen), and
the cache was written by the same xbench version with the same schema files and spec-checking code.
A file changed within ``RACY_SECONDS`` before it was indexed could change again within the same
timestamp tick without its stat changing, so such an entry is not trusted: the next listing parses the
spec again (as the file-hash memo does, ``xbench.filehash``).

The file is one JSON list: its first line holds the *header* (per spec its file stamps, kind,
*head* — the top-level fields listing reads, ``xbench.spec.models.HEAD_KEYS`` —, errors and where
its document is), the documents follow, one a line, and last a CRC-32 of all before it. Decoding
thousands of whole documents was most of a warm listing; now a command decodes the header and only
the documents it uses. The checksum (a few milliseconds for thousands of specs) makes a damaged file
be rebuilt whole, as when it was one JSON document.

An entry also keeps the result of the registry checks (``validate.task_problems``) under a
fingerprint of what those checks read from the registry, so they are redone when plugins change,
not on every listing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
import zlib
from pathlib import Path

import xbench
from xbench.gcpause import gc_paused
from xbench.models.fingerprint import RACY_SECONDS
from xbench.paths import write_atomic, xbench_home
from xbench.spec.models import spec_head
from xbench.spec.validate import SCHEMA_DIR

CACHE_FORMAT = 2


def _stamp(path: str) -> list:
    st = os.stat(path)
    return [st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns]


def _checksum(data: bytes) -> bytes:
    return b',"%08x"]' % zlib.crc32(data)


TRAILER = len(_checksum(b""))


def _code_files() -> list[Path]:
    """What a cached entry's value was computed by, besides the xbench version (a source checkout
    keeps its version while this code changes): the schemas, the spec modules, the prompt filters
    and pycountry's code list (ISO 639-3 validity)."""
    files = sorted(SCHEMA_DIR.glob("*.schema.json")) + [SCHEMA_DIR / "iso639_1.txt"]
    files += sorted(SCHEMA_DIR.glob("*.py")) + [SCHEMA_DIR.parent / "prompting" / "templates.py"]
    spec = importlib.util.find_spec("pycountry")
    if spec is not None and spec.origin:
        files.append(Path(spec.origin))
    return files


def _cache_key() -> str:
    stamps = []
    for p in _code_files():
        try:
            stamps.append([str(p), *_stamp(str(p))[:2]])
        except OSError:
            stamps.append([str(p), None])
    return json.dumps([CACHE_FORMAT, xbench.__version__, stamps])


class IndexCache:
    def __init__(self, path: Path | None = None, enabled: bool = True):
        self.path = path or xbench_home() / "cache" / "spec-index.json"
        self.enabled = enabled
        self.key = _cache_key()
        self.entries: dict[str, dict] = {}
        self.dirty = False
        self.hits = 0
        self._texts: dict[str, bytes] = {}  # documents parsed in this process, not yet in the file
        self._data, self._start = b"", 0  # the file as read (the stored documents are slices of it)
        if enabled:
            try:
                data = self.path.read_bytes()
                body, end = data[:-TRAILER], data[-TRAILER:]
                if data.startswith(b"[") and end == _checksum(body):
                    newline = body.index(b"\n")
                    with gc_paused():  # (see xbench.gcpause)
                        header = json.loads(body[1:newline])
                    if header.get("key") == self.key and isinstance(header["entries"], dict):
                        self.entries, self._data, self._start = header["entries"], data, newline + 1
            except (OSError, ValueError, KeyError, AttributeError, TypeError):
                pass  # no cache or an unreadable one: rebuild

    def get(self, path: str) -> dict | None:
        """The index form of a spec (kind, head, ``at``: where its document is, files, errors[, checked])
        if it is current."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        try:
            value = entry["value"]
            if not entry.get("racy") and all(_stamp(f) == stamp for f, stamp in entry["stamps"]) \
                    and isinstance(value, dict) and isinstance(value["head"], dict):
                self.hits += 1
                return value
        except (OSError, KeyError, TypeError, ValueError):
            pass  # a file gone: parse the spec again
        return None

    def put(self, path: str, parsed: dict) -> dict:
        """Store a freshly parsed spec; returns its index form (which a later ``get`` returns)."""
        doc = parsed["doc"]
        value = {"kind": parsed["kind"], "head": spec_head(doc), "at": None, "files": parsed["files"],
                 "errors": parsed["errors"]}
        if self.enabled:
            try:
                stamps = [[f, _stamp(f)] for f in parsed["files"]]
                self.entries[path] = {"stamps": stamps, "value": value}
                recent = time.time_ns() - int(RACY_SECONDS * 1e9)
                if any(max(stamp[0], stamp[3]) >= recent for _, stamp in stamps):
                    self.entries[path]["racy"] = True  # see the module docstring
                self._texts[path] = json.dumps(doc, ensure_ascii=False).encode("utf-8")
                self.dirty = True
            except OSError:
                pass
        return value

    def _text(self, path: str) -> bytes | None:
        if path in self._texts:
            return self._texts[path]
        try:
            offset, length = self.entries[path]["value"]["at"]
            return self._data[self._start + offset:self._start + offset + length] or None
        except (KeyError, TypeError, ValueError):
            return None

    def load_doc(self, path: str) -> dict | None:
        """The stored document of a spec; None when there is none (then parse the file)."""
        text = self._text(path)
        try:
            return json.loads(text) if text is not None else None
        except ValueError:
            return None

    def checked(self, path: str, fingerprint: str) -> list | None:
        """The registry checks' errors stored for this spec under this registry fingerprint."""
        try:
            fp, errors = self.entries[path]["value"]["checked"]
            if fp == fingerprint and isinstance(errors, list):
                return errors
        except (KeyError, TypeError, ValueError):
            pass
        return None

    def set_checked(self, path: str, fingerprint: str, errors: list) -> None:
        entry = self.entries.get(path)
        if entry is not None:
            entry["value"]["checked"] = [fingerprint, errors]
            self.dirty = True

    def save(self, keep: set[str]) -> None:
        """Write the cache if it changed, dropping entries for files that no longer exist."""
        stale = set(self.entries) - keep
        for k in stale:
            del self.entries[k]
        if not (self.enabled and (self.dirty or stale)):
            return
        texts = {}
        for path in list(self.entries):
            text = self._text(path)
            if text is None:  # no document: parse that spec again next time
                del self.entries[path]
                continue
            texts[path] = text
        blob, offset = [], 0
        for path, text in texts.items():  # places are counted from the line after the header
            self.entries[path]["value"]["at"] = [offset + 1, len(text)]
            blob += [b",", text, b"\n"]
            offset += len(text) + 2
        header = json.dumps({"key": self.key, "entries": self.entries}, ensure_ascii=False).encode("utf-8")
        body = b"".join([b"[", header, b"\n", *blob])
        try:
            write_atomic(self.path, body + _checksum(body))
        except OSError:
            self._texts.update(texts)  # (the places above are of the file not written)
            return  # a read-only home must not break listing
        self._data, self._start, self.dirty = body, len(header) + 2, False
        self._texts.clear()

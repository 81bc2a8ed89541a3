"""Content hashes of single files (data files), memoised by their stat.

Data fingerprints are keyed by what the files hold, not where they are: a data root moved or copied
elsewhere keeps its fingerprint (and its trained checkpoints and finished cells), while any edit
changes it. Each file's sha256 is memoised in ``$XBENCH_HOME/cache/file-hashes.json`` under its
resolved path with (size, mtime_ns, inode, ctime_ns); files changed within ``RACY_SECONDS`` of being
hashed are hashed again next time (see ``xbench.models.fingerprint`` for why). Each entry carries a
check (a hash of the path, stat and digest), so an entry garbled on disk is noticed, reported with a
warning naming the memo, and the file is hashed again instead of trusting a wrong digest.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from xbench.models.fingerprint import RACY_SECONDS, file_sha256, load_memo
from xbench.paths import write_atomic, xbench_home

MEMO_NAME = "file-hashes.json"
_memo: dict | None = None  # this process's view of the memo file


def content_sha256(path: Path | str) -> str:
    global _memo
    path = Path(path).resolve()
    st = path.stat()
    stat = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
    memo_path = xbench_home() / "cache" / MEMO_NAME
    if _memo is None or _memo.get("_home") != str(memo_path):
        _memo = {"_home": str(memo_path), **load_memo(memo_path)}
    entry = _memo.get(str(path))
    if isinstance(entry, dict) and entry.get("stat") == stat and not entry.get("racy", True):
        if entry.get("check") == entry_check(str(path), stat, entry.get("sha256")):
            return entry["sha256"]
        if "check" in entry:  # (entries of older versions have none: simply hashed again)
            print(f"xbench: warning: {memo_path}: damaged entry for {path}; hashing the file again",
                  file=sys.stderr, flush=True)
    digest = file_sha256(path)
    racy = max(st.st_mtime_ns, st.st_ctime_ns) >= time.time_ns() - int(RACY_SECONDS * 1e9)
    _memo[str(path)] = {"stat": stat, "sha256": digest, "racy": racy, "check": entry_check(str(path), stat, digest)}
    on_disk = load_memo(memo_path)  # keep what other processes saved meanwhile
    on_disk[str(path)] = _memo[str(path)]
    try:
        write_atomic(memo_path, json.dumps(on_disk, sort_keys=True))
    except OSError:
        pass  # the memo only saves time
    return digest


def entry_check(path: str, stat: list, digest) -> str:
    """What an intact memo entry's ``check`` holds: a hash of everything the entry says."""
    return hashlib.sha256(json.dumps([path, stat, digest]).encode()).hexdigest()[:16]

"""Content hashes of single files (data files), memoised by their stat.

Data fingerprints are keyed by what the files hold, not where they are: a data root moved or copied
elsewhere keeps its fingerprint (and its trained checkpoints and finished cells), while any edit
changes it. Each file's sha256 is memoised in ``$XBENCH_HOME/cache/file-hashes.json`` under its
resolved path with (size, mtime_ns, inode, ctime_ns); files changed within ``RACY_SECONDS`` of being
hashed are hashed again next time (see ``xbench.models.fingerprint`` for why).
"""

from __future__ import annotations

import json
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
        return entry["sha256"]
    digest = file_sha256(path)
    racy = max(st.st_mtime_ns, st.st_ctime_ns) >= time.time_ns() - int(RACY_SECONDS * 1e9)
    _memo[str(path)] = {"stat": stat, "sha256": digest, "racy": racy}
    on_disk = load_memo(memo_path)  # keep what other processes saved meanwhile
    on_disk[str(path)] = _memo[str(path)]
    try:
        write_atomic(memo_path, json.dumps(on_disk, sort_keys=True))
    except OSError:
        pass  # the memo only saves time
    return digest

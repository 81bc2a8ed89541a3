"""A content hash of a model checkpoint: what its results are keyed by.

``weights_hash`` hashes the files a model's identity depends on (config, weights, tokenizer, xbench's
head description) and nothing else, so a folder copied elsewhere hashes the same and an overwritten
one hashes differently, while training leftovers (optimizer state, trainer logs, READMEs) do not
count. Only the folder's top level is read, as ``from_pretrained`` does: subfolders (``best/``,
``checkpoint-500/``) are other models.

Hashing a multi-GB checkpoint takes a while, so each file's sha256 is memoised in
``$XBENCH_HOME/cache/weights-hashes.json`` under the folder's resolved path, with the file's
(size, mtime_ns, inode, ctime_ns): a file whose stat differs is hashed again, as is one that was
changed less than ``RACY_SECONDS`` before it was last hashed (see there). Once its files are older
than that, a call on an unchanged folder reads no file contents.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import time
from pathlib import Path

from xbench.errors import UserError
from xbench.paths import write_atomic, xbench_home

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.msgpack", "*.h5")
IDENTITY_FILES = frozenset({
    "config.json",
    # tokenizer
    "tokenizer.json", "vocab.txt", "sentencepiece.bpe.model", "spiece.model", "merges.txt", "vocab.json",
    "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    # xbench's description of the task head (xbench.tasktypes.base.HEAD_FILE)
    "xbench_head.json",
})
# Training state that matches WEIGHT_PATTERNS but is not the model: xbench's resumable loop state
# (xbench.train.loop.STATE) and the transformers Trainer's checkpoint extras.
EXCLUDED_FILES = frozenset({
    "train_state.pt",
    "optimizer.pt", "optimizer.bin", "scheduler.pt", "scaler.pt", "training_args.bin", "rng_state.pth",
})
EXCLUDED_PATTERNS = ("rng_state_*.pth",)  # one per process in distributed Trainer runs

HASH_VERSION = "xbench-weights-v1"  # part of every hash: changing what is hashed must change it
MEMO_NAME = "weights-hashes.json"

# A file changed within this long before it was hashed may be changed again within the same
# timestamp tick (coarse on some file systems: 2 s on FAT) without its stat changing, so its memo
# entry is not trusted; the next call hashes it again and, once it is older, records a trusted entry.
# ctime counts as well as mtime: restoring an old mtime (cp -p, os.utime) still sets ctime to now.
RACY_SECONDS = 2.0


def weights_hash(path_or_hub_id: str) -> str:
    """``sha256:<hex>`` of a local checkpoint folder's identity files, or ``hub:<id>`` for a hub id.

    A hub id is identified by its name only (there is no hub access to hash its files); a name that is
    no existing folder and does not start with ``/``, ``./``, ``../`` or ``~`` is taken for one. The
    hash covers each file's name and bytes, sorted by name, never the folder's own path.
    """
    folder = Path(path_or_hub_id).expanduser()
    if not folder.is_dir():
        if folder.exists():
            raise UserError(f"model {path_or_hub_id}: is a file, not a checkpoint folder (fix: give the folder "
                            "holding config.json and the weights)")
        if path_or_hub_id.startswith(("/", "./", "../", "~")) or path_or_hub_id in (".", ".."):
            raise UserError(f"model folder {path_or_hub_id} does not exist (fix: check the path)")
        return "hub:" + path_or_hub_id
    folder = folder.resolve()
    names = identity_files(folder)
    if not any(_is_weight_file(n) for n in names):
        raise UserError(f"model folder {folder} has no weight files ({', '.join(WEIGHT_PATTERNS)}; training "
                        "state such as train_state.pt does not count; fix: point at a saved model, e.g. the "
                        "best/ folder of a training run)")
    digests = _file_digests(folder, names)
    total = hashlib.sha256(HASH_VERSION.encode() + b"\n")
    for name in names:
        total.update(f"{name}\0{digests[name]}\n".encode())
    return "sha256:" + total.hexdigest()


def identity_files(folder: Path) -> list[str]:
    """The sorted names of the files in ``folder`` (top level) that ``weights_hash`` covers."""
    return sorted(entry.name for entry in os.scandir(folder) if _counts(entry.name) and entry.is_file())


def _is_weight_file(name: str) -> bool:
    if name in EXCLUDED_FILES or any(fnmatch.fnmatchcase(name, p) for p in EXCLUDED_PATTERNS):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in WEIGHT_PATTERNS)


def _counts(name: str) -> bool:
    # dot files are never loaded by from_pretrained; atomic writers use them as temporary names
    return not name.startswith(".") and (name in IDENTITY_FILES or _is_weight_file(name))


def file_sha256(path: Path) -> str:
    """sha256 of one file's bytes, read in chunks (weights can be GBs)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _file_digests(folder: Path, names: list[str]) -> dict[str, str]:
    """Each file's sha256, from the memo where its stat is unchanged, else hashed (and memoised)."""
    memo_path = xbench_home() / "cache" / MEMO_NAME
    key = str(folder)
    known = load_memo(memo_path).get(key)
    known = known if isinstance(known, dict) else {}
    now = time.time_ns()
    digests, entries = {}, {}
    for name in names:
        st = (folder / name).stat()
        # ctime as well as (size, mtime, inode): a folder deleted and re-created with `cp -p` can
        # get the same inode numbers and mtimes back, but not the same ctimes
        stat = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        entry = known.get(name)
        if _trusted(entry, stat):
            digests[name] = entry["sha256"]
        else:
            # stat taken before reading: a write during hashing shows as a changed stat next time
            digests[name] = file_sha256(folder / name)
        racy = max(st.st_mtime_ns, st.st_ctime_ns) >= now - int(RACY_SECONDS * 1e9)
        entries[name] = {"stat": stat, "sha256": digests[name], "racy": racy}
    if entries != known:  # new digests, files added or removed, or entries that stopped being racy
        _save_memo(memo_path, key, entries)
    return digests


def _trusted(entry, stat: list[int]) -> bool:
    return (isinstance(entry, dict) and entry.get("stat") == stat and not entry.get("racy", True)
            and isinstance(entry.get("sha256"), str))


def load_memo(path: Path) -> dict:
    """The memo, or {} if it is missing or unreadable (a corrupt memo is rewritten on the next save)."""
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _save_memo(path: Path, key: str, entries: dict) -> None:
    # Re-read just before writing so entries another process saved meanwhile are kept; entries of
    # folders that no longer exist are dropped so the memo does not grow with deleted scratch runs.
    memo = {k: v for k, v in load_memo(path).items() if Path(k).is_dir()}
    memo[key] = entries
    try:
        write_atomic(path, json.dumps(memo, indent=1, sort_keys=True))
    except OSError:
        pass  # the memo only saves time; an unwritable cache must not fail the run

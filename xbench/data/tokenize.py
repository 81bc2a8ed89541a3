"""Tokenisation through ``Dataset.map(batched=True)`` with a cache file reused on the next run.

The cache file's name is a fingerprint of: the loaded data (``LoadedSplit.fingerprint``: files with
their sizes and modification times or the hub ids, the task spec's version, fields and ``limit``), the
tokenizer's identity, the maximum length, the spec version, and ``extra_key`` (anything else the
caller's function depends on). Any change gives a new file; an unchanged call loads the old one
without calling ``fn``.

Beside each ``<key>.arrow`` lies ``<key>.arrow.sha256`` (its size and sha256), written once the entry
is complete. An entry is used only if it matches: a truncated or altered file, or one whose check
is missing (a run killed between the two writes), is removed with a warning naming it and rebuilt.
A lock per key keeps two processes from checking and rebuilding the same entry at once.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Callable

from xbench.locks import file_lock
from xbench.paths import write_atomic, xbench_home

CHECK_SUFFIX = ".sha256"


def tokenizer_identity(tokenizer) -> str:
    """A stable id for a Hugging Face tokenizer: class, name or path, and a hash of its vocabulary and
    configuration (so a retrained or edited tokenizer in the same folder gets a new id)."""
    digest = hashlib.sha256()
    digest.update(type(tokenizer).__name__.encode())
    digest.update(str(getattr(tokenizer, "name_or_path", "")).encode())
    try:
        vocab = tokenizer.get_vocab()
        digest.update(json.dumps(sorted(vocab.items()), ensure_ascii=False).encode())
    except (AttributeError, NotImplementedError, TypeError):
        pass
    config = {k: v for k, v in (getattr(tokenizer, "init_kwargs", {}) or {}).items() if isinstance(v, (str, int, bool))}
    digest.update(json.dumps(config, sort_keys=True).encode())
    return f"{getattr(tokenizer, 'name_or_path', type(tokenizer).__name__)}#{digest.hexdigest()[:16]}"


def cache_key(loaded, *, tokenizer_id: str, max_length: int, spec_version, extra_key: str = "") -> str:
    ident = [loaded.fingerprint, tokenizer_id, int(max_length), str(spec_version), extra_key]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:32]


def tokenize_cached(loaded, fn: Callable[[dict], dict], *, tokenizer_id: str, max_length: int, spec_version,
                    extra_key: str = "", cache_dir: str | Path | None = None, batch_size: int = 1000,
                    remove_columns: list[str] | None = None):
    """``loaded.dataset.map(fn, batched=True)``, served from ``<cache_dir>/<key>.arrow`` when it exists.

    ``cache_dir`` defaults to ``$XBENCH_HOME/cache/tokenized``."""
    key = cache_key(loaded, tokenizer_id=tokenizer_id, max_length=max_length, spec_version=spec_version,
                    extra_key=extra_key)
    folder = Path(cache_dir) if cache_dir is not None else xbench_home() / "cache" / "tokenized"
    folder.mkdir(parents=True, exist_ok=True)
    entry = folder / f"{key}.arrow"
    with file_lock(folder / f".{key}.lock"):
        drop_if_damaged(entry)
        mapped = loaded.dataset.map(fn, batched=True, batch_size=batch_size, cache_file_name=str(entry),
                                    load_from_cache_file=True, new_fingerprint=key, remove_columns=remove_columns,
                                    desc=f"tokenizing {loaded.task}/{loaded.split}/{loaded.language}")
        check = check_path(entry)
        if entry.is_file() and not check.is_file():  # datasets moved the finished file into place
            write_atomic(check, json.dumps(file_check(entry)) + "\n")
    return mapped


def check_path(entry: Path) -> Path:
    return entry.with_name(entry.name + CHECK_SUFFIX)


def file_check(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def drop_if_damaged(entry: Path) -> bool:
    """Remove ``entry`` (and its check) unless it matches its check; True if it was removed."""
    if not entry.is_file():
        check_path(entry).unlink(missing_ok=True)
        return False
    try:
        expected = json.loads(check_path(entry).read_text(encoding="utf-8"))
        if expected["size"] == entry.stat().st_size and expected == file_check(entry):
            return False
        reason = "its size or checksum does not match the one recorded when it was written"
    except (OSError, ValueError, KeyError, TypeError):
        reason = "its checksum file is missing or unreadable"
    print(f"xbench: warning: {entry}: damaged tokenisation cache entry ({reason}); rebuilding it",
          file=sys.stderr, flush=True)
    entry.unlink(missing_ok=True)
    check_path(entry).unlink(missing_ok=True)
    return True

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
    """A stable id for a Hugging Face tokenizer: its class and a hash of its vocabulary and configuration,
    never of where it was loaded from (the same tokenizer in another folder shares its cache entries; a
    retrained or edited tokenizer in the same folder gets a new id).

    Hashing the vocabulary (~0.05 s for 30k entries, more for 250k) is done once per tokenizer object:
    the result is kept on it with a guard of what could change in place (its length, added tokens and
    configuration), so a tokenizer given new tokens is hashed again. For a tokenizer loaded from a
    local folder it is also kept in ``$XBENCH_HOME/cache/tokenizer-ids.json`` under a hash of the
    folder's files and the guard (``_files_key``), so the next process need not hash it either."""
    config_text = _config_text(tokenizer)
    try:
        added = sorted((str(k), int(v)) for k, v in tokenizer.get_added_vocab().items())
        guard = (type(tokenizer).__name__, str(getattr(tokenizer, "name_or_path", "")), len(tokenizer), added,
                 config_text)
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        guard = None  # nothing to tell an edit by: hashed every time
    memo = getattr(tokenizer, _MEMO, None)
    if guard is not None and isinstance(memo, tuple) and memo[0] == guard:
        return memo[1]
    files_key = _files_key(tokenizer, guard)
    identity = _stored_identity(files_key)
    if identity is None:
        identity = _hash_identity(tokenizer, config_text)
        _store_identity(files_key, identity)
    if guard is not None:
        try:
            setattr(tokenizer, _MEMO, (guard, identity))
        except (AttributeError, TypeError):
            pass  # (a tokenizer that takes no attributes)
    return identity


def _config_text(tokenizer) -> str:
    """The tokenizer's scalar settings as JSON, without where it was loaded from (content, not place)."""
    config = {k: v for k, v in (getattr(tokenizer, "init_kwargs", {}) or {}).items()
              if isinstance(v, (str, int, bool)) and k != "name_or_path"}
    return json.dumps(config, sort_keys=True)


_MEMO = "_xbench_identity"
IDS_NAME = "tokenizer-ids.json"
_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".ckpt", ".gguf")


def _files_key(tokenizer, guard) -> str | None:
    """For a tokenizer loaded from a local folder and not changed since (its guard): a hash of the
    folder's files (content hashes, memoised by stat; weights left out), the guard and the library
    versions. The same files loaded by the same code give the same tokenizer, so its identity is
    looked up under this key in the next process instead of hashing the vocabulary again."""
    folder = Path(str(getattr(tokenizer, "name_or_path", "") or ""))
    if guard is None or not folder.is_dir():
        return None
    from xbench.filehash import content_sha256

    try:
        files = sorted((p.name, content_sha256(p)) for p in folder.iterdir()
                       if p.is_file() and not p.name.endswith(_WEIGHTS))
    except OSError:
        return None
    libs = []
    for lib in ("transformers", "tokenizers", "sentencepiece"):  # (imported, or not used by this tokenizer)
        module = sys.modules.get(lib)
        libs.append(getattr(module, "__version__", None) if module is not None else None)
    return hashlib.sha256(json.dumps([list(guard), libs, files]).encode()).hexdigest()


def _ids_path() -> Path:
    return xbench_home() / "cache" / IDS_NAME


def _id_check(files_key: str, identity: str) -> str:
    return hashlib.sha256(f"{files_key}\0{identity}".encode()).hexdigest()[:16]


def _stored_identity(files_key: str | None) -> str | None:
    if files_key is None:
        return None
    try:
        entry = json.loads(_ids_path().read_text(encoding="utf-8"))[files_key]
        if entry["check"] == _id_check(files_key, entry["id"]):
            return entry["id"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or a damaged entry: hash the vocabulary again
    return None


def _store_identity(files_key: str | None, identity: str) -> None:
    if files_key is None:
        return
    try:
        stored = json.loads(_ids_path().read_text(encoding="utf-8"))
        stored = stored if isinstance(stored, dict) else {}
    except (OSError, ValueError):
        stored = {}
    stored[files_key] = {"id": identity, "check": _id_check(files_key, identity)}
    try:
        write_atomic(_ids_path(), json.dumps(stored, sort_keys=True))
    except OSError:
        pass  # the store only saves time


def _hash_identity(tokenizer, config_text: str) -> str:
    digest = hashlib.sha256()
    digest.update(type(tokenizer).__name__.encode())
    try:
        vocab = tokenizer.get_vocab()
        digest.update(json.dumps(sorted(vocab.items()), ensure_ascii=False).encode())
    except (AttributeError, NotImplementedError, TypeError):
        pass
    digest.update(config_text.encode())
    return f"{type(tokenizer).__name__}#{digest.hexdigest()[:16]}"


def cache_key(loaded, *, tokenizer_id: str, max_length: int, spec_version, extra_key: str = "") -> str:
    ident = [loaded.fingerprint, tokenizer_id, int(max_length), str(spec_version), extra_key]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:32]


def tokenize_cached(loaded, fn: Callable[[dict], dict], *, tokenizer_id: str, max_length: int, spec_version,
                    extra_key: str = "", cache_dir: str | Path | None = None, batch_size: int = 1000,
                    remove_columns: list[str] | None = None, make_dataset: Callable[[], object] | None = None):
    """``loaded.dataset.map(fn, batched=True)``, served from ``<cache_dir>/<key>.arrow`` when it exists.

    ``cache_dir`` defaults to ``$XBENCH_HOME/cache/tokenized``. ``make_dataset``: the dataset to map
    instead of ``loaded.dataset``, built only when the entry is not there (on a hit the input is not
    needed: the key already says everything about it)."""
    key = cache_key(loaded, tokenizer_id=tokenizer_id, max_length=max_length, spec_version=spec_version,
                    extra_key=extra_key)
    folder = Path(cache_dir) if cache_dir is not None else xbench_home() / "cache" / "tokenized"
    folder.mkdir(parents=True, exist_ok=True)
    entry = folder / f"{key}.arrow"
    with file_lock(folder / f".{key}.lock"):
        drop_if_damaged(entry)
        if entry.is_file():  # complete and intact (checked just now): what ``map`` would load
            from datasets import Dataset

            return Dataset.from_file(str(entry))
        dataset = loaded.dataset if make_dataset is None else make_dataset()
        mapped = dataset.map(fn, batched=True, batch_size=batch_size, cache_file_name=str(entry),
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

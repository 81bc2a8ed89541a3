"""A cache of canonical examples: a second ``load_split`` of a local cell skips reading and
canonicalising its files.

An entry is keyed by what the examples depend on, never by where the files are: the content hashes
of the cell's data files (``xbench.filehash``, memoised by stat), the cell's plan from the layout
(formats, options, renames, label maps, filters; paths relative to the data root), the task's spec
for the language (all of it: ``data``, ``fields``, ``options``, ``labels``, ``item_subsets``, ...),
split, language, limit, the canonical-example schema version and a hash of the reading code
(``xbench/data`` and the modules of the formats and the task type used). Files a loader reads
besides the planned ones (the English side beside a Tatoeba file, LAReQA's pooled files, a plugin's
companions) are recorded while the cell is read (audit events ``open`` / ``os.scandir`` /
``os.listdir`` under the data root) and checked on every hit: a changed companion, or a file added
to a folder a loader listed, is a miss.

An entry under ``$XBENCH_HOME/cache/examples`` is three files, each written atomically:
``<key>.json`` (skip log, gold pairs, notes, recorded dependencies; with a check of its own),
``<key>.arrow`` (the dataset as an Arrow stream) and ``<key>.arrow.sha256`` (its size and sha256,
written last). Paths inside the skip log and notes are stored relative to the data root, so a moved
root reports its own paths. A damaged entry (cut short, a byte changed, its check missing) gives one
warning naming the file and is rebuilt. Hub-loaded cells are not cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from xbench.data.skips import Skip, SkipLog
from xbench.data.tokenize import check_path, file_check
from xbench.filehash import content_sha256
from xbench.locks import file_lock
from xbench.paths import write_atomic, xbench_home

STORE_VERSION = 1  # bump when what an entry holds, or how, changes
FOLDER = "examples"
_ROOT, _REAL_ROOT = "\0root\0", "\0realroot\0"  # placeholders for the data root in stored text (no path holds NUL)
_SEEN_EVENTS = ("open", "os.scandir", "os.listdir")


@dataclass
class CellExamples:
    """What ``load_split`` takes from an entry."""

    dataset: object
    skipped: SkipLog
    gold: list[tuple[str, str]] | None
    notes: list[str]


@dataclass
class Dependencies:
    """Files and folders a cell's loaders read besides the planned files, relative to the data root."""

    files: dict[str, str] = field(default_factory=dict)   # path -> sha256
    folders: dict[str, list[str]] = field(default_factory=dict)  # path -> sorted names in it


def folder() -> Path:
    return xbench_home() / "cache" / FOLDER


# ---- the key -------------------------------------------------------------------------------------------

def cell_key(doc: dict, split: str, language: str, plan, *, limit: int | None, task_type,
             schema_version) -> str | None:
    """The entry's key; ``doc`` is the task spec for the language, ``plan`` the cell's ``CellPlan``.
    None when a file cannot be hashed (reading it then reports why)."""
    import datasets

    root = Path(plan.root)
    reads = []
    for read in plan.reads:
        try:
            digest = content_sha256(read.path)
        except OSError:
            return None
        reads.append({"file": _relative(root, read.path), "sha256": digest, "format": read.format,
                      "options": read.options, "rename": read.rename, "label_map": read.label_map,
                      "filter": read.filter})
    ident = {"store": STORE_VERSION, "schema": schema_version, "datasets": datasets.__version__,
             "code": code_version(tuple(r.format for r in plan.reads), task_type),
             "spec": doc,  # all of it: reading and its checks use data, fields, options, labels, subsets
             "split": split, "language": language, "limit": limit, "reads": reads}
    text = to_stored(json.dumps(ident, sort_keys=True, ensure_ascii=False, default=repr), root)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _relative(root: Path, path) -> str:
    """``path`` relative to the data root (resolved), else its resolved absolute path."""
    real = Path(path).resolve()
    try:
        return real.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(real)


@lru_cache(maxsize=None)
def code_version(formats: tuple[str, ...], task_type) -> str:
    """A hash of the code that turns files into examples: every module of ``xbench/data`` (readers,
    layouts, canonicalisation), the modules of these formats' loaders (plugins' included) and those of
    the task type class and its bases."""
    from xbench.data.reader import _loader

    files = set(Path(__file__).resolve().parent.rglob("*.py"))
    modules = [_loader(name)[2] for name in formats]
    modules += [sys.modules.get(klass.__module__) for klass in getattr(task_type, "__mro__", ())]
    files.update(Path(m.__file__).resolve() for m in modules if getattr(m, "__file__", None))
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.name).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()[:16]


# ---- what loaders read -----------------------------------------------------------------------------------

_watch = threading.local()
_hooked = False


def _audit(event: str, args) -> None:
    # runs for every audit event of the process once installed: keep it to a lookup
    if event in _SEEN_EVENTS:
        seen = getattr(_watch, "seen", None)
        if seen is not None and args and isinstance(args[0], (str, bytes, os.PathLike)):
            seen.append((event, args[0]))


@contextmanager
def recording(root: Path, planned: list):
    """Record the files and folders under ``root`` opened or listed in this thread (besides ``planned``)."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    deps = Dependencies()
    outer, _watch.seen = getattr(_watch, "seen", None), []
    try:
        yield deps
    finally:
        seen, _watch.seen = _watch.seen, outer
    real_root = Path(root).resolve()
    skip = {Path(p).resolve() for p in planned}
    for event, raw in seen:
        path = Path(os.fsdecode(raw)).resolve()
        if path in skip or not path.is_relative_to(real_root):
            continue
        rel = path.relative_to(real_root).as_posix()
        if event == "open" and path.is_file():
            deps.files.setdefault(rel, content_sha256(path))
        elif event != "open" and path.is_dir():
            deps.folders.setdefault(rel, sorted(os.listdir(path)))


def _dependencies_hold(deps: dict, root: Path) -> bool:
    real_root = Path(root).resolve()
    try:
        return (all(content_sha256(real_root / rel) == sha for rel, sha in deps["files"].items())
                and all(sorted(os.listdir(real_root / rel)) == names for rel, names in deps["folders"].items()))
    except OSError:
        return False


# ---- paths in stored text --------------------------------------------------------------------------------

def _root_pattern(root: str) -> re.Pattern:
    # the root as a path of its own (at the start, or after a space, quote or bracket), not inside a word
    return re.compile(r"(?<![^\s'\"(\[=:,])" + re.escape(root) + r"(?=[/\\]|$|[\s'\"),\]])")


def to_stored(text: str, root: Path) -> str:
    """``text`` with the data root (as given and resolved) replaced by placeholders."""
    given, real = str(root), str(Path(root).resolve())
    for path, mark in sorted([(given, _ROOT), (real, _REAL_ROOT)], key=lambda pm: -len(pm[0])):
        if path not in ("", ".", os.sep):
            text = _root_pattern(path).sub(lambda _m, mark=mark: mark, text)
    return text


def from_stored(text: str, root: Path) -> str:
    return text.replace(_ROOT, str(root)).replace(_REAL_ROOT, str(Path(root).resolve()))


# ---- entries ---------------------------------------------------------------------------------------------

@contextmanager
def locked(key: str):
    """One process at a time checks and builds an entry."""
    with file_lock(folder() / f".{key}.lock"):
        yield


def load(key: str, root: Path, features) -> CellExamples | None:
    """The entry for ``key`` with paths under ``root``; None when there is none (a damaged one is removed
    with a warning, one whose recorded dependencies changed silently)."""
    arrow, meta_path = folder() / f"{key}.arrow", folder() / f"{key}.json"
    check = check_path(arrow)
    if not arrow.is_file() and not meta_path.is_file():
        check.unlink(missing_ok=True)
        return None
    try:
        meta_text = meta_path.read_text(encoding="utf-8")
        meta = json.loads(meta_text)
        body = meta["body"]
        if meta["check"] != _text_check(body):
            return _damaged(key, meta_path, "its content does not match the check recorded when it was written")
    except (OSError, ValueError, KeyError, TypeError):
        return _damaged(key, meta_path, "it is missing or unreadable")
    try:
        data = arrow.read_bytes()
        expected = json.loads(check.read_text(encoding="utf-8"))
        if expected != {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}:
            return _damaged(key, arrow, "its size or checksum does not match the one recorded when it was written")
    except (OSError, ValueError):
        return _damaged(key, arrow, "it or its checksum file is missing or unreadable")
    if not _dependencies_hold(body["deps"], root):
        return None
    try:
        dataset = _dataset(data, features, key)
        decoded = decode(body, root)
    except Exception as err:  # noqa: BLE001 - a sound checksum over bytes that do not decode: rebuild
        return _damaged(key, arrow, f"it does not decode ({type(err).__name__})")
    return CellExamples(dataset, *decoded)


def store(key: str, root: Path, dataset, skipped: SkipLog, gold, notes: list[str], deps: Dependencies) -> bool:
    """Write the entry (the Arrow file's check last); False when it could not be kept exactly."""
    try:
        body = json.loads(json.dumps(encode(skipped, gold, notes, deps, root), ensure_ascii=False))
    except (TypeError, ValueError):
        return False
    if decode(body, root) != (skipped, gold, notes):
        return False  # something would not come back identical (e.g. a loader's own type of line number)
    import pyarrow as pa

    table = dataset.data.table
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    arrow = folder() / f"{key}.arrow"
    try:
        write_atomic(folder() / f"{key}.json", json.dumps({"check": _text_check(body), "body": body}) + "\n")
        write_atomic(arrow, sink.getvalue().to_pybytes())
        write_atomic(check_path(arrow), json.dumps(file_check(arrow)) + "\n")
    except OSError:
        return False  # the cache only saves time
    return True


def encode(skipped: SkipLog, gold, notes: list[str], deps: Dependencies, root: Path) -> dict:
    return {"skipped": [[to_stored(s.file, root), s.line, to_stored(s.reason, root), s.kind] for s in skipped],
            "gold": None if gold is None else [list(pair) for pair in gold],
            "notes": [to_stored(n, root) for n in notes],
            "deps": {"files": deps.files, "folders": deps.folders}}


def decode(body: dict, root: Path) -> tuple[SkipLog, list | None, list[str]]:
    skipped = SkipLog(Skip(from_stored(f, root), line, from_stored(reason, root), kind)
                      for f, line, reason, kind in body["skipped"])
    gold = None if body["gold"] is None else [tuple(pair) for pair in body["gold"]]
    return skipped, gold, [from_stored(n, root) for n in body["notes"]]


def _dataset(data: bytes, features, key: str):
    import pyarrow as pa
    from datasets import Dataset, DatasetInfo
    from datasets.table import InMemoryTable

    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    # the entry's key as fingerprint (it names the content): else datasets hashes the whole table again
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=features), fingerprint=f"examples-{key}")


def _text_check(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _damaged(key: str, path: Path, reason: str) -> None:
    print(f"xbench: warning: {path}: damaged examples cache entry ({reason}); rebuilding it",
          file=sys.stderr, flush=True)
    arrow = folder() / f"{key}.arrow"
    for stale in (arrow, check_path(arrow), folder() / f"{key}.json"):
        stale.unlink(missing_ok=True)
    return None

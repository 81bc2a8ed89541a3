"""Layout manifests: where each task/split/language lives under a data root (data, not code).

A manifest (``xbench/data/layouts/*.yaml``, or any plugin's ``DataLayout.manifest``) is::

    layout: shared                    # name
    description: ...
    priority: 10                      # detection order (lower first)
    roots: ["", download]             # sub-folders of the given directory the layout may sit in
    detect: {all: [paths...], any: [paths...]}   # marker paths that identify the layout
    tasks:
      <task>:
        homepage: URL                 # optional; else the spec's homepage
        missing: why                  # why splits not listed below are absent from this layout
        format: <data format>         # default for the task's entries (else the spec's data.format)
        codes: {<lang>: <code>}       # value of {code} per language (default: the language itself)
        flags: [flag, ...]            # comparability flags of every cell (see xbench.data.flags)
        english: {<split>: ENTRY}     # the English source a parallel split is checked against
        english_compare: [question]   # fields that must agree with it item by item (default: question)
        splits:
          <split>:                    # split names as in the specs (dev/val are synonyms of validation)
            ENTRY                     # path/files/format/options/flags/... (below)
            languages: [..]           # languages this entry serves (default: any)
            by_language: {<lang>: ENTRY}   # merged over the split's entry for that language

An ENTRY has either ``path`` (a pattern, or a list of alternatives tried in order; a pattern with
``*``/``?``/``[`` globs and all its matches are read in sorted order) or ``files`` (a list of
ENTRYs, all read in order: e.g. ANLI+ = SNLI + MNLI + ANLI R1–R3), or ``missing`` (why the layout
has no such data). Per ENTRY: ``format``, ``options`` (loader options), ``rename`` (column →
new name), ``label_map`` (label value → label; rows whose label is not a key are counted skips),
``filter`` (column → regular expression the value must match, e.g. XNLI's language column),
``flags``. Placeholders in paths, option strings, label maps and filters: ``{root}`` (the layout's
root), ``{lang}``, ``{code}`` (write literal braces twice). An option string that starts with
``{root}`` names a companion file (labels, English side, gold pairs), which must exist too.
"""

from __future__ import annotations

import functools
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xbench.data.errors import DataFileError, LayoutError

SPLIT_SYNONYMS = {"validation": ("validation", "dev", "val"), "dev": ("validation", "dev", "val"),
                  "val": ("validation", "dev", "val")}
ENTRY_KEYS = {"path", "files", "missing", "format", "options", "rename", "label_map", "filter", "flags",
              "languages", "by_language"}
GLOB_CHARS = set("*?[")


@dataclass
class FileRead:
    """One file to read for a cell, with everything resolved."""

    path: Path
    format: str
    options: dict = field(default_factory=dict)
    rename: dict = field(default_factory=dict)
    label_map: dict | None = None
    filter: dict = field(default_factory=dict)


@dataclass
class CellPlan:
    """What a layout says about one (task, split, language) cell under one root."""

    task: str
    split: str
    language: str
    layout: str
    root: Path
    reads: list[FileRead] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    note: str | None = None
    homepage: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.reads)


@dataclass
class Manifest:
    name: str
    file: Path
    doc: dict

    @property
    def priority(self) -> int:
        return int(self.doc.get("priority", 100))

    def task_entry(self, task: str) -> dict | None:
        return (self.doc.get("tasks") or {}).get(task)

    def matches(self, directory: Path) -> Path | None:
        """The root of this layout inside ``directory``, when its markers are there."""
        detect = self.doc.get("detect") or {}
        need_all, need_any = detect.get("all", []), detect.get("any", [])
        if not need_all and not need_any:
            return None
        for sub in self.doc.get("roots", [""]):
            root = directory / sub if sub else directory
            if all(_exists(root, p) for p in need_all) and (not need_any or any(_exists(root, p) for p in need_any)):
                return root
        return None


def _exists(root: Path, pattern: str) -> bool:
    full = str(root / pattern)
    return bool(glob.glob(full)) if GLOB_CHARS & set(pattern) else os.path.exists(full)


def read_manifest(name: str, file: Path) -> Manifest:
    import yaml

    try:
        text = Path(file).read_text(encoding="utf-8")
        doc = _parsed_before(text)
        if doc is None:
            # libyaml's parser when built in: the same documents, ten times faster (every run reads every manifest)
            doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            _keep_parsed(text, doc)
    except (OSError, yaml.YAMLError) as err:
        raise LayoutError(f"{file}: cannot read layout manifest '{name}': {err}".replace("\n", " ")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tasks", {}), dict):
        raise LayoutError(f"{file}: layout manifest '{name}' must be a mapping with a `tasks:` mapping "
                          "(fix: see xbench/data/manifest.py for the format)")
    return Manifest(doc.get("layout", name), Path(file), doc)


PARSED_FORMAT = 1


def _parsed_path(text: str) -> Path:
    """Where a manifest's parsed form is kept: named by a hash of its text (and of the parser), so an
    edited manifest is parsed again and a copied one is not."""
    import hashlib

    import yaml

    from xbench.paths import xbench_home

    ident = f"{PARSED_FORMAT}\0{yaml.__version__}\0{hasattr(yaml, 'CSafeLoader')}\0{text}"
    return xbench_home() / "cache" / "manifests" / (hashlib.sha256(ident.encode()).hexdigest()[:32] + ".json")


def _parsed_before(text: str) -> dict | None:
    """The manifest as parsed by an earlier run (JSON reads ~10x faster than YAML), if kept and intact."""
    import json

    try:
        stored = json.loads(_parsed_path(text).read_text(encoding="utf-8"))
        doc = stored["doc"]
        return doc if stored["check"] == _parsed_check(doc) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _parsed_check(doc) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def _keep_parsed(text: str, doc) -> None:
    """Keep the parsed form, only when JSON gives it back exactly (YAML's integer keys, dates or NaN
    would not survive: such a manifest is parsed every time)."""
    import json

    from xbench.paths import write_atomic

    try:
        if json.loads(json.dumps(doc)) != doc:
            return
        write_atomic(_parsed_path(text), json.dumps({"check": _parsed_check(doc), "doc": doc}))
    except (TypeError, ValueError, OSError):
        pass  # only saves time


@functools.lru_cache(maxsize=None)
def _cached(name: str, file: str, mtime: float) -> Manifest:
    return read_manifest(name, Path(file))


def registered_layouts(registry=None) -> list[Manifest]:
    """Every registered layout manifest, in detection order."""
    if registry is None:
        from xbench.registry import get_registry

        registry = get_registry()
    out = []
    for name, layout in registry.collect("data_layouts").items():
        if layout.manifest is None:
            continue
        path = Path(layout.manifest)
        out.append(_cached(name, str(path), path.stat().st_mtime if path.exists() else 0.0))
    return sorted(out, key=lambda m: (m.priority, m.name))


def select_layout(directory: Path, name: str | None = None, registry=None) -> tuple[Manifest, Path]:
    """The manifest and root for a data directory: the named layout (``name`` or $XBENCH_DATA_LAYOUT),
    else the first registered layout whose markers are found."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise LayoutError(f"data directory {directory} does not exist (fix: pass --data-dir / XBENCH_DATA_DIR "
                          "pointing at a folder of benchmark data)")
    layouts = registered_layouts(registry)
    name = name or os.environ.get("XBENCH_DATA_LAYOUT") or None
    if name:
        chosen = next((m for m in layouts if m.name == name), None)
        if chosen is None:
            raise LayoutError(f"unknown data layout '{name}' (fix: use one of {', '.join(m.name for m in layouts)})")
        return chosen, chosen.matches(directory) or directory
    for manifest in layouts:
        root = manifest.matches(directory)
        if root is not None:
            return manifest, root
    inside = _enclosing_root(directory, layouts)
    if inside is not None:  # e.g. --data-dir shared/data/xcopa for shared/data
        parent, manifest, tasks = inside
        what = f"the folder of task{'s' if len(tasks) > 1 else ''} {', '.join(tasks)}" if tasks else "a folder"
        raise LayoutError(f"cannot tell the layout of {directory}: it looks like {what} inside the data root "
                          f"{parent} (layout '{manifest.name}') (fix: pass "
                          f"{'its parent' if parent == directory.resolve().parent else 'the data root'} {parent} "
                          "as --data-dir / XBENCH_DATA_DIR)")
    raise LayoutError(f"cannot tell the layout of {directory}: no marker files of the layouts "
                      f"{', '.join(m.name for m in layouts)} found (fix: pass --layout NAME)")


def _entry_paths(entry) -> list[str]:
    """Every path pattern of a task entry of a manifest (splits, files, by_language, english)."""
    if isinstance(entry, list):
        return [p for e in entry for p in _entry_paths(e)]
    if not isinstance(entry, dict):
        return []
    out = [entry["path"]] if isinstance(entry.get("path"), str) else list(entry.get("path") or [])
    for key in ("files", "splits", "by_language", "english"):
        value = entry.get(key)
        out += _entry_paths(list(value.values()) if isinstance(value, dict) else value)
    return [p for p in out if isinstance(p, str)]


def _enclosing_root(directory: Path, layouts: list[Manifest], depth: int = 3):
    """(data root above ``directory``, its layout, tasks whose files lie in ``directory``) when a
    parent up to ``depth`` levels up is a data root in a known layout; else None."""
    import fnmatch
    import re

    directory = directory.resolve()
    for parent in list(directory.parents)[:depth]:
        for manifest in layouts:
            root = manifest.matches(parent)
            if root is None or not directory.is_relative_to(root.resolve()):
                continue
            parts = directory.relative_to(root.resolve()).parts
            tasks = []
            for name, entry in (manifest.doc.get("tasks") or {}).items():
                for pattern in _entry_paths(entry):
                    # placeholders ({lang}, {code}) match any folder name; {root}/ is the root itself
                    have = re.sub(r"\{[^{}]*\}", "*", pattern.removeprefix("{root}/")).split("/")
                    if len(have) > len(parts) and all(fnmatch.fnmatchcase(p, h) for p, h in zip(parts, have)):
                        tasks.append(name)
                        break
            return parent, manifest, tasks
    return None


# ---- resolving a cell -------------------------------------------------------------------------
def _subst(value: Any, env: dict) -> Any:
    if isinstance(value, str):
        try:
            return value.format(**env)
        except (KeyError, IndexError, ValueError):
            raise LayoutError(f"unknown placeholder in {value!r} (fix: use {{root}}, {{lang}} or {{code}})") from None
    if isinstance(value, list):
        return [_subst(v, env) for v in value]
    if isinstance(value, dict):
        return {k: _subst(v, env) for k, v in value.items()}
    return value


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if key in ("options", "rename", "label_map", "filter") and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "flags":
            out[key] = list(dict.fromkeys([*out.get("flags", []), *value]))
        else:
            out[key] = value
    return out


def _split_entry(task_entry: dict, split: str) -> dict | None:
    splits = task_entry.get("splits") or {}
    for name in SPLIT_SYNONYMS.get(split, (split,)):
        if name in splits:
            return splits[name]
    return None


def _resolve_paths(root: Path, spec, env: dict, tried: list[str]) -> list[Path]:
    for pattern in [spec] if isinstance(spec, str) else list(spec):
        text = _subst(pattern, env)
        full = root / text
        tried.append(str(full))
        if GLOB_CHARS & set(text):
            matches = sorted(Path(p) for p in glob.glob(str(full)) if os.path.isfile(p))
            if matches:
                return matches
        elif full.is_file():
            return [full]
        elif full.is_dir():
            raise DataFileError("a folder where the layout expects a data file", file=str(full),
                                fix="remove or rename the folder and put the file there (an unpacked archive "
                                    "often leaves one folder level too many)")
        elif full.is_symlink():  # there, but pointing at nothing: not the same as absent
            raise DataFileError(f"a broken symbolic link (to {os.readlink(full)}, which does not exist)",
                                file=str(full), fix="point the link at the data file, or copy the file there")
    return []


def _inside_root(root: Path, spec, env: dict, where: str) -> None:
    """A layout names files inside the data root: an absolute path or one climbing out with ``..``
    (also through a language code) would read files the user never put there."""
    for pattern in [spec] if isinstance(spec, str) else list(spec):
        text = _subst(pattern, env)
        if os.path.isabs(text) or ".." in Path(os.path.normpath(text)).parts:
            raise LayoutError(f"{where}: path {pattern!r} ({text}) leads outside the data root {root} "
                              "(fix: write the layout's paths relative to the data root, without '..')")


def _reads(root: Path, entry: dict, default_format: str | None, env: dict, tried: list[str],
           where: str, flags: list[str]) -> list[FileRead] | None:
    """The files of an entry, or None when one of them is missing. Flags of sub-entries go to ``flags``."""
    flags.extend(f for f in entry.get("flags", []) if f not in flags)
    if "files" in entry:
        out = []
        for i, sub in enumerate(entry["files"]):
            merged = _merge({k: v for k, v in entry.items() if k == "format"}, sub)
            reads = _reads(root, merged, default_format, env, tried, f"{where}.files[{i}]", flags)
            if reads is None:
                return None
            out += reads
        return out
    fmt = entry.get("format") or default_format
    if not fmt:
        raise LayoutError(f"{where}: no `format:` for this entry (fix: add one to the layout manifest)")
    _inside_root(root, entry["path"], env, where)
    paths = _resolve_paths(root, entry["path"], env, tried)
    if not paths:
        return None
    options = _subst(entry.get("options") or {}, env)
    for key, raw in (entry.get("options") or {}).items():
        # a companion file named in the options (labels, English side, gold pairs) must exist too
        if isinstance(raw, str) and raw.startswith("{root}") and not GLOB_CHARS & set(raw):
            tried.append(options[key])
            if not os.path.isfile(options[key]):
                return None
    return [FileRead(p, fmt, dict(options), dict(entry.get("rename") or {}),
                     _subst(entry.get("label_map"), env) if entry.get("label_map") is not None else None,
                     _subst(entry.get("filter") or {}, env)) for p in paths]


def plan_cell(manifest: Manifest, root: Path, task: str, split: str, language: str, *,
              default_format: str | None = None) -> CellPlan:
    """Resolve one cell: the files to read (empty when missing), flags, and every path tried."""
    plan = CellPlan(task, split, language, manifest.name, Path(root))
    task_entry = manifest.task_entry(task)
    if task_entry is None:
        plan.note = f"layout '{manifest.name}' has no entry for task '{task}'"
        return plan
    plan.homepage = task_entry.get("homepage")
    entry = _split_entry(task_entry, split)
    if entry is None:
        plan.note = task_entry.get("missing") or f"layout '{manifest.name}' has no split '{split}' for task '{task}'"
        return plan
    if entry.get("languages") is not None and language not in entry["languages"] \
            and language not in (entry.get("by_language") or {}):
        only = f"layout '{manifest.name}' has {task}/{split} only for {', '.join(entry['languages'])}"
        plan.note = f"{entry['missing']} ({only})" if entry.get("missing") else only
        return plan
    override = (entry.get("by_language") or {}).get(language, {})
    base = {k: v for k, v in entry.items() if k not in ("by_language", "languages")}
    if "missing" in override and "path" not in override and "files" not in override:
        base = {k: v for k, v in base.items() if k not in ("path", "files")}  # this language has no file
    entry = _merge(base, override)
    where = f"{manifest.file}: tasks.{task}.splits.{split}"
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise LayoutError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(fix: use {', '.join(sorted(ENTRY_KEYS))})")
    plan.flags = list(dict.fromkeys([*task_entry.get("flags", []), *entry.get("flags", [])]))
    if "path" not in entry and "files" not in entry:
        plan.note = entry.get("missing") or f"layout '{manifest.name}' names no file for {task}/{split}"
        return plan
    env = {"root": str(root), "lang": language, "code": (task_entry.get("codes") or {}).get(language, language)}
    reads = _reads(root, entry, task_entry.get("format") or default_format, env, plan.tried, where, plan.flags)
    plan.reads = reads or []
    if not plan.reads and entry.get("missing"):
        plan.note = entry["missing"]
    return plan


def plan_english(manifest: Manifest, root: Path, task: str, split: str) -> CellPlan | None:
    """The English source a parallel split is checked against (``english:`` in the task entry)."""
    task_entry = manifest.task_entry(task) or {}
    english = task_entry.get("english") or {}
    entry = next((english[s] for s in SPLIT_SYNONYMS.get(split, (split,)) if s in english), None)
    if entry is None:
        return None
    fake = Manifest(manifest.name, manifest.file, {"tasks": {task: {"splits": {split: entry}}}})
    return plan_cell(fake, root, task, split, "en", default_format=task_entry.get("format"))

"""The catalog: every task and group spec found in the registered task directories.

Discovery globs ``*.yaml`` below each directory from the ``xbench_task_dirs`` hook (files starting
with ``_`` are include-only fragments). Tasks and groups share one namespace. A name defined twice is
an error naming both files, unless exactly one of them says ``override: true``.
"""

from __future__ import annotations

import os
from pathlib import Path

from xbench.errors import SpecError, UserError
from xbench.spec import validate
from xbench.spec.includes import load_with_includes
from xbench.spec.index_cache import IndexCache
from xbench.spec.models import GroupSpec, TaskSelection, TaskSpec
from xbench.spec.suggest import did_you_mean


def find_spec_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not name.startswith("_"):
                out.append(Path(dirpath, name))
    return out


def parse_spec_file(path: Path) -> dict:
    """Parse, resolve includes and check one file against its schema; a JSON-serialisable result.

    Never raises: whatever goes wrong with one file is that file's error (one broken spec on
    ``XBENCH_TASK_PATH`` must not break listing for everyone)."""
    try:
        doc, files = load_with_includes(path)
    except SpecError as err:
        return {"kind": "broken", "files": [str(path)], "errors": [_err_dict(err)]}
    except Exception as exc:  # noqa: BLE001 - reported as this file's problem
        return {"kind": "broken", "files": [str(path)], "errors": [_err_dict(_unexpected(path, exc))]}
    kind = "group" if "group" in doc else "task"
    try:
        problems = validate.schema_problems(doc, kind)
        errors = [_err_dict(p.to_error(files)) for p in problems]
    except Exception as exc:  # noqa: BLE001
        return {"kind": "broken", "files": [str(path)], "errors": [_err_dict(_unexpected(path, exc))]}
    return {"kind": kind, "doc": doc, "files": [str(f) for f in files], "errors": errors}


def _unexpected(path: Path, exc: Exception) -> SpecError:
    return SpecError(f"cannot be checked ({type(exc).__name__}: {exc})", file=str(path),
                     fix="compare it with a working spec, e.g. tasks/xtreme/xnli.yaml")


PARALLEL_MIN_FILES = 400


def parse_many(paths: list[Path]) -> dict[Path, dict]:
    """Parse many spec files; with hundreds uncached (a cold start), spread them over the CPU cores.

    Forked workers only: they start in milliseconds; elsewhere (spawn) the start-up would cost more
    than it saves, so parsing stays in this process.
    """
    import multiprocessing as mp

    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_MIN_FILES or workers < 2 or "fork" not in mp.get_all_start_methods():
        return {p: parse_spec_file(p) for p in paths}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        return dict(zip(paths, pool.map(parse_spec_file, paths, chunksize=64)))


def _err_dict(err: SpecError) -> dict:
    return {"message": err.message, "file": err.file, "line": err.line, "field": err.field, "fix": err.fix}


class Catalog:
    """Tasks and groups by name, plus every problem found while building them."""

    def __init__(self, registry, use_cache: bool = True, extra_files: list[Path] = ()):
        self.registry = registry
        self.tasks: dict[str, TaskSpec] = {}
        self.groups: dict[str, GroupSpec] = {}
        self.errors: list[SpecError] = []
        self.cache = IndexCache(enabled=use_cache)
        sources: list[tuple[Path, str]] = []
        for tdir in registry.collect("task_dirs").values():
            sources += [(f, tdir.plugin) for f in find_spec_files(Path(tdir.path).resolve())]
        known = {f for f, _ in sources}
        # a file given on the command line that is also installed is the same spec, not a duplicate
        sources += [(f, "command line") for f in map(lambda p: Path(p).resolve(), extra_files) if f not in known]
        self._build(sources)

    def _build(self, sources: list[tuple[Path, str]]) -> None:
        entries = {path: self.cache.get(path) for path, _ in sources}
        fresh = parse_many([p for p, e in entries.items() if e is None])
        for path, entry in fresh.items():
            entries[path] = entry
            if entry["kind"] != "broken":  # a broken include chain has no reliable file list
                self.cache.put(path, [Path(f) for f in entry["files"]], entry)
        self.cache.save({str(p) for p, _ in sources})
        parsed = [(path, plugin, entries[path]) for path, plugin in sources]

        owners: dict[str, TaskSpec | GroupSpec] = {}
        for path, plugin, entry in parsed:
            if entry["errors"]:
                self._report(path, [SpecError(**e) for e in entry["errors"]])
                continue
            files = [Path(f) for f in entry["files"]]
            spec = (TaskSpec if entry["kind"] == "task" else GroupSpec)(entry["doc"], path, files, plugin)
            keep = self._claim(owners, spec)
            if keep is spec:
                owners[spec.name] = spec

        for spec in owners.values():
            (self.tasks if isinstance(spec, TaskSpec) else self.groups)[spec.name] = spec
        docs = {name: t.doc for name, t in self.tasks.items()}
        for name, task in list(self.tasks.items()):
            try:
                problems = validate.task_problems(task.doc, self.registry) + validate.stage_problems(task.doc, docs)
            except Exception as exc:  # noqa: BLE001 - this spec's problem, not every listing's
                self._report(task.file, [_unexpected(task.file, exc)])
                del self.tasks[name]
                continue
            if problems:
                self._report(task.file, [p.to_error(task.files) for p in problems])
                del self.tasks[name]
        for name, group in list(self.groups.items()):
            try:
                problems = validate.group_problems(group.doc, docs)
            except Exception as exc:  # noqa: BLE001
                self._report(group.file, [_unexpected(group.file, exc)])
                del self.groups[name]
                continue
            if problems:
                self._report(group.file, [p.to_error(group.files) for p in problems])
                del self.groups[name]

    def _claim(self, owners: dict, spec):
        """Decide which of two specs with one name wins; record an error when neither overrides."""
        other = owners.get(spec.name)
        if other is None:
            return spec
        if type(spec) is type(other) and spec.doc == other.doc:
            return other  # the same spec twice (e.g. a plugin's source tree and its installed copy)
        mine, theirs = spec.doc.get("override", False), other.doc.get("override", False)
        if mine != theirs:
            winner = spec if mine else other
            owners[spec.name] = winner
            return winner
        what = "name" if type(spec) is not type(other) else ("task" if isinstance(spec, TaskSpec) else "group")
        self._report(spec.file, [SpecError(
            f"duplicate {what} '{spec.name}': also defined in {other.file} (plugin '{other.plugin}')",
            file=str(spec.file), line=1, field="group" if isinstance(spec, GroupSpec) else "name",
            fix="rename one, or set `override: true` in the one that should win")])
        return other

    def _report(self, source: Path, errors: list[SpecError]) -> None:
        """Record errors, remembering which spec file they were found for (``validate`` filters on it)."""
        for err in errors:
            err.source = str(source)
        self.errors += errors

    # ---- lookups -------------------------------------------------------------------------------
    def task(self, name: str) -> TaskSpec:
        if name not in self.tasks:
            raise UserError(f"unknown task '{name}'{did_you_mean(name, [*self.tasks, *self.groups])}"
                            " (see `xbench tasks list`)")
        return self.tasks[name]

    def group(self, name: str) -> GroupSpec:
        if name not in self.groups:
            raise UserError(f"unknown group '{name}'{did_you_mean(name, self.groups)}"
                            f" (groups: {', '.join(sorted(self.groups))})")
        return self.groups[name]

    def select(self, address: str) -> list[TaskSelection]:
        """``NAME`` → the task with all its languages; ``GROUP`` → each task of the group with the
        group's languages; ``GROUP/NAME`` → that task with the group's languages."""
        if "/" in address:
            gname, _, tname = address.partition("/")
            group = self.group(gname)
            entry = group.entry(tname)
            if entry is None:
                raise UserError(f"group '{gname}' has no task '{tname}'"
                                f"{did_you_mean(tname, [e.task for e in group.entries])} (fix: use one of its "
                                f"tasks: {', '.join(e.task for e in group.entries)}; or the task alone: {tname})")
            return [self._selection(entry, group.name)]
        if address in self.groups:
            return [self._selection(e, address) for e in self.groups[address].entries]
        task = self.task(address)
        return [TaskSelection(task, task.languages)]

    def _selection(self, entry, group: str) -> TaskSelection:
        task = self.task(entry.task)
        return TaskSelection(task, list(entry.languages or task.languages), group, entry.score)

    def select_many(self, addresses: str) -> list[TaskSelection]:
        out = []
        for address in filter(None, (a.strip() for a in addresses.split(","))):
            out += self.select(address)
        return out

"""The catalog: every task and group spec found in the registered task directories.

Discovery globs ``*.yaml`` below each directory from the ``xbench_task_dirs`` hook (files starting
with ``_`` are include-only fragments). Tasks and groups share one namespace. A name defined twice is
an error naming both files, unless exactly one of them says ``override: true``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from xbench.errors import SpecError, UserError
from xbench.gcpause import gc_paused
from xbench.spec import validate
from xbench.spec.includes import load_with_includes
from xbench.spec.index_cache import IndexCache
from xbench.spec.models import GroupSpec, TaskSelection, TaskSpec
from xbench.spec.suggest import did_you_mean


def find_spec_files(root: Path) -> list[Path]:
    return [Path(f) for f in _spec_file_names(root)]


def _spec_file_names(root: Path | str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not name.startswith("_"):
                out.append(os.path.join(dirpath, name))
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


def _stored_doc(cache: IndexCache, name: str) -> dict:
    """The document the index holds for a spec; parsed from the file if the index has none."""
    doc = cache.load_doc(name)
    if doc is not None:
        return doc
    parsed = parse_spec_file(Path(name))
    if parsed["errors"]:  # the file was made invalid after this catalog was built
        raise SpecError(**parsed["errors"][0])
    return parsed["doc"]


class Catalog:
    """Tasks and groups by name, plus every problem found while building them."""

    def __init__(self, registry, use_cache: bool = True, extra_files: list[Path] = ()):
        self.registry = registry
        self.tasks: dict[str, TaskSpec] = {}
        self.groups: dict[str, GroupSpec] = {}
        self.errors: list[SpecError] = []
        # name -> the first error of a spec that claims it but was left out (broken, invalid, or a
        # duplicate): asking for that name reports this error rather than "unknown", or the other spec
        self.failed: dict[str, SpecError] = {}
        self.cache = IndexCache(enabled=use_cache)  # (its header is read with the collector paused)
        sources: list[tuple[str, str]] = []  # (resolved file name, plugin)
        for tdir in registry.collect("task_dirs").values():
            sources += [(f, tdir.plugin) for f in _spec_file_names(Path(tdir.path).resolve())]
        known = {f for f, _ in sources}
        # a file given on the command line that is also installed is the same spec, not a duplicate
        sources += [(f, "command line") for f in (str(Path(p).resolve()) for p in extra_files) if f not in known]
        self._build(sources)

    def _build(self, sources: list[tuple[str, str]]) -> None:
        entries = {name: self.cache.get(name) for name, _ in sources}
        fresh = parse_many([Path(n) for n, e in entries.items() if e is None])
        for path, entry in fresh.items():
            if entry["kind"] != "broken":  # a broken include chain has no reliable file list
                entry = {**self.cache.put(str(path), entry), "doc": entry["doc"]}
            entries[str(path)] = entry
        with gc_paused():  # thousands of long-lived specs: full collections midway were a third of a listing
            self._make_specs(sources, entries)
        self.cache.save({name for name, _ in sources})

    def _make_specs(self, sources: list[tuple[str, str]], entries: dict[str, dict]) -> None:
        owners: dict[str, TaskSpec | GroupSpec] = {}
        for name, plugin in sources:
            entry = entries[name]
            if entry["errors"]:
                errors = [SpecError(**e) for e in entry["errors"]]
                self._report(name, errors)
                head = entry.get("head") or entry.get("doc") or {}
                self._failed([head.get("name"), head.get("group"), Path(name).stem], errors[0])
                continue
            cls = TaskSpec if entry["kind"] == "task" else GroupSpec
            if "doc" in entry:  # parsed just now
                spec = cls(entry["doc"], name, entry["files"], plugin)
            else:  # from the index: the whole document is read when a command uses more than its head
                # (the loader holds the cache, not the catalog: no reference cycle to leave to the collector)
                spec = cls.from_index(functools.partial(_stored_doc, self.cache, name), entry["head"], name,
                                      entry["files"], plugin)
            keep = self._claim(owners, spec)
            if keep is spec:
                owners[spec.name] = spec

        for spec in owners.values():
            (self.tasks if isinstance(spec, TaskSpec) else self.groups)[spec.name] = spec
        docs = dict(self.tasks)  # name → spec: the checks read a task's fields from it like from its doc
        fingerprint = validate.registry_fingerprint(self.registry)
        for name, task in list(self.tasks.items()):
            try:
                errors = self._registry_errors(task, fingerprint)
                if task.get("train_stages"):  # (only stages refer to other tasks)
                    errors += [p.to_error(task.files) for p in validate.stage_problems(task.doc, docs)]
            except Exception as exc:  # noqa: BLE001 - this spec's problem, not every listing's
                errors = [_unexpected(task.file, exc)]
            if errors:
                self._report(task.file, errors)
                self._failed([name, Path(task.file).stem], errors[0])
                del self.tasks[name]
        for name, group in list(self.groups.items()):
            try:
                problems = validate.group_problems(group.doc, docs)
            except Exception as exc:  # noqa: BLE001
                errors = [_unexpected(group.file, exc)]
            else:
                errors = [p.to_error(group.files) for p in problems]
            if errors:
                self._report(group.file, errors)
                self._failed([name, Path(group.file).stem], errors[0])
                del self.groups[name]

    def _registry_errors(self, task: TaskSpec, fingerprint: str) -> list[SpecError]:
        """``validate.task_problems`` of one task, located; reused from the index while neither the
        spec's files nor what the checks read from the registry changed."""
        name = str(task._file)  # (the file name as found; no Path needed)
        cached = self.cache.checked(name, fingerprint)
        if cached is not None:
            try:
                return [SpecError(**e) for e in cached]
            except TypeError:
                pass  # a damaged entry: check again
        errors = [p.to_error(task.files) for p in validate.task_problems(task.doc, self.registry)]
        self.cache.set_checked(name, fingerprint, [_err_dict(e) for e in errors])
        return errors

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
        error = SpecError(
            f"duplicate {what} '{spec.name}': also defined in {other.file} (plugin '{other.plugin}')",
            file=str(spec.file), line=1, field="group" if isinstance(spec, GroupSpec) else "name",
            fix="rename one, or set `override: true` in the one that should win")
        self._report(spec.file, [error])
        # asking for the name must not silently run the other spec (a user's copy of a built-in task)
        self.failed.setdefault(spec.name, error)
        return other

    def _failed(self, names: list, error: SpecError) -> None:
        """Remember the error of a spec left out under the names it may be asked for: the name it
        claims (if it got that far) and its file's name (``my_task.yaml`` for ``--tasks my_task``)."""
        for claimed in names:
            if isinstance(claimed, str):
                self.failed.setdefault(claimed, error)

    def _report(self, source: Path, errors: list[SpecError]) -> None:
        """Record errors, remembering which spec file they were found for (``validate`` filters on it)."""
        for err in errors:
            err.source = str(source)
        self.errors += errors

    # ---- lookups -------------------------------------------------------------------------------
    def _refuse_failed(self, name: str) -> None:
        """A name some spec failed to define: its own error, not "unknown" nor another spec's task."""
        if name in self.failed:
            raise self.failed[name]

    def task(self, name: str) -> TaskSpec:
        self._refuse_failed(name)
        if name not in self.tasks:
            raise UserError(f"unknown task '{name}'{did_you_mean(name, [*self.tasks, *self.groups])}"
                            " (see `xbench tasks list`)")
        return self.tasks[name]

    def group(self, name: str) -> GroupSpec:
        self._refuse_failed(name)
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
        if address in self.groups and address not in self.failed:
            return [self._selection(e, address) for e in self.groups[address].entries]
        task = self.task(address)
        return [TaskSelection(task, task.languages)]

    def _selection(self, entry, group: str) -> TaskSelection:
        task = self.task(entry.task)
        return TaskSelection(task, list(entry.languages or task.languages), group, entry.score)

    def select_many(self, addresses: str, option: str | None = "--tasks") -> list[TaskSelection]:
        """The selections of comma-separated addresses; a task selected twice (``xnli,xnli``, or a group
        and one of its tasks) is refused, since its cells and jobs would be planned twice."""
        out, by = [], {}
        for address in filter(None, (a.strip() for a in addresses.split(","))):
            for sel in self.select(address):
                if sel.address in by:
                    where = f"{option} {addresses}: " if option else ""
                    how = "given twice" if by[sel.address] == address else \
                        f"selected twice, by '{by[sel.address]}' and '{address}'"
                    raise UserError(f"{where}task {sel.address} {how} (fix: name each task once: drop one of them)")
                by[sel.address] = address
                out.append(sel)
        return out

"""``load_split``: one (task, split, language) cell as a ``datasets.Dataset`` of canonical examples.

Where data comes from, in this order:

1. ``data_dir`` (the CLI's ``--data-dir``), else the environment variable ``XBENCH_DATA_DIR``. When
   either is given, only that directory is read, never the hub. Its layout (``shared``, ``xtreme``,
   ``original`` or a plugin's) is named by ``layout`` / ``XBENCH_DATA_LAYOUT`` or detected from marker
   files; the layout manifest says which file(s) hold the cell. A cell without files raises
   ``MissingDataError`` listing every path tried and where the official release lives.
2. Otherwise the Hugging Face hub: ``datasets.load_dataset`` with the spec's ``data.hub`` ids (never
   for ``data.kind: licensed`` tasks, whose files are local only).

A local cell's canonical examples (with their skip log, gold pairs and notes) are cached under
``$XBENCH_HOME/cache/examples``, keyed by the files' content, the spec and the reading code
(``xbench.data.examples_cache``); hub cells are read each time.

A split is never substituted: the caller asks for the split it wants. When the caller evaluates one
split in place of another (e.g. dev because test is missing, asked for explicitly), it passes
``stand_in_for`` and the result carries the flag (``dev_as_test``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from xbench.errors import UserError
from xbench.filehash import content_sha256
from xbench.data import canonical, examples_cache, flags as flag_defs
from xbench.data.errors import DataFileError, MissingDataError
from xbench.data.formats import LINE
from xbench.data.skips import MALFORMED
from xbench.data.manifest import CellPlan, plan_cell, select_layout
from xbench.data.reader import iter_rows, load_gold
from xbench.data.skips import SkipLog, warn_malformed

CANONICAL_VERSION = 1  # bump when canonicalisation changes; part of every fingerprint


@dataclass
class CellData:
    """A cell read into canonical rows (plain dicts, ``_file``/``_line`` kept for reports)."""

    task: str
    split: str
    language: str
    rows: list[dict]
    source: str
    files: list[str]
    flags: list[str]
    skipped: SkipLog
    gold: list[tuple[str, str]] | None = None
    plan: CellPlan | None = None


@dataclass
class LoadedSplit:
    """What the engine gets: the dataset plus where it came from and how it differs from the official one."""

    task: str
    split: str               # the split actually read
    language: str
    dataset: object          # datasets.Dataset with the task type's canonical schema
    source: str              # "local:<layout> <root>" or "hub:<path>/<config>[<split>]"
    files: list[str]
    flags: list[str]         # comparability flags (xbench.data.flags)
    skipped: SkipLog         # counted skips, each with file:line
    fingerprint: str         # identity of the data read (files, sizes, mtimes / hub ids), spec, limit
    gold: list[tuple[str, str]] | None = None   # bitext mining gold pairs (BUCC)
    stand_in_for: str | None = None             # the split this one replaces, when asked to
    notes: list[str] = field(default_factory=list)  # kept-but-notable rows (the type's notable_rows)

    def describe_flags(self) -> dict[str, str]:
        return {f: flag_defs.describe(f) for f in self.flags}


def data_dir_from_env(data_dir: str | Path | None) -> Path | None:
    value = data_dir if data_dir not in (None, "") else os.environ.get("XBENCH_DATA_DIR") or None
    return Path(value).expanduser() if value else None


def _check_cell(task, split: str, language: str) -> None:
    if split not in task.splits:
        raise UserError(f"task '{task.name}' has no split '{split}' (fix: use one of {', '.join(task.splits)})")
    langs = task.split_languages(split)
    if language not in langs:
        raise UserError(f"task '{task.name}' has no language '{language}' in split '{split}' "
                        f"(fix: use one of {', '.join(langs)})")


def task_type_of(task):
    """The task type class of a task's spec (``type:``), from the registry; it defines the canonical
    schema, maps rows (``canonical_row``) and the data checks. One located error when not installed."""
    try:
        return canonical.task_type_class(task.type)
    except UserError as err:
        raise UserError(f"task '{task.name}': {err}") from None


def _label_column(doc: dict) -> str | None:
    fields = doc.get("fields") or {}
    column = fields.get("label") or fields.get("tags")
    return column if isinstance(column, str) else None


def plan_local(task, split: str, language: str, root: Path, manifest) -> CellPlan:
    """The files of one cell under a data root in a known layout; ``MissingDataError`` when it has none."""
    doc = task.for_language(language)
    default_format = (doc["data"]["splits"].get(split) or {}).get("format") or doc["data"].get("format")
    plan = plan_cell(manifest, root, task.name, split, language, default_format=default_format)
    if not plan.found:
        raise MissingDataError(task.name, split, language, tried=plan.tried, note=plan.note,
                               where=f"{root} (layout '{manifest.name}')",
                               homepage=plan.homepage or doc.get("homepage"))
    return plan


def _check_labels(task, language: str, task_type, rows: list[dict]) -> None:
    """Every row's labels among the spec's ``labels:``, else a located error at the first row with
    another (a model can be neither trained nor scored on a label it has no output for)."""
    doc = task.for_language(language)
    fields = doc.get("fields") or {}
    for row in rows:  # first what the type itself cannot train or score on (e.g. a choice index past the choices)
        problem = task_type.label_problem(row, fields)
        if problem:
            raise DataFileError(problem, file=row.get(canonical.FILE, "<data>"), line=row.get(LINE),
                                fix="correct the row's label; `xbench data check` lists every such row")
    labels = doc.get("labels")
    if not labels:
        return
    allowed = {str(label) for label in labels}
    bad = [(row, i, n) for row in rows for n in [task_type.row_labels(row)] for i, value in enumerate(n)
           if value not in allowed]
    if bad:
        row, i, values = bad[0]
        which = f" (position {i + 1} of the row's {len(values)} labels)" if len(values) > 1 else ""
        more = len({id(r) for r, _, _ in bad}) - 1
        raise DataFileError(f"label {values[i]!r}{which} is not among task {task.name}'s labels "
                            f"({', '.join(map(str, labels))})" + (f"; {more} more row(s) like it" if more else ""),
                            file=row.get(canonical.FILE, "<data>"),
                            line=row.get(LINE),
                            fix="correct the row, map the value in the layout's label_map, or add it to the spec's "
                                "`labels:` (`xbench data check` lists every such row)")


def _blank(path) -> bool:
    """Whether a file holds nothing but whitespace (read until its first other byte)."""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                if chunk.strip():
                    return False
    except OSError:
        return False
    return True


def _check_unique_ids(task_type, rows: list[dict]) -> None:
    """An item id given twice in one file, where the type joins items by id (``unique_item_ids``):
    a located error at the second, naming the first (per-item results and paired comparisons would
    pair the wrong items)."""
    if not task_type.unique_item_ids:
        return
    first: dict = {}
    for row in rows:
        if not task_type.is_item(row):
            continue
        key = (row.get(canonical.FILE), row["id"])
        if key in first:
            at = first[key]
            where = f"first at line {at}" if at is not None else "twice in this file"
            raise DataFileError(f"item id {row['id']!r} occurs twice ({where}): per-item results and paired "
                                "comparisons join items by id", file=row.get(canonical.FILE, "<data>"),
                                line=row.get(LINE), fix="give every item its own id, or remove the repeated row; "
                                                        "`xbench data check` lists every repeat")
        first[key] = row.get(LINE)


def read_local(task, split: str, language: str, root: Path, manifest, *, limit: int | None = None,
               skips: SkipLog | None = None, plan: CellPlan | None = None, check_labels: bool = True) -> CellData:
    """Read one cell from a data root in a known layout; ``MissingDataError`` when it has no files.
    ``check_labels=False``: labels outside the spec and repeated item ids are left for the caller (the
    data check counts them)."""
    doc = task.for_language(language)
    plan = plan_local(task, split, language, root, manifest) if plan is None else plan
    skips = SkipLog() if skips is None else skips
    options = doc.get("options") or {}
    rows = iter_rows(plan, label_column=_label_column(doc), spec_label_map=options.get("label_map"),
                     limit=limit, skips=skips)
    before = len(skips)
    task_type = task_type_of(task)
    out = list(canonical.canonicalise(task_type, rows, doc.get("fields") or {}, options=options, skips=skips,
                                      subsets=doc.get("item_subsets")))
    files = [str(r.path) for r in plan.reads]
    malformed = [s for s in skips[before:] if s.kind == MALFORMED]
    if not out and malformed:
        # nothing readable at all is a broken file, not a cell to score from zero rows
        first = malformed[0]
        raise DataFileError(f"every row was skipped as malformed ({len(malformed)}; the first: {first.reason})",
                            file=first.file, line=first.line,
                            fix="check that the file is this task's format and columns (`xbench data check` lists "
                                "every skipped row)")
    if not any(map(task_type.is_item, out)) and len(skips) == before:
        blank = next((r.path for r in plan.reads if _blank(r.path)), None)
        if blank is not None:  # a format whose loader accepts an empty file: still nothing to train or score on
            raise DataFileError("empty: no examples (the file has only blank lines or none)", file=str(blank),
                                fix="re-download or re-extract it (`xbench data check` lists every cell's files)")
        # the files exist but hold nothing for this cell (e.g. a multilingual file without this language)
        raise MissingDataError(task.name, split, language, tried=files, where=f"{root} (layout '{manifest.name}')",
                               note="the file(s) hold no items for this language",
                               homepage=plan.homepage or doc.get("homepage"))
    if check_labels:
        _check_labels(task, language, task_type, out)
        _check_unique_ids(task_type, out)
    return CellData(task.name, split, language, out, f"local:{manifest.name} {root}", files, list(plan.flags),
                    skips, load_gold(plan, skips), plan)


def read_hub(task, split: str, language: str, *, limit: int | None = None, skips: SkipLog | None = None) -> CellData:
    from xbench.data.hub import hub_rows

    doc = task.for_language(language)
    if doc["data"].get("kind") == "licensed":
        raise UserError(f"task '{task.name}' is licensed data, read from local files only "
                        f"(fix: pass --data-dir / XBENCH_DATA_DIR pointing at its files; see {doc.get('homepage', 'its spec')})")
    skips = SkipLog() if skips is None else skips
    task_type = task_type_of(task)
    parts, described = hub_rows(doc, split, language, limit=limit, skips=skips)
    rows: list[dict] = []
    for part_rows, fields in parts:
        rows += canonical.canonicalise(task_type, part_rows, fields, options=doc.get("options") or {}, skips=skips,
                                       subsets=doc.get("item_subsets"))
    _check_labels(task, language, task_type, rows)
    _check_unique_ids(task_type, rows)
    return CellData(task.name, split, language, rows, " + ".join(described), described, [], skips)


def read_cell(task, split: str, language: str, *, data_dir=None, layout: str | None = None,
              limit: int | None = None) -> CellData:
    """The cell's canonical rows from the first source in the documented order."""
    _check_cell(task, split, language)
    root_dir = data_dir_from_env(data_dir)
    if root_dir is None:
        return read_hub(task, split, language, limit=limit)
    manifest, root = select_layout(root_dir, layout)
    return read_local(task, split, language, root, manifest, limit=limit)


def _source_kind(source: str) -> str:
    """The source without the data root's place ("local:<layout> <root>" -> "local:<layout>")."""
    return source.split(" ", 1)[0] if source.startswith("local:") else source


def _fingerprint(task, split: str, language: str, source: str, files: list[str], limit: int | None) -> str:
    ident = {"task": task.name, "version": task.version, "type": task.type, "split": split,
             "language": language, "fields": task.for_language(language).get("fields"), "limit": limit,
             "subsets": task.for_language(language).get("item_subsets"),
             "canonical": CANONICAL_VERSION, "source": _source_kind(source), "files": []}
    for f in files:  # by content, not by place: a moved data root keeps its fingerprint
        try:
            ident["files"].append([Path(f).name, content_sha256(f)])
        except OSError:
            ident["files"].append([Path(f).name])
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _schema(task, language: str, task_type) -> tuple[list[str], object]:
    """The columns and ``datasets.Features`` of the cell's dataset."""
    columns, features = list(task_type.canonical_columns), task_type.canonical_features()
    if task.for_language(language).get("item_subsets"):  # any type: the names of the subsets an item is in
        from datasets import Sequence, Value

        columns, features = columns + ["subsets"], features.copy()
        features["subsets"] = Sequence(Value("string"))
    return columns, features


def _dataset(rows: list[dict], schema):
    from datasets import Dataset

    columns, features = schema
    return Dataset.from_dict({c: [r[c] for r in rows] for c in columns}, features=features)


def _examples(cell: CellData, schema, task_type) -> examples_cache.CellExamples:
    """What ``load_split`` takes from a cell read from its files: the dataset, skips, gold pairs, notes."""
    notes = [p.message for p in task_type.notable_rows(cell.rows)]
    return examples_cache.CellExamples(_dataset(cell.rows, schema), cell.skipped, cell.gold, notes)


def _load_local(task, split: str, language: str, root_dir: Path, layout: str | None,
                limit: int | None) -> tuple[examples_cache.CellExamples, CellPlan, str]:
    """A local cell from the examples cache, else read (and cached); the plan and the source."""
    manifest, root = select_layout(root_dir, layout)
    plan = plan_local(task, split, language, root, manifest)
    source = f"local:{manifest.name} {root}"
    task_type = task_type_of(task)
    schema = _schema(task, language, task_type)
    key = examples_cache.cell_key(task.for_language(language), split, language, plan, limit=limit,
                                  task_type=task_type, schema_version=CANONICAL_VERSION)
    if key is None:
        return _examples(read_local(task, split, language, root, manifest, limit=limit, plan=plan), schema,
                         task_type), plan, source
    with examples_cache.locked(key):
        cached = examples_cache.load(key, root, schema[1])
        if cached is not None:
            return cached, plan, source
        with examples_cache.recording(root, [r.path for r in plan.reads]) as deps:
            read = _examples(read_local(task, split, language, root, manifest, limit=limit, plan=plan), schema,
                             task_type)
        examples_cache.store(key, root, read.dataset, read.skipped, read.gold, read.notes, deps)
    return read, plan, source


def load_split(task, split: str, language: str, *, data_dir=None, layout: str | None = None,
               limit: int | None = None, stand_in_for: str | None = None) -> LoadedSplit:
    """The cell as a ``LoadedSplit`` (see the module docstring for where the data comes from)."""
    _check_cell(task, split, language)
    root_dir = data_dir_from_env(data_dir)
    if root_dir is None:  # hub cells are not cached (the hub's own cache keeps the download)
        cell = read_hub(task, split, language, limit=limit)
        task_type = task_type_of(task)
        got = _examples(cell, _schema(task, language, task_type), task_type)
        source, files, flags = cell.source, cell.files, list(cell.flags)
    else:
        got, plan, source = _load_local(task, split, language, root_dir, layout, limit)
        files, flags = [str(r.path) for r in plan.reads], list(plan.flags)
    if stand_in_for and stand_in_for != split:
        flags.append(flag_defs.substitution_flag(split, stand_in_for))
    fingerprint = _fingerprint(task, split, language, source, files, limit)
    # from the skip log read or cached alike: a cache hit warns and flags as the first read did
    fix = (f"repair or remove them; `xbench data check --data-dir {root_dir} --tasks {task.name} --split {split} "
           f"--languages {language}` lists every one" if root_dir is not None else
           "report them to the dataset's maintainers, or repair a local copy and pass it with --data-dir")
    malformed = warn_malformed(got.skipped, f"{task.name}/{split}/{language}", fingerprint, fix)
    if malformed:
        flags.append(flag_defs.skipped_rows_flag(malformed))
    return LoadedSplit(task.name, split, language, got.dataset, source, files, flags, got.skipped,
                       fingerprint, got.gold, stand_in_for, got.notes)

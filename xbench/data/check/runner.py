"""Checking every selected (task, split, language) cell of a local data directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xbench.data.api import read_local, task_type_of
from xbench.data.check import parallel, problems as P
from xbench.data.errors import DataFileError, MissingDataError
from xbench.data.manifest import select_layout
from xbench.data.skips import MALFORMED, RULE


@dataclass
class CellReport:
    task: str
    split: str
    language: str
    found: bool
    rows: int | None = None
    expected: int | None = None
    labels: str = ""
    flags: list[str] = field(default_factory=list)
    problems: list[P.Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    missing: str | None = None
    tokenizer: dict | None = None

    def as_row(self) -> dict:
        out = {"task": self.task, "split": self.split, "lang": self.language,
               "found": "yes" if self.found else ("error" if self.rows is None and self.problems else "missing"),
               "rows": self.rows if self.rows is not None else "", "expected": self.expected or "",
               "labels": self.labels, "flags": self.flags,
               "problems": "; ".join(f"{p.kind}:{p.count}" for p in self.problems),
               "files": self.files, "missing": self.missing or ""}
        if self.tokenizer is not None:
            for key in ("unk_rate", "fertility"):
                value = self.tokenizer.get(key)
                out[key] = "" if value is None else (f"{value:.4f}" if key == "unk_rate" else f"{value:.2f}")
        return out


def _expected(task, split: str, language: str) -> int | None:
    size = (task.splits.get(split) or {}).get("size")
    return size.get(language) if isinstance(size, dict) else size


def _skip_problems(skipped) -> list[P.Problem]:
    out = []
    for kind, label in ((MALFORMED, "malformed"), (RULE, "dropped")):
        items = [s for s in skipped if s.kind == kind]
        if items:
            reasons = sorted({s.reason for s in items})
            text = f"{len(items)} rows skipped as {label}: " + "; ".join(reasons[:2]) + ("; ..." if len(reasons) > 2 else "")
            out.append(P.Problem(label, text, len(items), [s.where for s in items[:P.SHOW]],
                                 error=kind == MALFORMED))  # rule skips follow the official preprocessing
    return out


def check_cell(task, split: str, language: str, manifest, root: Path, tokenizer=None) -> CellReport:
    report = CellReport(task.name, split, language, False, expected=_expected(task, split, language))
    try:
        cell = read_local(task, split, language, root, manifest, check_labels=False)  # counted below
    except MissingDataError as err:
        report.missing = err.note or "no file at the layout's path"
        report.files = err.tried
        return report
    except DataFileError as err:  # the whole file is unreadable: report it, keep checking the others
        report.problems.append(P.Problem("unreadable", str(err), error=True))
        return report
    doc, task_type = task.for_language(language), task_type_of(task)
    report.found, report.flags, report.files = True, cell.flags, cell.files
    report.rows = task_type.count_items(cell.rows, cell.gold)  # what the spec's sizes count
    report.labels = task_type.label_summary(cell.rows, cell.gold)
    report.problems = _skip_problems(cell.skipped) + P.row_problems(task_type, doc, cell.rows)
    if report.expected is not None and report.rows != report.expected:
        report.problems.append(P.Problem("size", f"{report.rows} counted, the spec documents {report.expected}"))
    english, english_file = parallel.english_rows(task, split, manifest, root)
    if english is not None:
        report.problems += parallel.compare(cell.rows, english, english_file, parallel.compare_fields(manifest, task.name))
    if tokenizer is not None:
        from xbench.data.check.tokstats import measure

        report.tokenizer = measure(tokenizer, task_type, cell.rows)
    return report


def check(selections, data_dir, *, layout: str | None = None, splits: list[str] | None = None,
          languages: list[str] | None = None, tokenizer=None) -> tuple[list[CellReport], str, Path]:
    """Reports for every cell of the selected tasks (``TaskSelection`` list) under ``data_dir``."""
    manifest, root = select_layout(Path(data_dir), layout)
    reports = []
    for sel in selections:
        task = sel.task
        for split in task.splits:
            if splits and split not in splits:
                continue
            for lang in task.split_languages(split):
                if lang not in sel.languages or (languages and lang not in languages):
                    continue
                reports.append(check_cell(task, split, lang, manifest, root, tokenizer))
    return reports, manifest.name, root

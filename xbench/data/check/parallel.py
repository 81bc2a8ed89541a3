"""Parallel datasets against their English source (the layout's ``english:`` entry of a task).

XCOPA items are translations of English COPA items at the same position (test = COPA test ids
501-1000 in order, validation = COPA dev ids 401-500). The fields named by the layout's
``english_compare`` (default: ``question``) must agree item by item; every disagreement is reported.
"""

from __future__ import annotations

from collections import Counter

from xbench.data import canonical
from xbench.data.api import task_type_of
from xbench.data.check.problems import SHOW, Problem, _loc
from xbench.data.manifest import plan_english
from xbench.data.reader import iter_rows
from xbench.data.skips import SkipLog


def english_rows(task, split: str, manifest, root) -> tuple[list[dict] | None, str | None]:
    """The English source rows of a parallel split in canonical form, and the file they came from."""
    plan = plan_english(manifest, root, task.name, split)
    if plan is None or not plan.found:
        return None, None
    doc = task.for_language("en") if "en" in task.languages else task.doc
    rows = iter_rows(plan, label_column=None, skips=SkipLog())
    out = list(canonical.canonicalise(task_type_of(task), rows, doc.get("fields") or {},
                                      options=doc.get("options") or {}))
    return out, str(plan.reads[0].path)


def compare(rows: list[dict], english: list[dict], english_file: str, fields: list[str]) -> list[Problem]:
    """Disagreements between a parallel cell and its English source, position by position."""
    out = []
    if len(rows) != len(english):
        out.append(Problem("parallel_size", f"{len(rows)} items but the English source {english_file} has "
                           f"{len(english)}; items are compared position by position", 1))
    for name in fields:
        diffs = [(r, e) for r, e in zip(rows, english) if r.get(name) != e.get(name)]
        if not diffs:
            continue
        pairs = Counter(f"{r.get(name)!r} for English {e.get(name)!r}" for r, e in diffs)
        detail = "; ".join(f"{k} ×{n}" for k, n in pairs.most_common(3))
        out.append(Problem("parallel_mismatch", f"{len(diffs)} of {min(len(rows), len(english))} items' {name} "
                           f"differs from the English source ({detail})", len(diffs),
                           [_loc(r) for r, _ in diffs[:SHOW]]))
    return out


def compare_fields(manifest, task_name: str) -> list[str]:
    return list((manifest.task_entry(task_name) or {}).get("english_compare", ["question"]))

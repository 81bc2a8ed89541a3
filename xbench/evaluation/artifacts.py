"""Per-cell files: per-item predictions (always) and the XTREME submission layout.

    seed-S/items/<task>/<split>-<lang>.jsonl        one record per item, keyed by the shared item id
    seed-S/predictions/<task>/<split>-<lang>.<ext>  what the official evaluate.py reads (with split test)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from xbench.paths import write_atomic


def items_path(run_dir: Path, seed: int, task: str, split: str, lang: str) -> Path:
    return run_dir / f"seed-{seed}" / "items" / task / f"{split}-{lang}.jsonl"


def predictions_path(run_dir: Path, seed: int, task: str, split: str, lang: str, ext: str) -> Path:
    return run_dir / f"seed-{seed}" / "predictions" / task / f"{split}-{lang}.{ext}"


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def write_items(path: Path, records: list[dict]) -> None:
    text = "".join(json.dumps({k: _jsonable(v) for k, v in r.items()}, ensure_ascii=False) + "\n" for r in records)
    write_atomic(path, text)


def write_predictions(path: Path, text: str) -> None:
    write_atomic(path, text)


def with_subsets(records: list[dict], examples: list[dict]) -> list[dict]:
    """Per-item records with each item's ``subsets`` (a spec's ``item_subsets``), joined on the item id;
    records of types that do not write one record per item (BUCC pairs) are left as they are."""
    names = {ex["id"]: ex["subsets"] for ex in examples if "subsets" in ex}
    if not names:
        return records
    return [{**r, "subsets": names[r["id"]]} if r.get("id") in names else r for r in records]


def with_resampling_units(records: list[dict], examples: list[dict], groups) -> list[dict]:
    """Per-item records with the label of the unit the bootstrap resamples (``TaskType.resampling_groups``,
    e.g. QA's article), joined on the item id, so that ``xbench analyze`` resamples the same units as the
    cell's interval. Long labels (a paragraph's text) are replaced by a digest: only equality matters."""
    if groups is None:
        return records
    _, labels = groups
    if len(records) == len(examples) and all(r.get("id") == ex.get("id") for r, ex in zip(records, examples)):
        # one record per example, in order: join by position (ids may repeat, e.g. XTREME's TyDiQA train)
        return [{**r, "resampling_unit": _unit_label(label)} for r, label in zip(records, labels)]
    units = {ex["id"]: _unit_label(label) for ex, label in zip(examples, labels) if "id" in ex}
    return [{**r, "resampling_unit": units[r["id"]]} if r.get("id") in units else r for r in records]


def _unit_label(label) -> str:
    text = str(label)
    return text if len(text) <= 64 else "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]

"""The data layer maps rows through the spec's task type class, found in the registry: a type a plugin
registers loads and checks its data without any change to xbench; an unknown type is one clear error."""

from __future__ import annotations

import json

import pytest

from xbench.data import canonical as C
from xbench.data import load_split
from xbench.data.check.runner import check
from xbench.errors import UserError
from xbench.registry import DataLayout, TaskDirectory, TaskType as TaskTypeEntry, get_registry, hookimpl
from xbench.spec.catalog import Catalog
from xbench.spec.models import TaskSpec
from xbench.tasktypes.base import TaskType


class WordPairs(TaskType):
    """A made-up type: is ``right`` a translation of ``left``? (yes/no; "" unlabelled)."""

    canonical_columns = ("id", "left", "right", "label")
    text_columns = ("left", "right")

    @classmethod
    def canonical_features(cls):
        from datasets import Features, Value

        return Features({c: Value("string") for c in cls.canonical_columns})

    @classmethod
    def canonical_row(cls, row, fields, options):
        label = C.optional(row, fields, "label")
        if label not in (None, "yes", "no"):
            raise C.BadRow(f"label {label!r} is not yes/no")
        return {"left": C.text(row, fields, "left", None), "right": C.text(row, fields, "right", None),
                "label": label or ""}

    @classmethod
    def row_labels(cls, row):
        return [row["label"]] if row["label"] else []

    @classmethod
    def notable_rows(cls, rows):
        from xbench.data.check.problems import collect

        same = collect(rows, lambda r: r["left"] == r["right"], "identical_pair", "{n} pairs of identical words")
        return [same] if same else []


SPEC = """\
name: word_pairs
version: 1
description: Made-up word pairs for the dispatch test.
citation: none
license: CC0-1.0
type: word_pairs_test
languages: [de]
data:
  format: jsonl
  splits:
    test: {size: 4}
fields: {left: w1, right: w2, label: gold, id: pid}
labels: ["yes", "no"]
metrics: [accuracy]
"""

LAYOUT = """\
layout: word_pairs_test
description: the dispatch test's data
roots: [""]
detect: {all: [pairs]}
tasks:
  word_pairs:
    splits:
      test: {path: "pairs/{lang}.jsonl"}
"""

ROWS = [{"pid": "p1", "w1": "Hund", "w2": "dog", "gold": "yes"},
        {"pid": "p2", "w1": "Katze", "w2": "house", "gold": "no"},
        {"pid": "p3", "w1": "Haus", "w2": "house", "gold": "maybe"},  # a counted skip
        {"w1": "Taxi", "w2": "Taxi", "gold": "yes"},                    # no id column: its position
        {"pid": "p5", "w1": " ", "w2": "tree"}]                          # unlabelled, empty text


@pytest.fixture
def plugin_task(tmp_path):
    """A test plugin registering the type, a task of that type and a layout for its data."""
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks/word_pairs.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "layout.yaml").write_text(LAYOUT, encoding="utf-8")
    (tmp_path / "data/pairs").mkdir(parents=True)
    (tmp_path / "data/pairs/de.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")

    class Plugin:
        @hookimpl
        def xbench_task_types(self):
            return [TaskTypeEntry("word_pairs_test", WordPairs, "Made-up word pairs",
                                  required_fields=("left", "right"), optional_fields=("label", "id"))]

        @hookimpl
        def xbench_task_dirs(self):
            return [TaskDirectory("word_pairs_test", path=tmp_path / "tasks")]

        @hookimpl
        def xbench_data_layouts(self):
            return [DataLayout("word_pairs_test", manifest=tmp_path / "layout.yaml")]

    registry = get_registry()  # the autouse fixture resets it after the test
    registry.register(Plugin(), "word_pairs_test")
    return Catalog(registry, use_cache=False), tmp_path / "data"


def test_plugin_type_loads_rows_through_its_canonical_row(plugin_task):
    catalog, data = plugin_task
    loaded = load_split(catalog.task("word_pairs"), "test", "de", data_dir=data)
    ds = loaded.dataset
    assert ds.column_names == ["id", "left", "right", "label"] and ds.features == WordPairs.canonical_features()
    assert ds.to_list() == [{"id": "p1", "left": "Hund", "right": "dog", "label": "yes"},
                            {"id": "p2", "left": "Katze", "right": "house", "label": "no"},
                            {"id": "3", "left": "Taxi", "right": "Taxi", "label": "yes"},
                            {"id": "p5", "left": " ", "right": "tree", "label": ""}]
    assert [str(s) for s in loaded.skipped] == [f"{data / 'pairs/de.jsonl'}:3: label 'maybe' is not yes/no"]
    assert loaded.notes == ["1 pairs of identical words"]


def test_data_check_uses_the_type_hooks_and_defaults(plugin_task):
    catalog, data = plugin_task
    [report] = check(catalog.select("word_pairs"), data, layout="word_pairs_test")[0]
    assert report.found and report.rows == 4 and report.expected == 4
    assert report.labels == "no:1 yes:2 unlabelled:1"  # the default summary, from row_labels
    kinds = {p.kind: p.count for p in report.problems}
    assert kinds == {"malformed": 1, "empty_field": 1, "identical_pair": 1}  # empty: from text_columns


def test_unknown_task_type_is_one_clear_error(plugin_task):
    catalog, data = plugin_task
    spec = catalog.task("word_pairs")
    ghost = TaskSpec({**spec.doc, "type": "word_pairz_test"}, spec.file)
    with pytest.raises(UserError) as err:
        load_split(ghost, "test", "de", data_dir=data)
    message = str(err.value)
    assert message.startswith("task 'word_pairs': unknown task type 'word_pairz_test'")
    assert "did you mean 'word_pairs_test'" in message and "sequence_classification" in message
    assert "fix: install the plugin" in message and "\n" not in message


def test_type_without_canonical_data_is_one_clear_error():
    class Bare(TaskType):  # a type written before types owned their data: it cannot load rows
        pass

    class Plugin:
        @hookimpl
        def xbench_task_types(self):
            return [TaskTypeEntry("bare", Bare, "no canonical data")]

    get_registry().register(Plugin(), "bare_test")
    with pytest.raises(UserError, match=r"task type 'bare' \(.*Bare\) defines no canonical data schema"):
        C.task_type_class("bare")

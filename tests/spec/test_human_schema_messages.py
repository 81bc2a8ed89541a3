"""Schema violations read as words (issue 12): a pattern is explained by its ``patternHint``, never
shown as the raw regular expression, and a wrong type's fix says how to write the value rather than
repeating the field's schema description."""

from __future__ import annotations

import json

import pytest

from xbench.spec import validate


def _patterns(node, path=()):
    if isinstance(node, dict):
        if "pattern" in node and isinstance(node["pattern"], str):
            yield path, node
        for key, value in node.items():
            yield from _patterns(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, path + (i,))


@pytest.mark.parametrize("kind", ["task", "group", "experiment"])
def test_every_pattern_in_the_schemas_has_a_hint(kind):
    found = list(_patterns(validate.schema(kind)))
    for path, node in found:
        hint = node.get("patternHint")
        assert isinstance(hint, list) and len(hint) == 2 and all(hint), (kind, path)
    assert kind == "experiment" or found  # task and group names have patterns


TASK = {"name": "my_task", "version": 1, "description": "d", "citation": "c", "license": "MIT",
        "type": "sequence_classification", "languages": ["en"], "metrics": ["accuracy"],
        "data": {"format": "tsv", "splits": {"test": {}}}}


@pytest.mark.parametrize("kind, doc", [
    ("task", {**TASK, "name": "My-Task"}),
    ("group", {"group": "My Group", "description": "d", "tasks": [{"task": "xnli"}]}),
    ("experiment", {"experiment": "my exp", "models": ["m"], "intermediate": {"none": "none"}, "targets": ["x"]}),
    ("experiment", {"experiment": "x", "models": ["m"], "intermediate": {"my conf": "none"}, "targets": ["x"]}),
])
def test_a_pattern_violation_is_explained_not_a_regex(kind, doc):
    problems = [p for p in validate.schema_problems(doc, kind) if "is not" in p.message]
    assert problems, validate.schema_problems(doc, kind)
    for p in problems:
        assert "^" not in p.message and "$" not in p.message and "does not match" not in p.message, p
        assert p.fix and "^" not in p.fix and p.fix[0].islower(), p


def test_a_wrong_type_fix_shows_how_to_write_it_not_the_description():
    description = validate.schema("task")["properties"]["languages"]["description"]
    (problem,) = validate.schema_problems({**TASK, "languages": "en"}, "task")
    assert problem.message.startswith("must be list, not string")
    assert problem.fix == "write list here, e.g. `[a, b]`" and description not in problem.fix


def test_duplicate_labels_are_refused():
    (problem,) = validate.schema_problems({**TASK, "labels": ["a", "b", "a"]}, "task")
    assert problem.field == "labels" and problem.message == "'a' listed twice"


def test_too_few_items_says_how_many():
    (problem,) = validate.schema_problems({**TASK, "metrics": []}, "task")
    assert problem.message == "has 0, allowed: at least 1 item" and problem.fix == "give at least 1 item"


def test_the_schemas_stay_valid_json_for_both_validators():
    for kind in ("task", "group", "experiment"):
        json.dumps(validate.schema(kind))
        assert validate.is_schema_valid(TASK, "task")

"""Validation of task and group specs: the JSON Schema files first, then checks against the registry.

Every problem becomes one located line: file, line, field, what is wrong, how to fix it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xbench.errors import SpecError
from xbench.spec.suggest import did_you_mean
from xbench.spec.yamlio import locate

SCHEMA_DIR = Path(__file__).parent
JSON_TYPES = {dict: "mapping", list: "list", str: "string", int: "integer", float: "number",
              bool: "boolean", type(None): "null"}
SCHEMA_TYPES = {"object": "mapping", "array": "list"}


@dataclass(frozen=True)
class Problem:
    """A validation problem at a key path inside the resolved document."""

    keypath: tuple
    message: str
    fix: str | None = None

    @property
    def field(self) -> str:
        return ".".join(str(k) for k in self.keypath) or None

    def to_error(self, files: list[Path]) -> SpecError:
        """Locate the problem in whichever of the spec's files defines the deepest part of its path."""
        best_file, best_line, best_depth = files[0], None, -1
        for f in files:
            line, depth = locate(f, self.keypath)
            if depth > best_depth:
                best_file, best_line, best_depth = f, line, depth
        return SpecError(self.message, file=str(best_file), line=best_line, field=self.field, fix=self.fix)


@functools.cache
def schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@functools.cache
def _validator(kind: str):
    """The reference validator (jsonschema): slower, used to explain what is wrong."""
    import jsonschema

    return jsonschema.Draft7Validator(schema(kind))


@functools.cache
def _fast_check(kind: str):
    """The same schema compiled to Python by fastjsonschema: ~8x faster on valid specs, which are
    almost all of them, so cold listing of thousands of specs stays quick."""
    import copy

    import fastjsonschema

    # a copy: fastjsonschema rewrites every ``$ref`` of the dict it compiles into an absolute URI
    return fastjsonschema.compile(copy.deepcopy(schema(kind)))


def is_schema_valid(doc: dict, kind: str) -> bool:
    import fastjsonschema

    try:
        _fast_check(kind)(doc)
        return True
    except fastjsonschema.JsonSchemaException:
        return False


@functools.cache
def iso639_1() -> frozenset[str]:
    lines = (SCHEMA_DIR / "iso639_1.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@functools.cache
def iso639_3() -> frozenset[str]:
    """Three-letter codes: ISO 639-3 languages plus ISO 639-5 collective codes (datasets such as
    AmericasNLI use `nah`, `oto`). Low-resource languages often have no two-letter code."""
    import pycountry

    return frozenset(lang.alpha_3 for lang in pycountry.languages) | frozenset(
        fam.alpha_3 for fam in pycountry.language_families)


def is_language_code(code: str) -> bool:
    """ISO 639-1 (two letters) or, where a language has none, ISO 639-3/-5 (three letters)."""
    if len(code) == 2:
        return code in iso639_1()
    return len(code) == 3 and code in iso639_3()


def node_lookup(kind: str, ref: str) -> dict:
    node: Any = schema(kind)
    pointer = ref.partition("#")[2].removeprefix("/")  # "#/$defs/x" or "https://…/task-1.json#/$defs/x"
    for part in filter(None, pointer.split("/")):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


def _deref(kind: str, node: dict) -> dict:
    return node_lookup(kind, node["$ref"]) if "$ref" in node else node


def schema_problems(doc: dict, kind: str) -> list[Problem]:
    """Problems the JSON Schema finds, rewritten as one-line messages with fixes."""
    if is_schema_valid(doc, kind):
        return []
    problems = []
    errors = [e for err in _validator(kind).iter_errors(doc) for e in _branch_errors(err)]
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(err.absolute_path)
        sub = _deref(kind, err.schema) if isinstance(err.schema, dict) else {}
        if err.validator == "additionalProperties":
            allowed = sub.get("properties", {})
            for key in sorted(set(err.instance) - set(allowed)):
                problems.append(Problem(path + (key,), f"unknown key '{key}'{did_you_mean(key, allowed)}",
                                        f"allowed keys here: {', '.join(sorted(allowed))}"))
        elif err.validator == "required":
            missing = err.message.split("'")[1]
            desc = _deref(kind, sub.get("properties", {}).get(missing, {})).get("description", "")
            problems.append(Problem(path + (missing,), f"missing required field '{missing}'",
                                    f"add `{missing}:`" + (f" ({desc})" if desc else "")))
        elif err.validator == "type":
            want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
            want = [SCHEMA_TYPES.get(w, w) for w in want]
            got = JSON_TYPES.get(type(err.instance), type(err.instance).__name__)
            # the fix is how to write the value, not the schema's description of the field
            examples = [TYPE_EXAMPLES[w] for w in want if w in TYPE_EXAMPLES]
            problems.append(Problem(path, f"must be {' or '.join(want)}, not {got} ({err.instance!r:.40})",
                                    f"write {' or '.join(want)} here" + (f", e.g. {examples[0]}" if examples else "")))
        elif err.validator == "enum":
            opts = [str(o) for o in err.validator_value]
            problems.append(Problem(path, f"'{err.instance}' is not allowed{did_you_mean(str(err.instance), opts)}",
                                    f"use one of: {', '.join(opts)}"))
        elif err.validator in ("minimum", "exclusiveMinimum") and not isinstance(err.instance, bool):
            bound = ">=" if err.validator == "minimum" else ">"
            desc = sub.get("description")
            problems.append(Problem(path, f"{err.instance!r} is too small: must be {bound} {err.validator_value}",
                                    f"use a number {bound} {err.validator_value}" + (f"; {desc}" if desc else "")))
        elif err.validator == "uniqueItems" and isinstance(err.instance, list):
            seen, twice = set(), []
            for item in map(repr, err.instance):
                if item in seen and item not in twice:
                    twice.append(item)
                seen.add(item)
            problems.append(Problem(path, f"{', '.join(twice)} listed twice", "list each value once"))
        elif err.validator == "pattern":
            # the schema's own hint: a raw regular expression is no help to the user
            what, how = sub.get("patternHint") or ("a value of the form the field expects", _described(sub))
            problems.append(Problem(path, f"{err.instance!r} is not {what}", how))
        elif err.validator in SIZE_LIMITS:
            noun, word = SIZE_LIMITS[err.validator]
            n = err.validator_value
            many = f"{word} {n} {noun}{'s' if n != 1 else ''}"
            problems.append(Problem(path, f"has {len(err.instance)}, allowed: {many}", f"give {many}"))
        else:
            problems.append(Problem(path, err.message, _described(sub)))
    return problems


# the type names of messages (SCHEMA_TYPES applied) -> how such a value is written in YAML
TYPE_EXAMPLES = {"list": "`[a, b]`", "mapping": "`{key: value}`", "string": "`text`", "integer": "`1`",
                 "number": "`0.5`", "boolean": "`true`"}
SIZE_LIMITS = {"minItems": ("item", "at least"), "maxItems": ("item", "at most"),
               "minLength": ("character", "at least"), "maxLength": ("character", "at most"),
               "minProperties": ("key", "at least"), "maxProperties": ("key", "at most")}


def _described(sub: dict) -> str:
    desc = sub.get("description")
    return f"see what the field holds: {desc}" if desc else "compare it with a working spec, e.g. tasks/xtreme/xnli.yaml"


def _branch_errors(err) -> list:
    """A ``oneOf``/``anyOf`` failure as the errors of the branch the value was meant for (the branches
    that reject it for its type alone are dropped), e.g. ``limit: 0`` inside a target's mapping rather
    than "is not valid under any of the given schemas"; the error itself when no branch fits."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return [err]
    depth = len(err.absolute_path)
    meant = [c for c in err.context if not (c.validator in ("type", "enum") and len(c.absolute_path) == depth)]
    return [e for c in meant for e in _branch_errors(c)] or [err]


def registry_fingerprint(registry) -> str:
    """Everything ``task_problems`` reads from the registry (task types with their fields, metric and
    data format names): the spec index reuses a task's check results only under the same one."""
    import hashlib

    types = registry.collect("task_types")
    seen = [sorted([n, list(t.required_fields), list(t.optional_fields)] for n, t in types.items()),
            sorted(registry.collect("metrics")), sorted(registry.collect("data_formats"))]
    return hashlib.sha256(json.dumps(seen).encode()).hexdigest()[:16]


def task_problems(doc: dict, registry) -> list[Problem]:
    """Checks of one resolved task document against the registry (after the schema passed)."""
    problems: list[Problem] = []
    langs = doc["languages"]
    for i, lang in enumerate(langs):
        if not is_language_code(lang):
            problems.append(Problem(("languages", i), f"'{lang}' is not an ISO 639 language code"
                                    f"{did_you_mean(lang, iso639_1())}",
                                    "use the two-letter ISO 639-1 code (e.g. sw), or ISO 639-3 where there is none (e.g. quy)"))
    types = registry.collect("task_types")
    if doc["type"] not in types:
        problems.append(Problem(("type",), f"unknown task type '{doc['type']}'{did_you_mean(doc['type'], types)}",
                                f"installed task types: {', '.join(sorted(types))}"))
    else:
        tt = types[doc["type"]]
        fields = doc.get("fields", {})
        for req in tt.required_fields:
            if req not in fields:
                problems.append(Problem(("fields", req), f"task type '{tt.name}' needs field '{req}'",
                                        f"map it to a column: `fields: {{{req}: <column>}}`"))
        known = set(tt.required_fields) | set(tt.optional_fields)
        for key in fields:
            if key not in known:
                problems.append(Problem(("fields", key), f"task type '{tt.name}' has no field '{key}'{did_you_mean(key, known)}",
                                        f"fields of {tt.name}: {', '.join(sorted(known))}"))
    metrics = registry.collect("metrics")
    for i, m in enumerate(doc["metrics"]):
        if m not in metrics:
            problems.append(Problem(("metrics", i), f"unknown metric '{m}'{did_you_mean(m, metrics)}",
                                    f"installed metrics: {', '.join(sorted(metrics))}"))
    primary = doc.get("primary_metric")
    # (a primary metric that is an installed metric missing from a misspelt `metrics:` entry is that
    # entry's error, already reported: not a second one recommending the typo)
    misspelt = [m for m in doc["metrics"] if m not in metrics]
    if primary is not None and primary not in doc["metrics"] and not (misspelt and primary in metrics):
        problems.append(Problem(("primary_metric",), f"'{primary}' is not among this task's metrics",
                                f"use one of: {', '.join(doc['metrics'])}"))
    formats = registry.collect("data_formats")
    data = doc["data"]
    fmt_paths = [(("data", "format"), data.get("format"))] + [
        (("data", "splits", s, "format"), sp.get("format")) for s, sp in data["splits"].items()]
    for path, fmt in fmt_paths:
        if fmt is not None and fmt not in formats:
            problems.append(Problem(path, f"unknown data format '{fmt}'{did_you_mean(fmt, formats)}",
                                    f"installed data formats: {', '.join(sorted(formats))}"))
    for split, sp in data["splits"].items():
        for i, lang in enumerate(sp.get("languages", [])):
            if lang not in langs:
                problems.append(Problem(("data", "splits", split, "languages", i),
                                        f"language '{lang}' of split '{split}' is not in the task's languages",
                                        "add it to `languages:` or remove it here"))
    for key in ("eval_splits",):
        for i, split in enumerate(doc.get(key, [])):
            if split not in data["splits"]:
                problems.append(Problem((key, i), f"split '{split}' is not defined under data.splits",
                                        f"defined splits: {', '.join(data['splits'])}"))
    if "dev_split" in doc and doc["dev_split"] not in data["splits"]:
        problems.append(Problem(("dev_split",), f"split '{doc['dev_split']}' is not defined under data.splits",
                                f"defined splits: {', '.join(data['splits'])}"))
    for section in ("language_overrides", "prompts"):
        for lang in doc.get(section, {}):
            if lang not in langs and not (section == "prompts" and lang == "default"):
                problems.append(Problem((section, lang), f"language '{lang}' is not in the task's languages",
                                        "add it to `languages:` or remove this entry"))
    problems += prompt_problems(doc)
    return problems


def prompt_problems(doc: dict) -> list[Problem]:
    """Template syntax and filter names of the prompts (slot names are the task type's, checked when
    an item is rendered)."""
    from xbench.prompting.templates import FILTERS, placeholders, unbalanced

    problems = []
    for lang, prompt in (doc.get("prompts") or {}).items():
        for key in ("template", "choices", "description"):
            text = prompt.get(key)
            if not isinstance(text, str):
                continue
            if unbalanced(text):
                problems.append(Problem(("prompts", lang, key), f"unbalanced brace in {text!r}",
                                        "write {{ or }} for a literal brace"))
            for name, filters in placeholders(text):
                for f in filters:
                    if f not in FILTERS:
                        problems.append(Problem(("prompts", lang, key), f"unknown filter '{f}' in '{{{name}|…}}'"
                                                f"{did_you_mean(f, FILTERS)}", f"filters: {', '.join(FILTERS)}"))
    return problems


def stage_problems(doc: dict, tasks: dict[str, dict]) -> list[Problem]:
    """Checks of a task's training stages against the other tasks (they name tasks and splits)."""
    problems = []
    for i, stage in enumerate(doc.get("train_stages", [])):
        other = tasks.get(stage["task"])
        if other is None:
            problems.append(Problem(("train_stages", i, "task"), f"unknown task '{stage['task']}'"
                                    f"{did_you_mean(stage['task'], tasks)}", "name a task from `xbench tasks list`"))
            continue
        if stage["split"] not in other["data"]["splits"]:
            problems.append(Problem(("train_stages", i, "split"), f"task '{stage['task']}' has no split '{stage['split']}'",
                                    f"its splits: {', '.join(other['data']['splits'])}"))
        recipe = stage.get("recipe")
        if recipe is not None and recipe not in other.get("recipes", {}):
            problems.append(Problem(("train_stages", i, "recipe"), f"task '{stage['task']}' has no recipe '{recipe}'",
                                    f"its recipes: {', '.join(other.get('recipes', {})) or 'none'}"))
    return problems


def group_problems(doc: dict, tasks: dict[str, dict]) -> list[Problem]:
    problems = []
    names = []
    for i, entry in enumerate(doc["tasks"]):
        name = entry["task"]
        names.append(name)
        task = tasks.get(name)
        if task is None:
            problems.append(Problem(("tasks", i, "task"), f"unknown task '{name}'{did_you_mean(name, tasks)}",
                                    "name a task from `xbench tasks list`"))
            continue
        for j, lang in enumerate(entry.get("languages", [])):
            if lang not in task["languages"]:
                problems.append(Problem(("tasks", i, "languages", j),
                                        f"group '{doc['group']}' restricts task '{name}' to language '{lang}', which the task lacks",
                                        f"remove it, or add it to the languages of task '{name}'"))
        for j, metric in enumerate(entry.get("score", [])):
            if metric not in task["metrics"]:
                problems.append(Problem(("tasks", i, "score", j), f"task '{name}' has no metric '{metric}'",
                                        f"its metrics: {', '.join(task['metrics'])}"))
    for cat, members in doc.get("categories", {}).items():
        for j, name in enumerate(members):
            if name not in names:
                problems.append(Problem(("categories", cat, j), f"category '{cat}' lists '{name}', which is not a task of this group",
                                        f"tasks of this group: {', '.join(names)}"))
    return problems

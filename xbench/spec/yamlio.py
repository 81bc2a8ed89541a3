"""Reading spec YAML safely (data only: no tags that construct objects) and locating keys by line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from xbench.errors import SpecError

# The C loader is ~10x faster; both are safe loaders (no arbitrary object construction).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(Exception):
    def __init__(self, key: str, first: int, again: int):
        self.key, self.first, self.again = key, first, again


class _StrictLoader(SafeLoader):
    """The safe loader refusing a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise _DuplicateKey(key_node.value, seen[key_node.value], line)
                seen[key_node.value] = line
        return super().construct_mapping(node, deep)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise SpecError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path), line=line,
                        fix="save the file as UTF-8") from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as dup:
        raise SpecError(f"key '{dup.key}' given twice (first at line {dup.first}); YAML would silently keep the "
                        "last one", file=str(path), line=dup.again,
                        fix=f"keep one '{dup.key}:' in this mapping") from None
    except yaml.constructor.ConstructorError as exc:  # a tag asking for an object (!!python/...): never built
        mark = exc.problem_mark
        tag = next((t for t in str(exc.problem).split("'")[1::2] if t.startswith(("tag:", "!"))), "a tag")
        raise SpecError(f"YAML tag {tag.replace('tag:yaml.org,2002:', '!!')} is not allowed: a spec is data, and "
                        "xbench never constructs objects or runs code from YAML", file=str(path),
                        line=mark.line + 1 if mark else None,
                        fix="remove the tag and write the value as plain YAML") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"invalid YAML: {problem}", file=str(path),
                        line=mark.line + 1 if mark else None,
                        fix="check indentation and quoting at that line") from None


def locate(path: Path, keypath: tuple) -> tuple[int | None, int]:
    """Line (1-based) of the node at ``keypath`` in ``path`` and how many path steps matched.

    Only called when reporting an error, so re-parsing into nodes here costs nothing in the normal
    path. Returns the line of the deepest node found along the path.
    """
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except Exception:
        return None, 0
    line = node.start_mark.line + 1 if node is not None else None
    depth = 0
    for step in keypath:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    child, line = value_node, key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            child = node.value[step]
            line = child.start_mark.line + 1
        if child is None:
            break
        node, depth = child, depth + 1
    return line, depth

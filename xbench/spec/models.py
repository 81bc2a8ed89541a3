"""Resolved specs as objects: a task, a benchmark group, and a task as addressed (``GROUP/NAME``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Top-level fields the spec index keeps beside each stored document: what listing and the catalog's
# own checks read, so a warm ``xbench tasks list`` of thousands of specs decodes none of them whole.
# Short fields only (the header holds them for every spec; a task's description is not listed).
HEAD_KEYS = frozenset(("name", "group", "type", "version", "languages", "metrics", "primary_metric", "license",
                       "override", "train_stages"))


def spec_head(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k in HEAD_KEYS}


class _Spec:
    """A resolved spec document, given whole or as the index's head plus a loader of the whole
    document (called on first use of ``doc``). Also a read-only mapping of the top-level fields
    (``spec["languages"]``, ``spec.get("train_stages")``), answered from the head when it has them."""

    def __init__(self, doc: dict[str, Any] | None, file: Path | str, files: list[Path | str] | None = None,
                 plugin: str = ""):
        self._doc, self._load, self._head = doc, None, None
        self._file, self._files = file, list(files) if files is not None else []
        self.plugin = plugin

    # file names stay strings until used (thousands of Path objects were a tenth of a warm listing)
    @property
    def file(self) -> Path:
        if not isinstance(self._file, Path):
            self._file = Path(self._file)
        return self._file

    @file.setter
    def file(self, value: Path) -> None:
        self._file = value

    @property
    def files(self) -> list[Path]:
        if not all(isinstance(f, Path) for f in self._files):
            self._files = [Path(f) for f in self._files]
        return self._files

    @files.setter
    def files(self, value: list[Path]) -> None:
        self._files = list(value)

    @classmethod
    def from_index(cls, load: Callable[[], dict], head: dict, file: Path | str, files: list[Path | str], plugin: str = ""):
        spec = cls(None, file, files, plugin)
        spec._load, spec._head = load, head
        return spec

    @property
    def doc(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc, self._load = self._load(), None
        return self._doc

    @doc.setter
    def doc(self, value: dict[str, Any]) -> None:
        self._doc, self._load = value, None

    def get(self, key: str, default=None):
        """A top-level field of ``doc``; a head field is answered without decoding the document."""
        if self._doc is None and key in HEAD_KEYS:
            return self._head.get(key, default)
        return self.doc.get(key, default)

    def __getitem__(self, key: str):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.doc, self.file, self.files, self.plugin) == (other.doc, other.file, other.files, other.plugin)

    __hash__ = None

    def __getstate__(self):  # pickled (e.g. to a worker process): the whole document, not the index's loader
        state = dict(self.__dict__)
        state["_doc"], state["_load"] = self.doc, None
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(doc={self.doc!r}, file={self.file!r}, files={self.files!r}, plugin={self.plugin!r})"


_MISSING = object()


class TaskSpec(_Spec):
    """A task after ``include:`` resolution and validation. ``doc`` is the resolved mapping."""

    @property
    def name(self) -> str:
        return self["name"]

    @property
    def version(self):
        return self["version"]

    @property
    def type(self) -> str:
        return self["type"]

    @property
    def languages(self) -> list[str]:
        return list(self["languages"])

    @property
    def metrics(self) -> list[str]:
        return list(self["metrics"])

    @property
    def primary_metric(self) -> str:
        return self.get("primary_metric") or self["metrics"][0]

    @property
    def splits(self) -> dict[str, dict]:
        return self.doc["data"]["splits"]

    @property
    def eval_splits(self) -> list[str]:
        return self.doc.get("eval_splits", ["test"])

    def split_languages(self, split: str) -> list[str]:
        return list(self.splits[split].get("languages", self.languages))

    def for_language(self, lang: str) -> dict[str, Any]:
        """The spec with this language's ``language_overrides`` merged in."""
        from xbench.spec.includes import deep_merge

        return deep_merge(self.doc, self.doc.get("language_overrides", {}).get(lang, {}))


@dataclass
class GroupEntry:
    task: str
    languages: list[str] | None
    score: list[str] | None


class GroupSpec(_Spec):
    @property
    def name(self) -> str:
        return self["group"]

    @property
    def entries(self) -> list[GroupEntry]:
        return [GroupEntry(e["task"], e.get("languages"), e.get("score")) for e in self.doc["tasks"]]

    def entry(self, task: str) -> GroupEntry | None:
        return next((e for e in self.entries if e.task == task), None)

    @property
    def categories(self) -> dict[str, list[str]]:
        return dict(self.doc.get("categories", {}))


@dataclass
class TaskSelection:
    """A task as addressed: ``NAME`` (all its languages) or ``GROUP/NAME`` (the group's languages)."""

    task: TaskSpec
    languages: list[str]
    group: str | None = None
    score: list[str] | None = None

    @property
    def address(self) -> str:
        return f"{self.group}/{self.task.name}" if self.group else self.task.name

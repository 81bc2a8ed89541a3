"""Descriptors that plugins return from their hooks.

Each descriptor names one registered thing. ``target`` is either the object itself or a
``"module:attribute"`` string that is imported only when the thing is used (``load()``), which
keeps listing and validation free of heavy imports.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Component:
    name: str
    target: Any = None
    description: str = ""
    override: bool = False
    plugin: str = ""  # filled in by the registry: which plugin registered it

    kind = "component"

    def load(self) -> Any:
        """The implementation: ``target`` itself, or the attribute a ``"module:attr"`` string names."""
        if not isinstance(self.target, str):
            return self.target
        module_name, _, attr = self.target.partition(":")
        obj = importlib.import_module(module_name)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
        return obj


@dataclass(frozen=True)
class TaskType(Component):
    required_fields: tuple[str, ...] = ()
    optional_fields: tuple[str, ...] = ()
    kind = "task type"


@dataclass(frozen=True)
class Metric(Component):
    higher_is_better: bool = True
    kind = "metric"


@dataclass(frozen=True)
class DataFormat(Component):
    kind = "data format"


@dataclass(frozen=True)
class DataLayout(Component):
    manifest: Path | None = None
    kind = "data layout"


@dataclass(frozen=True)
class ModelAdapter(Component):
    """``claims``: glob patterns over a checkpoint's ``config.json`` ``architectures``; ``--adapter auto``
    picks the adapter that claims one of them (none: ``hf``)."""

    claims: tuple[str, ...] = ()
    kind = "model adapter"


@dataclass(frozen=True)
class Perturbation(Component):
    kind = "perturbation"


@dataclass(frozen=True)
class Executor(Component):
    kind = "executor"


@dataclass(frozen=True)
class ModelAlias(Component):
    """``package``/``subpath`` locate a checkpoint folder inside an installed package (found without
    importing it); ``path`` gives a folder directly. ``install`` is the pip command shown when the
    package is missing.

    An *assembled* alias sets ``parts`` instead: the pieces of a split zip, in order, each given as the
    distribution name of a package holding one ``*.zip.NNN`` file, or as the ``Path`` of a piece.
    ``sha256`` is the hash of the concatenated zip; the checkpoint is unzipped once into
    ``$XBENCH_HOME/models/`` (see ``xbench.models.assemble``)."""

    package: str = ""
    subpath: str = ""
    path: Path | None = None
    install: str = ""
    parts: tuple[str | Path, ...] = ()
    sha256: str = ""
    kind = "model alias"


@dataclass(frozen=True)
class TaskDirectory(Component):
    """A folder of YAML specs; ``name`` is informational, ``path`` is what counts."""

    path: Path = field(default_factory=Path)
    kind = "task directory"

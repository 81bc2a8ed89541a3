"""Resolving ``--model``: a local folder, a registered alias, or a hub id (in that order)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from xbench.errors import UserError
from xbench.models.assemble import assembled_path


def alias_path(alias) -> Path:
    """The checkpoint folder an alias names, found without importing its package. An alias with
    ``parts`` is unzipped into ``$XBENCH_HOME/models/`` on first use (``xbench.models.assemble``)."""
    if alias.parts:
        return assembled_path(alias)
    if alias.path is not None:
        return Path(alias.path)
    spec = importlib.util.find_spec(alias.package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"model alias '{alias.name}' needs the package '{alias.package}', which is not "
                        f"installed (fix: {alias.install or 'pip install ' + alias.package})")
    folder = Path(list(spec.submodule_search_locations)[0]) / alias.subpath
    if not (folder / "config.json").is_file():
        raise UserError(f"model alias '{alias.name}': no config.json in {folder} "
                        f"(fix: reinstall with {alias.install or 'pip install ' + alias.package})")
    return folder


def resolve_model(name: str, registry) -> str:
    """A local path or hub id for ``name``. Local folders win over aliases, aliases over hub ids."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    aliases = registry.collect("model_aliases")
    if name in aliases:
        return str(alias_path(aliases[name]))
    return name  # a hub id; transformers reports it if it cannot be found offline

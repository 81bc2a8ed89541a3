"""Whether an adapter named with ``--adapter`` fits the model folder, asked before anything loads.

An adapter's ``claims`` (architecture globs, e.g. causal-lm's ``*ForCausalLM``) say which checkpoints
it is for. A named adapter with claims that match none of the folder's ``config.json``
``architectures`` (causal-lm on an encoder such as BERT), or the generic default adapter on a folder
another adapter claims (hf on a GPT-2), would fail deep inside loading or scoring with a traceback;
both are refused here in one line. A folder whose config names no architectures cannot be judged
and is let through; so is ``--adapter auto``, which picks by the same claims.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from xbench.errors import UserError


def _architectures(model_path: str) -> tuple[list[str], str | None, Path] | None:
    config = Path(model_path) / "config.json"
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a hub id, or a config the loader reports on
    if not isinstance(doc, dict):
        return None
    archs = doc.get("architectures") or []
    return ([a for a in archs if isinstance(a, str)], doc.get("model_type"), config) if archs else None


def _claimed(archs: list[str], claims) -> bool:
    return any(fnmatch.fnmatchcase(a, pattern) for a in archs for pattern in claims)


def check_adapter_fits(requested: str, model_path: str, registry) -> None:
    """A one-line ``UserError`` when the adapter the user named cannot evaluate this folder."""
    from xbench.models.hf import DEFAULT_ADAPTER

    if requested == "auto":
        return
    found = _architectures(model_path)
    if found is None:
        return
    archs, model_type, config = found
    adapters = registry.collect("model_adapters")
    chosen = adapters.get(requested)
    if chosen is None:
        return  # an unknown name is reported by the registry, with did-you-mean
    says = f"{config} says model_type {model_type!r}, architectures {', '.join(archs)}"
    claims = tuple(getattr(chosen, "claims", ()) or ())
    if claims and not _claimed(archs, claims):
        raise UserError(f"--adapter {requested}: {says}, none of which adapter {requested} is for "
                        f"({', '.join(claims)}) (fix: drop --adapter, so that auto picks the adapter from "
                        f"config.json, or give --model a folder of a model {requested} evaluates)")
    if not claims and requested == DEFAULT_ADAPTER:
        owners = [name for name, a in adapters.items() if name != requested and _claimed(archs, a.claims or ())]
        if owners:
            raise UserError(f"--adapter {requested}: {says}, a model for adapter {owners[0]} "
                            f"({', '.join(adapters[owners[0]].claims)}), which {requested} cannot evaluate "
                            f"(fix: --adapter {owners[0]}, or drop --adapter, so that auto picks it)")


def check_adapter_options(config, adapter_name: str, prompted: bool) -> None:
    """Options of prompted evaluation refused for an adapter that does not prompt (they would do nothing)."""
    if config.num_fewshot and not prompted:
        raise UserError(f"--num-fewshot {config.num_fewshot}: applies to prompted evaluation (causal LMs), but "
                        f"{config.model} is evaluated with adapter {adapter_name}, which fine-tunes a head "
                        f"(fix: drop --num-fewshot, or evaluate a causal LM)")

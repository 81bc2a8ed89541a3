"""The data layer: real benchmark files in, canonical examples out.

Public API (heavy libraries are imported only when these are called)::

    from xbench.data import load_split, tokenize_cached
    loaded = load_split(task_spec, "test", "th", data_dir=None, limit=None)   # -> LoadedSplit
    loaded.dataset, loaded.source, loaded.flags, loaded.skipped, loaded.split
    tokenized = tokenize_cached(loaded, fn, tokenizer_id=..., max_length=128, spec_version=task_spec.version)

Where data comes from (in order): ``data_dir`` / ``$XBENCH_DATA_DIR`` when given (then never the hub;
layout named or detected), else the Hugging Face hub ids of the spec. Details: ``xbench.data.api``.
Pieces: ``formats/`` (one loader per published format), ``layouts/*.yaml`` + ``manifest`` (where files
live), ``reader``, ``canonical`` (rows → canonical examples through the spec's task type class, which
owns its schema: ``xbench.tasktypes.base``), ``examples_cache`` (a local cell's examples, reused by the
next run), ``hub``, ``tokenize``, ``check/`` (``xbench data check``).
"""

from __future__ import annotations

__all__ = ["load_split", "read_cell", "LoadedSplit", "tokenize_cached", "tokenizer_identity",
           "MissingDataError", "DataFileError"]


def __getattr__(name: str):
    if name in ("load_split", "read_cell", "LoadedSplit"):
        from xbench.data import api

        return getattr(api, name)
    if name in ("tokenize_cached", "tokenizer_identity"):
        from xbench.data import tokenize

        return getattr(tokenize, name)
    if name in ("MissingDataError", "DataFileError"):
        from xbench.data import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'xbench.data' has no attribute {name!r}")

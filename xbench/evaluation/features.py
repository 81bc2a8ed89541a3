"""Encoding examples into model features through ``Dataset.map`` with an on-disk cache.

The cache (``xbench.data.tokenize_cached``) is keyed by the loaded data's fingerprint, the tokenizer's
identity, the maximum length, the spec version, the task type and a hash of the examples as given
(they may have been adjusted after loading, e.g. XCOPA's English question words), so a second run
reuses the features and any change recomputes them.
"""

from __future__ import annotations

import hashlib
import json
import marshal

INDEX = "_example_index"


def encode_cached(task_type, loaded, examples: list[dict], spec_version) -> list[dict]:
    """``task_type.encode(examples)``, served from the tokenisation cache when possible."""
    from datasets import Dataset

    from xbench.data.tokenize import tokenize_cached, tokenizer_identity

    if not examples:
        return []
    columns = [*examples[0], INDEX]
    extra = f"{type(task_type).__name__}:{json.dumps(task_type.options, sort_keys=True)}:{examples_digest(examples)}"

    def make_dataset():  # (only when the features are not cached)
        table = {key: [ex[key] for ex in examples] for key in columns[:-1]}
        table[INDEX] = list(range(len(examples)))
        return Dataset.from_dict(table)

    def fn(batch: dict) -> dict:
        rows = [dict(zip(batch, values)) for values in zip(*batch.values())]
        feats = task_type.encode([{k: v for k, v in r.items() if k != INDEX} for r in rows])
        for f in feats:
            f["example_index"] = rows[f["example_index"]][INDEX]  # batch position -> example position
        keys = list(feats[0]) if feats else []
        return {k: [f[k] for f in feats] for k in keys}

    mapped = tokenize_cached(loaded, fn, tokenizer_id=tokenizer_identity(task_type.tokenizer),
                             max_length=task_type.max_length, spec_version=spec_version, extra_key=extra,
                             remove_columns=columns, make_dataset=make_dataset)
    return as_rows(mapped)


def examples_digest(examples: list[dict]) -> str:
    """A hash of the examples as given. ``marshal`` format 0 (no object references or interning marks,
    so equal values give equal bytes; the same values in another key order give another hash, i.e. a
    cache miss, never a wrong hit): ~7x faster than sorted JSON; JSON for values marshal cannot write."""
    try:
        data = b"m0" + marshal.dumps(examples, 0)
    except ValueError:
        data = json.dumps(examples, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def as_rows(dataset) -> list[dict]:
    """``dataset.to_list()``; straight from the Arrow table (~2x faster) when nothing needs decoding
    and no index mapping is on it, as with the mapped datasets here."""
    from datasets.features.features import require_decoding

    features = dataset.features or {}
    if getattr(dataset, "_indices", None) is None and not any(require_decoding(f) for f in features.values()):
        return dataset.data.table.to_pylist()
    return dataset.to_list()

"""How a tokenizer copes with a cell: unknown-token rate and subword fertility (subwords per word).

The texts measured are the ones the task type names (``texts(row)``); words are whitespace-separated
(for data given as tokens: the tokens), so fertility is not comparable for languages written without
spaces (ja, zh, th). A sample of at most ``SAMPLE`` rows is measured.
"""

from __future__ import annotations

SAMPLE = 300


def load_tokenizer(model: str, registry=None):
    """A tokenizer from a local folder, a registered model alias, or (online) a hub id."""
    from transformers import AutoTokenizer

    from xbench.errors import UserError
    from xbench.models.aliases import resolve_model

    if registry is None:
        from xbench.registry import get_registry

        registry = get_registry()
    from pathlib import Path

    from xbench.models.load_check import check_tokenizer_works, tokenizer_error

    path = resolve_model(model, registry)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)  # never a model's own code
    except Exception as err:  # noqa: BLE001 - any loading failure is reported as one line
        from xbench.models.hf import needs_remote_code, remote_code_error

        if needs_remote_code(err):
            raise remote_code_error(path, "measure with a tokenizer that needs no custom code (this check never "
                                    "runs any); `xbench eval --trust-remote-code` evaluates the model if you trust it") from None
        if Path(path).is_dir() and not isinstance(err, OSError):  # a damaged file of a local folder, named
            raise tokenizer_error(path, err) from None
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"cannot load a tokenizer from '{model}': {first} "
                        "(fix: pass a local model folder or a registered alias, see `xbench plugins`)") from None
    check_tokenizer_works(path, tokenizer)
    return tokenizer


def measure(tokenizer, task_type, rows: list[dict]) -> dict:
    """``{"unk_rate": float | None, "fertility": float | None}`` over a sample of rows, measured on
    the texts the task type class ``task_type`` names (``texts(row)``)."""
    texts = [t for r in rows[:SAMPLE] for t in task_type.texts(r) if t and t.strip()]
    if not texts:
        return {"unk_rate": None, "fertility": None}
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"]
    subwords = sum(len(ids) for ids in encoded)
    words = sum(len(t.split()) for t in texts)
    unk = tokenizer.unk_token_id
    unknown = sum(ids.count(unk) for ids in encoded) if unk is not None else 0
    return {"unk_rate": unknown / subwords if subwords else None, "fertility": subwords / words if words else None}

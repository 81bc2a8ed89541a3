"""The built-in model adapter: Hugging Face transformers checkpoints (local folders or hub ids).

An adapter is how the engine turns a checkpoint into a tokenizer and a model with a task type's head.
Task types name the head as a transformers Auto class (``AutoModelForTokenClassification``, …);
another adapter (registered through the ``xbench_model_adapters`` hook and chosen with
``xbench eval --adapter NAME``) can map those names to its own model classes.
"""

from __future__ import annotations

from xbench.errors import UserError


class HFAdapter:
    name = "hf"

    def load_model(self, path: str, auto_class: str, **kwargs):
        import transformers

        cls = getattr(transformers, auto_class)
        return cls.from_pretrained(path, **kwargs)

    def load_tokenizer(self, path: str):
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(path)
        except OSError as exc:
            raise UserError(f"--model {path}: cannot load a tokenizer ({str(exc).splitlines()[0]}) (fix: give a "
                            "local checkpoint folder, a registered alias such as minilm-l6, or a hub id with "
                            "network access)") from None

    def num_layers(self, path: str) -> int:
        from transformers import AutoConfig

        cfg = AutoConfig.from_pretrained(path)
        return getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layer", None) or 12


DEFAULT_ADAPTER = "hf"


def choose_adapter(requested: str, model_path: str, registry) -> str:
    """The adapter name for a checkpoint: ``requested`` unless it is ``auto``; then the adapter whose
    ``claims`` match an architecture in the checkpoint's ``config.json`` (none, or no local config: hf)."""
    import fnmatch
    import json
    from pathlib import Path

    if requested != "auto":
        registry.get("model_adapters", requested)  # an unknown name fails here, with did-you-mean
        return requested
    config = Path(model_path) / "config.json"
    try:
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError):
        return DEFAULT_ADAPTER  # a hub id, or a config transformers will report on
    for name, adapter in registry.collect("model_adapters").items():
        if any(fnmatch.fnmatchcase(a, pattern) for a in architectures for pattern in adapter.claims):
            return name
    return DEFAULT_ADAPTER

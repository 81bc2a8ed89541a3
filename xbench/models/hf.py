"""The built-in model adapter: Hugging Face transformers checkpoints (local folders or hub ids).

An adapter is how the engine turns a checkpoint into a tokenizer and a model with a task type's head.
Task types name the head as a transformers Auto class (``AutoModelForTokenClassification``, …);
another adapter (registered through the ``xbench_model_adapters`` hook and chosen with
``xbench eval --adapter NAME``) can map those names to its own model classes.

Loading runs no code from a model folder: a folder whose ``config.json`` (``auto_map``) needs its own
Python code is refused unless ``trust_remote_code`` (``--trust-remote-code``), and pickle weights
(``pytorch_model.bin``) unless ``allow_pickle`` (``--allow-pickle``; transformers then reads them with
``torch.load(weights_only=True)``). The runner sets both attributes on every adapter it makes
(``make_adapter``); transformers never gets to ask ``[y/N]`` on the terminal.
"""

from __future__ import annotations

from pathlib import Path

from xbench.errors import UserError


PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")


class HFAdapter:
    name = "hf"
    trust_remote_code = False  # run a model folder's own Python code (auto_map): --trust-remote-code
    allow_pickle = False  # load pickle weights (pytorch_model.bin, with weights_only=True): --allow-pickle

    def load_model(self, path: str, auto_class: str, **kwargs):
        import transformers

        cls = getattr(transformers, auto_class)
        return self.from_pretrained(cls, path, **kwargs)

    def load_tokenizer(self, path: str):
        from transformers import AutoTokenizer

        self.refuse_remote_code(path)
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=self.trust_remote_code)
        except OSError as exc:
            from xbench.models.aliases import alias_hint

            raise UserError(f"--model {path}: cannot load a tokenizer ({str(exc).splitlines()[0]}){alias_hint(path)} "
                            "(fix: give a "
                            "local checkpoint folder, a registered alias such as minilm-l6, or a hub id with "
                            "network access)") from None
        except Exception as exc:  # noqa: BLE001 - a damaged tokenizer file (JSON, vocab, sentencepiece), named
            from xbench.models.load_check import tokenizer_error

            if needs_remote_code(exc):
                raise remote_code_error(path) from None
            raise tokenizer_error(path, exc) from None
        from xbench.models.load_check import check_tokenizer_works

        check_tokenizer_works(path, tokenizer)
        return tokenizer

    def num_layers(self, path: str) -> int:
        from transformers import AutoConfig

        try:
            cfg = AutoConfig.from_pretrained(path, trust_remote_code=self.trust_remote_code)
        except ValueError as exc:
            if needs_remote_code(exc):
                raise remote_code_error(path) from None
            if Path(path).is_dir():  # a config.json transformers refuses (a field of the wrong kind)
                from xbench.models.load_check import config_error

                raise config_error(path, exc) from None
            raise
        return getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layer", None) or 12

    def check_weights(self, path: str) -> None:
        """Refuse a local folder whose only weights are pickles (unless ``allow_pickle``), before any
        data is read; a hub id is checked when it is loaded (``use_safetensors=True``)."""
        folder = Path(path)
        if self.allow_pickle or not folder.is_dir() or any((folder / n).is_file() for n in SAFE_WEIGHTS):
            return
        pickles = [n for n in PICKLE_WEIGHTS if (folder / n).is_file()]
        if pickles:
            raise pickle_error(path, f"its only weights are a pickle file ({pickles[0]})")

    def refuse_remote_code(self, path: str) -> None:
        """Refuse a local folder that declares its own code (``auto_map`` in config.json or
        tokenizer_config.json) unless ``trust_remote_code``: for a known ``model_type`` transformers
        would quietly build its own class instead, which need not be the model the folder describes."""
        folder = Path(path)
        if self.trust_remote_code or not folder.is_dir():
            return
        import json

        for name in ("config.json", "tokenizer_config.json"):
            try:
                declared = json.loads((folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # absent or damaged: the loaders' own checks name it
            if isinstance(declared, dict) and declared.get("auto_map"):
                raise UserError(f"{folder / name}: asks to run Python code shipped with the model (auto_map), which "
                                "xbench never does unasked (fix: read that code, then add --trust-remote-code if you "
                                "trust it, or remove auto_map to load transformers' built-in class)")

    def from_pretrained(self, cls, path: str, **kwargs):
        """``cls.from_pretrained`` under xbench's loading rules (see the module docstring); their
        refusals are one-line ``UserError``s."""
        self.refuse_remote_code(path)
        self.check_weights(path)
        kwargs.setdefault("trust_remote_code", self.trust_remote_code)
        if not self.allow_pickle:
            kwargs.setdefault("use_safetensors", True)
        kwargs.setdefault("weights_only", True)
        from safetensors import SafetensorError

        # a head of another label count may be re-initialised (the caller says so); every other weight
        # that is new or of another shape is reported by checkpoint_misfit instead of transformers
        head_may_differ = bool(kwargs.pop("ignore_mismatched_sizes", False))
        try:
            model, info = cls.from_pretrained(path, ignore_mismatched_sizes=True, output_loading_info=True, **kwargs)
        except SafetensorError as exc:  # e.g. a cut-short model.safetensors: named, with its sizes
            from xbench.models.weights_check import damaged_weights_error

            raise damaged_weights_error(path, exc) from None
        except OSError as exc:
            if not self.allow_pickle and not Path(path).is_dir() and "safetensors" in str(exc):
                raise pickle_error(path, "the hub has no safetensors weights for it") from None
            raise
        except Exception as exc:  # noqa: BLE001 - named only when config.json alone cannot build the model
            if isinstance(exc, ValueError) and needs_remote_code(exc):
                raise remote_code_error(path) from None
            from xbench.models.load_check import config_build_error

            error = config_build_error(path, cls, exc)
            if error is None:
                raise
            raise error from None
        from xbench.models.load_check import checkpoint_misfit

        misfit = checkpoint_misfit(path, model, info, head_may_differ)
        if misfit is not None:
            raise misfit
        return model


def make_adapter(registry, name: str, *, trust_remote_code: bool = False, allow_pickle: bool = False):
    """An instance of the registered adapter ``name`` with the user's loading permissions set as the
    attributes ``trust_remote_code`` and ``allow_pickle`` (an adapter that reads no Hugging Face files
    may ignore them)."""
    adapter = registry.get("model_adapters", name).load()()
    adapter.trust_remote_code = bool(trust_remote_code)
    adapter.allow_pickle = bool(allow_pickle)
    return adapter


def needs_remote_code(exc: Exception) -> bool:
    """Whether transformers refused because the model needs its own code and trust_remote_code is off."""
    return "trust_remote_code" in str(exc)


def remote_code_error(path: str, fix: str = "read that code, then add --trust-remote-code if you trust it") -> UserError:
    return UserError(f"model {path}: loading it would run Python code shipped with the model (auto_map in its "
                     f"config.json or tokenizer_config.json), which xbench never does unasked (fix: {fix})")


def pickle_error(path: str, what: str) -> UserError:
    return UserError(f"model {path}: {what}; loading a pickle can run code, so xbench loads safetensors only "
                     "(fix: convert the weights to model.safetensors, e.g. with transformers' save_pretrained, "
                     "or add --allow-pickle if you trust the file)")


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

"""Whether a loaded checkpoint is the one its folder's files describe, and naming the file at fault
when a config or tokenizer cannot be loaded at all.

transformers loads a checkpoint whose ``config.json`` does not fit its weights without complaint: a
weight of another shape (``ignore_mismatched_sizes``, which xbench needs for task heads of another
label count) or of a name the model does not use is newly initialised, and the evaluation runs on
random weights. ``checkpoint_misfit`` reads transformers' own loading report (``output_loading_info``)
instead of guessing names: only the task head (the weights outside the model class's
``base_model_prefix``) may be new or of another shape.

The other helpers run only after loading has failed, so nothing here slows down or changes a
successful load.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from xbench.errors import UserError

CONFIG_FIX = "restore config.json as it was saved with the weights, or re-save the model with save_pretrained"
TOKENIZER_FIX = ("re-save the tokenizer into the folder, e.g. AutoTokenizer.from_pretrained(ORIGINAL)"
                 ".save_pretrained(FOLDER), or restore the file from the model's release")
JSON_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                        "vocab.json")
TEXT_TOKENIZER_FILES = ("vocab.txt", "merges.txt")
SENTENCEPIECE_FILES = ("sentencepiece.bpe.model", "spiece.model", "tokenizer.model")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


# ---- weights that do not fit the config -----------------------------------------------------------

def checkpoint_misfit(path: str, model, info: dict, head_may_differ: bool) -> UserError | None:
    """The error for a loaded checkpoint whose encoder weights are not all loaded as saved (None: they
    are). ``info`` is transformers' loading info; ``head_may_differ``: the caller asked for a task head
    that may be new or of another label count (weights outside ``base_model_prefix``)."""
    base = getattr(model, "base_model", model)
    prefix = model.base_model_prefix + "." if base is not model and model.base_model_prefix else ""
    encoder_keys = list(base.state_dict())  # in the model's own order: the first misfit is the first one met
    position = {k: i for i, k in enumerate(encoder_keys)}

    def encoder_name(key: str) -> str | None:
        """``key`` relative to the encoder, or None for a head weight that may be new."""
        if prefix and key.startswith(prefix):
            return key[len(prefix):]
        return None if head_may_differ and prefix else key

    config, weights = _config_file(path), _weights_name(path)
    mismatched = sorted(((encoder_name(k), ckpt, mine) for k, ckpt, mine in info.get("mismatched_keys") or ()
                         if encoder_name(k) is not None), key=lambda m: position.get(m[0], len(position)))
    if mismatched:
        key, ckpt, mine = mismatched[0]
        more = f" (and {len(mismatched) - 1} more weights)" if len(mismatched) > 1 else ""
        return UserError(f"{config}: does not fit the weights in {weights}: {prefix}{key} is {_shape(ckpt)} in the "
                         f"checkpoint but {_shape(mine)} by config.json{_fields_hint(path, ckpt, mine)}{more}, so it "
                         f"would be newly initialised (fix: {CONFIG_FIX})")

    missing = {encoder_name(k) for k in info.get("missing_keys") or ()} - {None}
    if missing and missing >= set(encoder_keys):  # nothing of the encoder loaded: names of another architecture
        saved = _saved_prefix(info.get("unexpected_keys") or ())
        model_type = getattr(model.config, "model_type", "?")
        return UserError(f"{config}: none of the weights in {weights} have the names model_type '{model_type}' in "
                         f"config.json expects (e.g. {prefix}{encoder_keys[0]}){saved}, so every weight would be "
                         f"newly initialised (fix: set model_type to the architecture the weights were saved "
                         f"with, or {CONFIG_FIX})")
    # a part of the encoder the checkpoint has none of (a pooler, which checkpoints saved from a
    # masked-LM or tagging model lack) is newly initialised like the head; a part it has only some of is not
    parts = {}
    for key in encoder_keys:
        parts.setdefault(key.split(".")[0], set()).add(key)
    partial = sorted((k for k in missing if not parts.get(k.split(".")[0], set()) <= missing),
                     key=lambda k: position.get(k, len(position)))
    if partial:
        more = f" (and {len(partial) - 1} more)" if len(partial) > 1 else ""
        return UserError(f"{config}: the weights in {weights} lack {prefix}{partial[0]}{more} of the model it "
                         f"describes, which would be newly initialised{_suspects_hint(path)} (fix: {CONFIG_FIX})")

    # weights the checkpoint holds for a part of the encoder the config builds smaller (fewer layers)
    children = {name for name, module in base.named_children() if module is not None}
    state = set(encoder_keys)
    extra = []
    for key in info.get("unexpected_keys") or ():
        rel = key[len(prefix):] if prefix and key.startswith(prefix) else key
        if rel.split(".")[0] in children and rel not in state:
            extra.append(key)  # named as in the checkpoint
    if extra:
        extra.sort(key=_natural)
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        return UserError(f"{config}: the weights in {weights} hold {extra[0]}{more}, which the model it describes "
                         f"has no place for, so they would be dropped{_suspects_hint(path)} (fix: {CONFIG_FIX})")
    return architecture_misfit(path, model)


def architecture_misfit(path: str, model) -> UserError | None:
    """config.json's ``architectures`` (what the weights were saved from) against its ``model_type``
    (what transformers builds): weights whose names happen to fit another architecture (a BERT folder
    relabelled 'roberta') load without a missing weight, yet run under another model's code."""
    import transformers

    doc = _config_doc(path)
    model_type = getattr(model.config, "model_type", None)
    for arch in doc.get("architectures") or ():
        cls = getattr(transformers, arch, None) if isinstance(arch, str) and arch.isidentifier() else None
        config_class = getattr(cls, "config_class", None)
        saved = getattr(config_class, "model_type", None)
        # a model's own code (auto_map) may subclass the architecture it names: that is the same model
        if saved and isinstance(config_class, type) and not isinstance(model.config, config_class):
            return UserError(f"{_config_file(path)}: model_type is '{model_type}', but the weights were saved "
                             f"from {arch}, a '{saved}' model (architectures), so they would run under another "
                             f"model's code (fix: set model_type back to '{saved}', or {CONFIG_FIX})")
    return None


def _shape(shape) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


def _natural(key: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]


def _config_file(path: str) -> str:
    folder = Path(path)
    return str(folder / "config.json") if folder.is_dir() else f"config.json of model {path}"


def _weights_name(path: str) -> str:
    folder = Path(path)
    if folder.is_dir():
        for name in WEIGHT_FILES:
            if (folder / name).is_file():
                return name
    return "the checkpoint"


def _config_doc(path: str) -> dict:
    try:
        doc = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _fields_hint(path: str, ckpt, mine) -> str:
    """Which config.json fields hold the size that differs (what the user most likely changed)."""
    doc = _config_doc(path)
    for saved, built in zip(ckpt, mine):
        if int(saved) != int(built):
            fields = [k for k, v in doc.items() if type(v) is int and v == int(built)]
            if fields:
                return f" ({' or '.join(fields)} is {int(built)} in config.json, the checkpoint has {int(saved)})"
            return ""
    return ""


def _suspects_hint(path: str) -> str:
    bad = suspect_fields(_config_doc(path))
    return f" (config.json has {', '.join(f'{k} {v}' for k, v in bad)})" if bad else ""


def suspect_fields(doc: dict) -> list[tuple[str, int]]:
    """Size and count fields of a config that no model can have: negative, or zero for a size."""
    out = []
    for key, value in doc.items():
        if type(value) is not int or key.endswith(("_id", "_ids")):
            continue  # token ids may be 0 (and -1 means none in some configs)
        sized = key.startswith("num_") or key.endswith(("_size", "_embeddings", "_layers", "_heads", "_dim"))
        if value < 0 or (value == 0 and sized):
            out.append((key, value))
    return out


def _saved_prefix(unexpected) -> str:
    """What most of the checkpoint's own names start with (often the architecture it was saved as)."""
    from collections import Counter

    firsts = Counter(k.split(".")[0] for k in unexpected if "." in k)
    if firsts:
        name, count = firsts.most_common(1)[0]
        if count * 2 > sum(firsts.values()):
            return f"; the checkpoint's weights are named '{name}.…'"
    return ""


# ---- config.json that no model can be built from ----------------------------------------------------

def config_build_error(path: str, cls, exc: Exception) -> UserError | None:
    """After ``cls.from_pretrained(path)`` raised ``exc``: the error naming config.json when the config
    alone cannot build the model (built on the meta device: no memory, no weights read), else None."""
    folder = Path(path)
    if not (folder / "config.json").is_file():
        return None
    import torch
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(path)
        with torch.device("meta"):
            cls.from_config(config)
    except Exception as err:  # noqa: BLE001 - whatever the config makes the model's own code raise
        return config_error(path, err)
    return None


def config_error(path: str, err: Exception) -> UserError:
    reason = _first_line(err)
    bad = suspect_fields(_config_doc(path))
    fields = [k for k, v in bad if re.search(rf"(?<![\w.]){re.escape(str(v))}(?![\w])", reason)] or [k for k, _ in bad]
    named = f" (field {', '.join(f'{k!r}' for k in fields)})" if fields else ""
    return UserError(f"{_config_file(path)}: no model can be built from it{named}: {reason} "
                     f"(fix: correct {'that field' if len(fields) == 1 else 'the field'}, or {CONFIG_FIX})")


# ---- tokenizer files ------------------------------------------------------------------------------

def tokenizer_error(path: str, err: Exception) -> UserError:
    """The one line for a tokenizer that failed to load or to encode: the first damaged tokenizer file
    of the folder when one is found, else the folder and transformers' reason."""
    reason = _first_line(err)
    folder = Path(path)
    if folder.is_dir():
        found = damaged_tokenizer_file(folder, reason)
        if found is not None:
            where, what = found
            return UserError(f"{where}: {what}, so the tokenizer cannot be loaded (fix: {TOKENIZER_FIX})")
        return UserError(f"{folder}: the tokenizer cannot be loaded ({reason}) (fix: {TOKENIZER_FIX})")
    return UserError(f"--model {path}: the tokenizer cannot be loaded ({reason}) (fix: {TOKENIZER_FIX})")


def damaged_tokenizer_file(folder: Path, reason: str = "") -> tuple[str, str] | None:
    """(where, what) for the first tokenizer file of ``folder`` that is empty, not valid JSON or
    named in the loader's ``reason``."""
    for name in JSON_TOKENIZER_FILES:
        f = folder / name
        if not f.is_file():
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return str(f), "is not UTF-8 text"
        if not text.strip():
            return str(f), "is empty"
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            # a cut file fails at its very end, inside a string that never closes or in a cut true/false/null
            tail = text[e.pos:].rstrip()
            ends = (e.pos >= len(text.rstrip()) - 1 or e.msg.startswith("Unterminated string")
                    or any(word.startswith(tail) for word in ("true", "false", "null")))
            return f"{f}:{e.lineno}", ("the JSON ends early (the file is cut short)" if ends else
                                       f"not valid JSON ({e.msg} at column {e.colno})")
    for name in TEXT_TOKENIZER_FILES + SENTENCEPIECE_FILES:
        f = folder / name
        if f.is_file() and (f.stat().st_size == 0 or (name in TEXT_TOKENIZER_FILES and not f.read_bytes().strip())):
            return str(f), "is empty"
    for name in TEXT_TOKENIZER_FILES + SENTENCEPIECE_FILES:
        if (folder / name).is_file() and name in reason:
            return str(folder / name), f"cannot be read ({reason})"
    sentencepiece = [n for n in SENTENCEPIECE_FILES if (folder / n).is_file()]
    if sentencepiece and not (folder / "tokenizer.json").is_file():
        return str(folder / sentencepiece[0]), f"cannot be read as a sentencepiece model ({reason})"
    vocab = [n for n in TEXT_TOKENIZER_FILES if (folder / n).is_file()]
    if vocab and not (folder / "tokenizer.json").is_file() and "vocab" in reason.lower():
        return str(folder / vocab[0]), f"does not make a usable vocabulary ({reason})"
    return None


def check_tokenizer_works(path: str, tokenizer) -> None:
    """Encode a pair of short texts once: a vocabulary that loads but cannot encode (an empty
    vocab.txt has no [UNK]) fails here, naming its file, not in the middle of a run."""
    try:
        tokenizer("a b", "c")
    except Exception as err:  # noqa: BLE001 - the tokenizer's own failure, whatever its type
        raise tokenizer_error(path, err) from None
    check_vocabulary_size(path, tokenizer)


def check_vocabulary_size(path: str, tokenizer) -> None:
    """A tokenizer far smaller than the model's embedding table has lost its vocabulary (a folder
    with tokenizer_config.json but no tokenizer.json / vocab file loads as its special tokens alone,
    and every word becomes [UNK]): refused, instead of evaluating garbage."""
    config = Path(path) / "config.json"
    try:  # (a hub id, or no usable config.json: nothing to compare; the config checks name a bad one)
        vocab_size = int(_config_doc(path).get("vocab_size") or 0)
    except (TypeError, ValueError):
        return
    have = len(tokenizer)
    if vocab_size and have < vocab_size / 2:
        files = sorted(p.name for p in Path(path).iterdir() if p.name.startswith(("tokenizer", "vocab", "spiece",
                                                                                    "sentencepiece", "merges")))
        raise UserError(f"--model {path}: the tokenizer has {have} tokens but {config} says vocab_size {vocab_size}: "
                        f"its vocabulary is missing or belongs to another model (tokenizer files: "
                        f"{', '.join(files) or 'none'}) (fix: save the model's own tokenizer into the folder, "
                        "e.g. AutoTokenizer.from_pretrained(ORIGINAL).save_pretrained(FOLDER))")


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__

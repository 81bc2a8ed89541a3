"""A local checkpoint folder, checked before any loader sees it: a broken folder (empty, no or bad
config.json, no tokenizer, a cut-short weights file) is one line naming the file and the fix, not a
transformers or safetensors traceback."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from xbench.errors import UserError

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model",
                   "sentencepiece.bpe.model", "tokenizer.model")


def check_model_folder(name: str, folder: Path) -> None:
    config = folder / "config.json"
    if not any(folder.iterdir()):
        raise UserError(f"--model {name}: the folder is empty (fix: give the folder that save_pretrained wrote: "
                        "config.json, the weights and the tokenizer files)")
    if not config.is_file():
        raise UserError(f"--model {name}: no config.json in {folder} (fix: give the folder that holds config.json, "
                        "the weights and the tokenizer files, e.g. the output of save_pretrained)")
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{config}: not UTF-8 text (fix: restore config.json from the model's release)") from None
    except json.JSONDecodeError as err:
        raise UserError(f"{config}:{err.lineno}: not valid JSON ({err.msg} at column {err.colno}) "
                        "(fix: restore config.json from the model's release)") from None
    if not isinstance(doc, dict):
        raise UserError(f"{config}: must be a JSON object, not {type(doc).__name__} "
                        "(fix: restore config.json from the model's release)")
    if "model_type" not in doc:
        raise UserError(f"{config}: no 'model_type' key, so transformers cannot tell the architecture "
                        "(fix: restore config.json from the model's release, or add e.g. \"model_type\": \"bert\")")
    if not any((folder / n).is_file() for n in TOKENIZER_FILES):
        raise UserError(f"--model {name}: no tokenizer files in {folder} (none of {', '.join(TOKENIZER_FILES[:3])}, "
                        "…) (fix: save the tokenizer into the folder too: tokenizer.save_pretrained(FOLDER))")
    for weights in sorted(folder.glob("*.safetensors")):
        check_safetensors(weights)


def check_safetensors(path: Path) -> None:
    """A safetensors file whose size covers what its header promises (an interrupted copy or download
    is cut short). Reads the header only: 8 bytes of length, then a JSON table of tensor offsets."""
    fix = "(fix: copy or download the checkpoint again; a copy or download was probably interrupted)"
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise UserError(f"{path}: damaged weights file: {size} bytes, too short for a safetensors header {fix}")
        (length,) = struct.unpack("<Q", head)
        if 8 + length > size:
            raise UserError(f"{path}: damaged weights file: its header says {length} bytes of header, the file "
                            f"has {size} bytes in all {fix}")
        try:
            table = json.loads(fh.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise UserError(f"{path}: damaged weights file: its safetensors header is not valid JSON {fix}") from None
    ends = [entry["data_offsets"][1] for key, entry in table.items()
            if key != "__metadata__" and isinstance(entry, dict) and len(entry.get("data_offsets") or ()) == 2]
    needed = 8 + length + max(ends, default=0)
    if needed > size:
        raise UserError(f"{path}: damaged weights file: {size} bytes, its header needs {needed} {fix}")

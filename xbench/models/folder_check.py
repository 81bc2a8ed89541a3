"""A local checkpoint folder, checked before any loader sees it: a broken folder (empty, no or bad
config.json, no tokenizer) is one line naming the file and the fix, not a
transformers or safetensors traceback."""

from __future__ import annotations

import json
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

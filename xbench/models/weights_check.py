"""Naming the damaged weights file after safetensors refused to open it.

Only called once loading has already failed: nothing here runs on the way to a successful load, so it
cannot change which checkpoints count as finished or how long a load takes. safetensors' own error
names no file; this reads each ``*.safetensors`` header of the folder (8 bytes of length, then a JSON
table of tensor offsets) to find the one whose size falls short of what its header declares.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from xbench.errors import UserError

FIX = "re-download or re-save the model, e.g. with save_pretrained"


def damaged_weights_error(path: str, exc: Exception) -> UserError:
    """The one line for a safetensors load failure of the checkpoint at ``path`` (a folder or hub id)."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    folder = Path(path)
    files = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []  # what from_pretrained reads
    for weights in files:
        short = shortfall(weights)
        if short is not None:
            return UserError(f"model weights file {weights} is cut short ({short}) (fix: {FIX}; a copy or "
                             "download was probably interrupted)")
    where = (f"model weights file {files[0]}" if len(files) == 1 else
             f"a weights file in {folder}" if files else f"the weights of model {path}")
    return UserError(f"{where} cannot be read by safetensors ({reason}) (fix: {FIX})")


def shortfall(path: Path) -> str | None:
    """How the file falls short ("N of M bytes the header declares") when it is shorter than its
    header declares or too short to hold one; None when its size covers the header's promise."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return f"{size} bytes, too short even for the 8-byte header length"
        (length,) = struct.unpack("<Q", head)
        if 8 + length > size:  # the table of offsets itself is cut: the data needs more still
            return f"{size} of at least {8 + length} bytes the header declares"
        try:
            table = json.loads(fh.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None  # damaged, not short: the caller reports safetensors' reason
    if not isinstance(table, dict):
        return None
    ends = [entry["data_offsets"][1] for key, entry in table.items()
            if key != "__metadata__" and isinstance(entry, dict) and len(entry.get("data_offsets") or ()) == 2]
    needed = 8 + length + max(ends, default=0)
    return f"{size} of {needed} bytes the header declares" if needed > size else None

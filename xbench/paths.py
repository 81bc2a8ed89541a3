"""Where xbench keeps its own files (caches, results store): ``$XBENCH_HOME``, default ~/.cache/xbench."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def xbench_home() -> Path:
    return Path(os.environ.get("XBENCH_HOME") or Path.home() / ".cache" / "xbench")


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary file in the same folder, fsync it, rename it, fsync the folder: a crash
    (or a power cut) leaves the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); folders cannot be opened for this on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_folder(new: Path, folder: Path) -> None:
    """Put the complete folder ``new`` in place of ``folder`` by renames only: at every moment a
    complete copy exists as ``folder`` or ``folder.old`` (``restore_replaced`` undoes a kill between)."""
    import shutil

    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    new.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def restore_replaced(folder: Path) -> None:
    """After a kill inside ``replace_folder``: bring back the previous copy if no new one took its place."""
    old = folder.with_name(folder.name + ".old")
    if not folder.exists() and old.is_dir():
        old.rename(folder)


def data_dir_option(data_dir) -> Path | None:
    """``--data-dir`` (else ``$XBENCH_DATA_DIR``, else None: the hub) as a checked folder."""
    if data_dir is None and os.environ.get("XBENCH_DATA_DIR"):
        data_dir = os.environ["XBENCH_DATA_DIR"]
    if data_dir is None:
        return None
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        from xbench.errors import UserError

        what = "is a file, not a folder" if data_dir.exists() else "no such folder"
        raise UserError(f"--data-dir {data_dir}: {what} (fix: give the folder that holds the benchmark data, "
                        "e.g. ../shared/data, or set XBENCH_DATA_DIR to it)")
    return data_dir

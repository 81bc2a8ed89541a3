"""Reading text files the same way in every loader: UTF-8 (a BOM is dropped), CRLF or LF, located errors.

Lines are split on ``\\n`` only (not on U+2028 and the other separators ``str.splitlines`` knows),
because those characters occur inside JSON strings and sentences of the real datasets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from xbench.data.errors import DataFileError

BOM = b"\xef\xbb\xbf"
REENCODE_FIX = "convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.utf8`"


# (magic bytes, what the file is, how to get the text out): a compressed file is not re-encoded text
COMPRESSED = ((b"\x1f\x8b", "gzip", "mv {f} {f}.gz && gunzip {f}.gz"),
              (b"PK\x03\x04", "zip", "mv {f} {f}.zip && unzip {f}.zip, then put the data file at {f}"),
              (b"BZh", "bzip2", "mv {f} {f}.bz2 && bunzip2 {f}.bz2"), (b"\xfd7zXZ\x00", "xz", "mv {f} {f}.xz && unxz {f}.xz"),
              (b"\x28\xb5\x2f\xfd", "zstd", "mv {f} {f}.zst && unzstd --rm {f}.zst"))


def not_utf8(path: Path, raw: bytes, start: int, lineno: int, column: int) -> DataFileError:
    """The error for bytes that are not UTF-8: a compressed file is named as such (re-encoding it, the
    usual fix, would make garbage)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(8)
    except OSError:
        head = b""
    for magic, kind, command in COMPRESSED:
        if head.startswith(magic):
            return DataFileError(f"is a {kind}-compressed file, not text", file=str(path), line=None,
                                 fix=f"decompress it under this name: `{command.format(f=path)}`")
    bad = raw[start:start + 1].hex()
    return DataFileError(f"not valid UTF-8 (byte 0x{bad} at column {column})", file=str(path), line=lineno,
                         fix=REENCODE_FIX)


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise not_utf8(path, raw, err.start, lineno, err.start + 1) from None


def _open(path: Path):
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise DataFileError("no such file", file=str(path),
                            fix="check the path; companion files (labels, English side, gold) sit beside the data file") from None
    except OSError as err:
        raise DataFileError(f"cannot open: {err.strerror}", file=str(path), fix="check the file's permissions") from None


def iter_lines(path: Path, *, allow_empty: bool = False) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without its line ending) for every line of a UTF-8 file."""
    path = Path(path)
    with _open(path) as fh:
        first = True
        for lineno, raw in enumerate(fh, start=1):
            if first:
                raw = raw.removeprefix(BOM)
                first = False
            yield lineno, _decode(raw.rstrip(b"\n").rstrip(b"\r"), path, lineno)
        if first and not allow_empty:
            raise DataFileError("the file is empty", file=str(path), line=None,
                                fix="re-download or re-extract it; the release never has empty files")


def read_text(path: Path) -> str:
    """The whole file as text (BOM dropped); an empty file or non-UTF-8 bytes are located errors."""
    path = Path(path)
    with _open(path) as fh:
        raw = fh.read().removeprefix(BOM)
    if not raw.strip():
        raise DataFileError("the file is empty", file=str(path), fix="re-download or re-extract it")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        lineno = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise not_utf8(path, raw, err.start, lineno, column) from None


def read_json_document(path: Path):
    """One JSON document (SQuAD-format files); truncation or bad syntax is a located error."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        # a cut file fails at its very end, or inside a string that never closes
        truncated = err.pos >= len(text.rstrip()) - 1 or err.msg.startswith("Unterminated string")
        what = f"the JSON ends early: {err.msg} (truncated file)" if truncated else f"invalid JSON: {err.msg}"
        raise DataFileError(f"{what} at column {err.colno}", file=str(path), line=err.lineno,
                            fix="re-download the file; it must be one complete JSON document") from None


def require(path: Path, condition: bool, message: str, fix: str, line=None) -> None:
    """Raise a located error about the file's structure unless ``condition`` holds."""
    if not condition:
        raise DataFileError(message, file=str(path), line=line, fix=fix)


def blank_line_blocks(path: Path) -> Iterator[list[tuple[int, str]]]:
    """Blocks of non-blank ``(line number, line)`` pairs separated by blank lines (CoNLL-style files)."""
    block: list[tuple[int, str]] = []
    for lineno, line in iter_lines(path):
        if line.strip():
            block.append((lineno, line))
        elif block:
            yield block
            block = []
    if block:
        yield block

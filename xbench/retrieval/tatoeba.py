"""Tatoeba sentence retrieval with XTREME's prediction-file semantics.

XTREME's preprocessing strips each English line and sorts the English file by text (Python's
stable sort: equal lines keep file order), hiding the alignment; the non-English file is kept as
is. Line i of the non-English file translates line i of the original English file.

Official direction ``en_to_xx``: the index holds the non-English sentences and the queries are
the sorted English lines. Row r of the prediction file holds the 0-based index of the non-English
line retrieved for the r-th sorted English line; its gold is that English line's original index.

Reverse direction ``xx_to_en`` (an option, not XTREME's): each non-English line i, in file order,
queries the English lines; row i holds the original index of the retrieved English line; gold i.

Retrieval is cosine nearest neighbour (no margin) on L2-normalised vectors; exact ties go to the
lower index. The score is accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from xbench.errors import UserError
from xbench.retrieval.knn import DEFAULT_BLOCK_SIZE, knn
from xbench.retrieval.layers import as_unit_rows

DIRECTIONS = ("en_to_xx", "xx_to_en")
OFFICIAL_DIRECTION = "en_to_xx"


@dataclass(frozen=True)
class SortedEnglish:
    """The English side as XTREME presents it: ``texts`` stripped and stably sorted, and
    ``original_index[r]``, the line of the English file that sorted row r came from (the gold)."""

    texts: tuple[str, ...]
    original_index: tuple[int, ...]

    @classmethod
    def from_lines(cls, english_lines: Sequence[str]) -> SortedEnglish:
        stripped = [line.strip() for line in english_lines]
        # sorted() is stable, so duplicate English lines keep their file order.
        order = sorted(range(len(stripped)), key=stripped.__getitem__)
        return cls(texts=tuple(stripped[i] for i in order), original_index=tuple(order))


@dataclass(frozen=True)
class TatoebaResult:
    """One prediction per row of the prediction file, the gold of each row, and accuracy."""

    direction: str
    predictions: list[int]
    gold: list[int]

    @property
    def accuracy(self) -> float:
        if not self.gold:
            return 0.0
        return sum(p == g for p, g in zip(self.predictions, self.gold)) / len(self.gold)


def retrieve(non_english: torch.Tensor, english_sorted: torch.Tensor, english: SortedEnglish, *,
             direction: str = OFFICIAL_DIRECTION, block_size: int = DEFAULT_BLOCK_SIZE) -> TatoebaResult:
    """Nearest-neighbour retrieval between the non-English lines (embeddings in file order) and the
    English lines (embeddings of ``english.texts``, i.e. in sorted order, as XTREME embeds them)."""
    if direction not in DIRECTIONS:
        raise UserError(f"tatoeba: unknown direction {direction!r} (field retrieval.direction); "
                        f"use one of {', '.join(DIRECTIONS)}")
    n = len(english.original_index)
    if english_sorted.shape[0] != n or non_english.shape[0] != n:
        raise ValueError(f"tatoeba: {non_english.shape[0]} non-English and {english_sorted.shape[0]} English "
                         f"embeddings for {n} sentence pairs")
    xx = as_unit_rows(non_english)
    en = as_unit_rows(english_sorted)
    if direction == "en_to_xx":
        nearest = knn(en, xx, 1, block_size=block_size).indices[:, 0].tolist()
        return TatoebaResult(direction, predictions=nearest, gold=list(english.original_index))
    nearest_rows = knn(xx, en, 1, block_size=block_size).indices[:, 0].tolist()
    predictions = [english.original_index[row] for row in nearest_rows]
    return TatoebaResult(direction, predictions=predictions, gold=list(range(n)))


def write_predictions(path: Path, result: TatoebaResult) -> None:
    """The prediction file: one integer index per line, in row order."""
    from xbench.paths import write_atomic

    write_atomic(Path(path), "".join(f"{p}\n" for p in result.predictions))


def read_predictions(path: Path) -> list[int]:
    """Read a prediction (or label) file of one integer per line."""
    values = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        try:
            values.append(int(line.strip()))
        except ValueError:
            raise UserError(f"{path}:{number}: expected one integer index per line, got {line[:40]!r} "
                            f"(fix the prediction file)") from None
    return values

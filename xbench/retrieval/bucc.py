"""BUCC 2018 bitext mining: deduplicated sentences, k-NN ratio margin, greedy 1:1 "max" selection.

The recipe is XTREME's (from LASER's mining script), see shared/reference/xtreme-official.md:

1. Each side is deduplicated: identical texts are embedded and mined once (``UniqueSentences``
   keeps every id a text appears under; ``bucc_scoring.candidate_pairs`` then drops pairs on
   repeated texts, as XTREME's scorer does, or optionally reports them for all their ids).
2. Embeddings are L2-normalised; the k = 4 nearest neighbours by cosine are found in both
   directions (one blockwise pass, ``knn.mutual_knn``).
3. Ratio margin of a candidate pair: ``cos(x, y) / ((mean_kNN(x) + mean_kNN(y)) / 2)``, where
   mean_kNN is the mean cosine of a sentence's k nearest neighbours on the other side.
4. Forward candidates (each source sentence's best-margin neighbour) and backward candidates (each
   target sentence's) are pooled, sorted by margin, and taken greedily so that every source and
   every target sentence is used at most once ("max" retrieval).

Thresholding, ids and scoring live in ``bucc_scoring``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from xbench.retrieval.knn import DEFAULT_BLOCK_SIZE, Neighbours, mutual_knn
from xbench.retrieval.layers import as_unit_rows

DEFAULT_K = 4


@dataclass(frozen=True)
class UniqueSentences:
    """One side of a BUCC corpus after deduplication.

    ``texts`` holds each distinct text once, in order of first occurrence (embed these, in this
    order); ``ids[i]`` holds every id under which ``texts[i]`` occurs, in file order.
    """

    texts: tuple[str, ...]
    ids: tuple[tuple[str, ...], ...]

    @classmethod
    def from_rows(cls, ids: Sequence[str], texts: Sequence[str]) -> UniqueSentences:
        """Deduplicate on the exact text (callers strip line ends; XTREME compares whole lines)."""
        if len(ids) != len(texts):
            raise ValueError(f"BUCC side has {len(ids)} ids but {len(texts)} texts")
        position: dict[str, int] = {}
        ids_of: list[list[str]] = []
        for sentence_id, text in zip(ids, texts):
            slot = position.setdefault(text, len(ids_of))
            if slot == len(ids_of):
                ids_of.append([])
            ids_of[slot].append(sentence_id)
        return cls(texts=tuple(position), ids=tuple(tuple(group) for group in ids_of))

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class MinedPair:
    """A selected pair of unique sentences: indices into the source and target ``UniqueSentences``."""

    src: int
    tgt: int
    score: float


@dataclass(frozen=True)
class MarginCandidates:
    """The best-margin neighbour of every sentence on each side, before the 1:1 selection."""

    fwd_best: torch.Tensor  # [n_src] target index chosen for each source sentence
    fwd_score: torch.Tensor  # [n_src] its margin score (float64)
    bwd_best: torch.Tensor  # [n_tgt] source index chosen for each target sentence
    bwd_score: torch.Tensor  # [n_tgt]


def margin_candidates(forward: Neighbours, backward: Neighbours) -> MarginCandidates:
    """Ratio-margin scores of each side's k neighbours; keep each sentence's best (first on ties)."""
    fwd_mean = forward.scores.double().mean(dim=1)
    bwd_mean = backward.scores.double().mean(dim=1)
    fwd_margin = forward.scores.double() / ((fwd_mean[:, None] + bwd_mean[forward.indices]) / 2)
    bwd_margin = backward.scores.double() / ((bwd_mean[:, None] + fwd_mean[backward.indices]) / 2)
    fwd_score, fwd_pick = fwd_margin.max(dim=1)  # max() returns the first maximal position
    bwd_score, bwd_pick = bwd_margin.max(dim=1)
    return MarginCandidates(
        fwd_best=forward.indices.gather(1, fwd_pick[:, None]).squeeze(1), fwd_score=fwd_score,
        bwd_best=backward.indices.gather(1, bwd_pick[:, None]).squeeze(1), bwd_score=bwd_score,
    )


def select_one_to_one(candidates: MarginCandidates) -> list[MinedPair]:
    """Greedy "max" selection: pool forward and backward candidates, best margin first, and keep a
    pair only if neither its source nor its target sentence was taken. Ties in margin keep pool
    order (forward candidates by source index, then backward ones by target index)."""
    n_src, n_tgt = candidates.fwd_best.shape[0], candidates.bwd_best.shape[0]
    device = candidates.fwd_best.device
    src = torch.cat([torch.arange(n_src, device=device), candidates.bwd_best]).tolist()
    tgt = torch.cat([candidates.fwd_best, torch.arange(n_tgt, device=device)]).tolist()
    scores = torch.cat([candidates.fwd_score, candidates.bwd_score])
    order = torch.sort(scores, descending=True, stable=True).indices.tolist()
    scores = scores.tolist()
    used_src, used_tgt = set(), set()
    mined = []
    for position in order:
        s, t = src[position], tgt[position]
        if s in used_src or t in used_tgt:
            continue
        used_src.add(s)
        used_tgt.add(t)
        mined.append(MinedPair(s, t, scores[position]))
    return mined


def mine(src_embeddings: torch.Tensor, tgt_embeddings: torch.Tensor, *, k: int = DEFAULT_K,
         block_size: int = DEFAULT_BLOCK_SIZE) -> list[MinedPair]:
    """Mine 1:1 pairs between two sets of (unique-sentence) embeddings, best margin first.

    Embeddings are L2-normalised here (float32; unit rows are used as they are, without a copy),
    so raw pooled vectors may be passed. ``k`` is
    clipped to the other side's size, as in XTREME. Every source and target sentence appears in at
    most one pair; no threshold is applied (see ``bucc_scoring``).
    """
    x = as_unit_rows(src_embeddings)
    y = as_unit_rows(tgt_embeddings)
    forward, backward = mutual_knn(x, y, k, block_size=block_size)
    return select_one_to_one(margin_candidates(forward, backward))

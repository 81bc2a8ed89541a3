"""Retrieval metrics: BUCC mined-pair F1, LAReQA mAP@20, Mewsli-X MRR@20.

**bucc_f1.** ``predictions`` is the collection of mined pairs and ``references`` the collection of gold
pairs: each argument *is* one set (duplicates collapse), not a list of per-item sets. A pair is a
2-tuple/list ``(src_id, tgt_id)`` or the official file's line ``"src_id\\ttgt_id"``. For symmetry with
the other metrics, a one-element list wrapping the whole collection (``[{pairs}]``) is unwrapped.
Precision = correct / predicted, recall = correct / gold, F1 = 2PR/(P+R), all 0 when nothing is
correct (the official ``bucc_f1``).

The bootstrap unit is a source sentence, with stats (correct pairs, predicted pairs, gold pairs)
from that source; every pair has one source, so the rows partition all counts. The population of
units must not depend on the system's predictions (else two systems' intervals are over different
populations, and a system predicting more pairs gets more units): the engine passes the references
as ``GoldPairs``, the gold pairs together with every source sentence id of the data, and the units
are those sources plus any source of a gold pair (a gold pair on a sentence cut away by ``--limit``),
whatever was predicted. A predicted pair whose source is outside that population is an error. Given
plain pair collections (no population known, e.g. two pair files), the units fall back to the
sources seen in either set; the value is the same, the interval is then prediction-dependent.

**map_at_20 / mrr_at_20.** ``predictions``: one ranked list of candidate ids per query (best first);
``references``: one collection of gold (target) ids per query. Only the top 20 count; a candidate id
repeated in a ranking counts at its first position only. Average precision = (sum of precision@i at
each rank i <= 20 holding a target) / min(#targets, 20) (LAReQA). Reciprocal rank = 1 / rank of the
first target within the top 20, else 0 (Mewsli-X; its official scorer calls this "map@20", which
equals AP@20 when each query has exactly one target). A query without targets is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xbench.errors import UserError
from xbench.metrics.base import (
    Decomposition, decomposed_by, f1_from_counts, mean_of_values, precision_recall_from_counts,
    read_options, require_same_length, stats_array,
)

TOP_K = 20
Pair = tuple[str, str]


@dataclass(frozen=True)
class GoldPairs:
    """BUCC references: the gold pairs and the bootstrap's population, every source sentence id of
    the evaluated data (defined by the data, never by the predictions)."""

    pairs: frozenset
    sources: tuple[str, ...]

    @classmethod
    def of(cls, pairs: Iterable, sources: Iterable) -> GoldPairs:
        return cls(frozenset(pair_set(pairs, "references")), tuple(sorted({str(s) for s in sources})))


@dataclass(frozen=True)
class PrecisionRecallF1:
    precision: float
    recall: float
    f1: float


# --- BUCC -------------------------------------------------------------------------------------

def _is_pair(value) -> bool:
    if isinstance(value, str):
        return "\t" in value
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(part, (str, int)) for part in value))


def _is_pair_collection(value) -> bool:
    return (not _is_pair(value) and isinstance(value, Iterable) and not isinstance(value, (str, Mapping))
            and all(_is_pair(pair) for pair in value))


def _as_pair(value, side: str) -> Pair:
    if _is_pair(value):
        if isinstance(value, str):
            source, _, target = value.partition("\t")
            return source, target
        return value[0], value[1]
    raise UserError(f"metric bucc_f1: {side} holds {value!r}, not a (src_id, tgt_id) pair or a "
                    f"'src_id<TAB>tgt_id' line")


def _unwrapped(pairs):
    """The collection itself when wrapped in a one-element list (``[{pairs}]``, ``[GoldPairs]``)."""
    if isinstance(pairs, (list, tuple)) and len(pairs) == 1 and (
            isinstance(pairs[0], GoldPairs) or _is_pair_collection(pairs[0])):
        return pairs[0]
    return pairs


def pair_set(pairs: Iterable, side: str = "pairs") -> set[Pair]:
    """The (src_id, tgt_id) pairs of a collection (or of ``GoldPairs``), unwrapping a one-element list."""
    pairs = _unwrapped(pairs)
    if isinstance(pairs, GoldPairs):
        pairs = pairs.pairs
    if isinstance(pairs, (str, Mapping)) or not isinstance(pairs, Iterable):
        raise UserError(f"metric bucc_f1: {side} must be a collection of (src_id, tgt_id) pairs, "
                        f"got {type(pairs).__name__}")
    return {_as_pair(pair, side) for pair in pairs}


def bucc_precision_recall_f1(predictions: Iterable, references: Iterable) -> PrecisionRecallF1:
    """Precision, recall and F1 of mined pairs against gold pairs, as the official scorer computes them."""
    counts = bucc_item_stats(predictions, references).sum(axis=0)
    precision, recall = precision_recall_from_counts(counts)
    return PrecisionRecallF1(float(precision), float(recall), float(f1_from_counts(counts)))


def bucc_item_stats(predictions: Iterable, references: Iterable, *, language: str | None = None,
                    options: Mapping | None = None) -> np.ndarray:
    """One row per source sentence of the population (sorted ids; see the module docstring):
    (correct pairs, predicted pairs, gold pairs) from that source."""
    read_options("bucc_f1", options, {})
    predicted = pair_set(predictions, "predictions")
    gold = pair_set(references, "references")
    population = _unwrapped(references)
    if isinstance(population, GoldPairs):
        sources = sorted(set(population.sources) | {str(source) for source, _ in gold})
        outside = sorted({str(source) for source, _ in predicted} - set(sources))
        if outside:
            raise UserError(f"metric bucc_f1: {len(outside)} predicted pairs have a source id that is not a "
                            f"sentence of the data (e.g. {outside[0]!r}); predict pairs of the evaluated sentences")
    else:
        sources = sorted({str(source) for source, _ in predicted | gold})
    row_of = {source: row for row, source in enumerate(sources)}
    counts = np.zeros((len(sources), 3), dtype=np.float64)
    for column, found in enumerate((predicted & gold, predicted, gold)):
        for source, _ in found:
            counts[row_of[str(source)], column] += 1.0
    return counts


# version 2: the units are the data's source sentences (GoldPairs), not those seen in the predictions
BUCC_F1 = Decomposition("bucc_f1", "source sentence", ("correct", "predicted", "gold"),
                        bucc_item_stats, f1_from_counts, version=2)


@decomposed_by(BUCC_F1)
def bucc_f1(predictions: list, references: list, *, language: str | None = None,
            options: dict | None = None) -> float:
    """F1 of the mined pair set against the gold pair set."""
    return BUCC_F1.score(predictions, references, language=language, options=options)


# --- ranking ----------------------------------------------------------------------------------

def _ranking_inputs(metric: str, predictions: Sequence, references: Sequence):
    require_same_length(metric, predictions, references)
    for index, (ranking, targets) in enumerate(zip(predictions, references)):
        if isinstance(ranking, str) or isinstance(targets, str):
            raise UserError(f"metric {metric}: query {index} has a string where a list of ids belongs; "
                            f"give a ranked id list and a collection of gold ids per query")
        targets = set(targets)
        if not targets:
            raise UserError(f"metric {metric}: query {index} has no gold ids; every query needs a target")
        yield _hit_ranks(ranking, targets), len(targets)


def _hit_ranks(ranking: Iterable, targets: set) -> list[int]:
    """1-based ranks within the top TOP_K at which a not-yet-seen target appears."""
    ranks, seen = [], set()
    for rank, candidate in enumerate(ranking, start=1):
        if rank > TOP_K:
            break
        if candidate in targets and candidate not in seen:
            ranks.append(rank)
        seen.add(candidate)
    return ranks


def average_precision_at_20(hit_ranks: Sequence[int], n_targets: int) -> float:
    """AP over the top 20 with the divisor min(n_targets, 20)."""
    precision_sum = sum(hits / rank for hits, rank in enumerate(hit_ranks, start=1))
    return precision_sum / min(n_targets, TOP_K)


def map_at_20_item_stats(predictions: Sequence, references: Sequence, *, language: str | None = None,
                         options: Mapping | None = None) -> np.ndarray:
    """One row per query: (AP@20, 1)."""
    read_options("map_at_20", options, {})
    return stats_array([(average_precision_at_20(ranks, n_targets), 1.0)
                        for ranks, n_targets in _ranking_inputs("map_at_20", predictions, references)], 2)


def mrr_at_20_item_stats(predictions: Sequence, references: Sequence, *, language: str | None = None,
                         options: Mapping | None = None) -> np.ndarray:
    """One row per query: (reciprocal rank of the first target in the top 20, or 0; 1)."""
    read_options("mrr_at_20", options, {})
    return stats_array([(1.0 / ranks[0] if ranks else 0.0, 1.0)
                        for ranks, _ in _ranking_inputs("mrr_at_20", predictions, references)], 2)


MAP_AT_20 = Decomposition("map_at_20", "query", ("average_precision", "count"),
                          map_at_20_item_stats, mean_of_values)
MRR_AT_20 = Decomposition("mrr_at_20", "query", ("reciprocal_rank", "count"),
                          mrr_at_20_item_stats, mean_of_values)


@decomposed_by(MAP_AT_20)
def map_at_20(predictions: list, references: list, *, language: str | None = None,
              options: dict | None = None) -> float:
    """Mean over queries of AP@20 with divisor min(#targets, 20) (LAReQA)."""
    return MAP_AT_20.score(predictions, references, language=language, options=options)


@decomposed_by(MRR_AT_20)
def mrr_at_20(predictions: list, references: list, *, language: str | None = None,
              options: dict | None = None) -> float:
    """Mean over queries of the reciprocal rank of the first target within the top 20 (Mewsli-X)."""
    return MRR_AT_20.score(predictions, references, language=language, options=options)

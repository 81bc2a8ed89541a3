"""BUCC pairs by id: candidate expansion, dev-gold threshold, precision/recall/F1, the pair file.

Pure Python (no torch): mined pairs of unique sentences (``bucc.MinedPair``) become scored id
pairs, a threshold is chosen on gold pairs (XTREME's ``bucc_optimize``) or given, and the pairs
at or above it are the predictions, written one ``src_id<TAB>tgt_id`` per line.

Duplicates: a text occurring under several ids is mined once. ``duplicates="drop"`` (default,
XTREME's official scorer) drops every mined pair whose source or target text occurs under more than
one id (XTREME's ``read_sent2id`` deletes repeated texts from its text-to-id map, so their
candidates are skipped and gold pairs on such texts cannot be found). ``duplicates="all"`` (an
option, not XTREME's: cells using it are flagged ``bucc_duplicates=all``) reports a mined pair for
every combination of its ids, all with the pair's score.

``prf`` is the point estimate only. The cell's bootstrap interval (``xbench.metrics.retrieval.
bucc_f1``) resamples the data's source sentences, each with its gold pairs and the pairs predicted
for it: the task type hands the metric ``GoldPairs`` (gold pairs plus every source id of the data),
so the population is the same for every system whatever it predicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xbench.errors import UserError

if TYPE_CHECKING:
    from xbench.retrieval.bucc import MinedPair, UniqueSentences

DUPLICATE_POLICIES = ("drop", "all")
OFFICIAL_DUPLICATES = "drop"


@dataclass(frozen=True)
class ScoredPair:
    src_id: str
    tgt_id: str
    score: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.src_id, self.tgt_id)


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    n_predicted: int
    n_gold: int
    n_correct: int


@dataclass(frozen=True)
class ThresholdChoice:
    """``threshold``: keep pairs scoring >= it. ``best_f1``: F1 at the chosen cutoff, which keeps
    the ``cutoff`` highest-scoring candidates."""

    threshold: float
    best_f1: float
    cutoff: int


@dataclass(frozen=True)
class BuccEvaluation:
    threshold: float
    # True when the threshold was tuned on the very gold it is scored against (dev-only setups):
    # the F1 is then an optimistic dev-optimal number and must be flagged as such.
    tuned_on_scored_gold: bool
    scores: PRF
    pairs: list[tuple[str, str]]


def candidate_pairs(mined: Iterable[MinedPair], src: UniqueSentences, tgt: UniqueSentences, *,
                    duplicates: str = OFFICIAL_DUPLICATES) -> list[ScoredPair]:
    """Id pairs of the mined sentence pairs, sorted by score desc, then (src_id, tgt_id)."""
    if duplicates not in DUPLICATE_POLICIES:
        raise UserError(f"bucc2018: unknown duplicates policy {duplicates!r} (field options.duplicates); "
                        f"use one of {', '.join(DUPLICATE_POLICIES)}")
    pairs = []
    for pair in mined:
        src_ids, tgt_ids = src.ids[pair.src], tgt.ids[pair.tgt]
        if duplicates == "drop" and (len(src_ids) > 1 or len(tgt_ids) > 1):
            continue
        pairs.extend(ScoredPair(s, t, pair.score) for s in src_ids for t in tgt_ids)
    pairs.sort(key=lambda p: (-p.score, p.src_id, p.tgt_id))
    return pairs


def prf(predicted: Iterable[tuple[str, str]], gold: AbstractSet[tuple[str, str]]) -> PRF:
    """Precision, recall and F1 of a set of predicted pairs against gold pairs (0 when none correct)."""
    predicted = set(predicted)
    correct = len(predicted & gold)
    if correct == 0:
        return PRF(0.0, 0.0, 0.0, len(predicted), len(gold), 0)
    precision, recall = correct / len(predicted), correct / len(gold)
    return PRF(precision, recall, 2 * precision * recall / (precision + recall),
               len(predicted), len(gold), correct)


def select_threshold(candidates: Sequence[ScoredPair], gold: AbstractSet[tuple[str, str]]) -> ThresholdChoice:
    """XTREME's rule: walk the candidates best first, computing F1 of each prefix against ``gold``;
    at the first prefix with the highest F1, set the threshold midway between its last score and
    the next candidate's. If that prefix is all candidates, the threshold is the last score (keep
    all). With no correct candidate at all, the threshold is 0.0 as in XTREME (F1 is 0 anyway).
    """
    ordered = sorted(candidates, key=lambda p: (-p.score, p.src_id, p.tgt_id))
    n_gold = len(gold)
    correct = 0
    best = ThresholdChoice(threshold=0.0, best_f1=0.0, cutoff=len(ordered))
    for rank, pair in enumerate(ordered, start=1):
        correct += pair.key in gold
        if correct == 0:
            continue
        precision, recall = correct / rank, correct / n_gold
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best.best_f1:
            following = ordered[rank].score if rank < len(ordered) else pair.score
            best = ThresholdChoice(threshold=(pair.score + following) / 2, best_f1=f1, cutoff=rank)
    return best


def apply_threshold(candidates: Iterable[ScoredPair], threshold: float) -> list[tuple[str, str]]:
    """The id pairs scoring at or above ``threshold`` (XTREME keeps ``score >= threshold``)."""
    return [pair.key for pair in candidates if pair.score >= threshold]


def evaluate(candidates: Sequence[ScoredPair], gold: AbstractSet[tuple[str, str]] | None, *,
             threshold: float | None = None) -> BuccEvaluation:
    """Predictions and scores for one split.

    With ``threshold`` given (the dev-tuned value applied to test), it is used as is; without it,
    the threshold is tuned on ``gold`` itself and the result is flagged ``tuned_on_scored_gold``.
    ``gold`` may be None only when a threshold is given (test without gold): scores are then 0.
    """
    if threshold is None:
        if gold is None:
            raise UserError("bucc2018: no threshold and no gold pairs to tune one on "
                            "(give the dev-tuned threshold, or provide the gold file)")
        threshold = select_threshold(candidates, gold).threshold
        tuned = True
    else:
        tuned = False
    pairs = apply_threshold(candidates, threshold)
    scores = prf(pairs, gold) if gold is not None else PRF(0.0, 0.0, 0.0, len(pairs), 0, 0)
    return BuccEvaluation(threshold=threshold, tuned_on_scored_gold=tuned, scores=scores, pairs=pairs)


def write_pairs(path: Path, pairs: Iterable[tuple[str, str]]) -> None:
    """The prediction file: one ``src_id<TAB>tgt_id`` line per pair (e.g. ``zh-000000057\\ten-000008530``)."""
    from xbench.paths import write_atomic

    write_atomic(Path(path), "".join(f"{src_id}\t{tgt_id}\n" for src_id, tgt_id in pairs))


def read_pairs(path: Path) -> set[tuple[str, str]]:
    """A gold or prediction pair file (``src_id<TAB>tgt_id`` lines; blank lines ignored)."""
    pairs = set()
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 2:
                raise UserError(f"{path}:{number}: expected 'src_id<TAB>tgt_id', got {line[:60]!r} "
                                f"(fix the pair file)")
            pairs.add((fields[0], fields[1]))
    return pairs

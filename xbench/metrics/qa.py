"""Extractive-QA metrics of the official scorers: exact match and token F1, max over gold answers.

``options = {"normalization": "squad"}`` (default; xquad, tydiqa) or ``{"normalization": "mlqa"}``
(mlqa, which needs ``language`` in en es de ar hi vi zh); see xbench.metrics.answer_normalization.
Other keys (the task spec's ``options:`` also holds task-type settings) are ignored.

Inputs, aligned item by item:

* ``predictions``: answer strings; ``None`` marks a question the system gave no answer for, which
  scores 0 like a qid missing from an official prediction file.
* ``references``: each a list of gold answer strings (a single string, or a mapping with a ``text``
  list as the squad_json loader yields, is accepted too).

Per gold answer, as in SQuAD v1.1: EM is 1 when the normalised token lists are equal; F1 is 0 when no
token is shared, else 2PR/(P+R) over the multiset overlap (so an empty answer matching an empty gold
scores EM 1, F1 0). An item with *no* gold answers (a SQuAD 2.0 unanswerable question, which the
v1.1 scorers cannot score) follows SQuAD 2.0's rule: EM = F1 = 1 when the normalised prediction is
empty, else 0. No items at all score 0.0. One row of the decomposition is a question, stats (score,
1); the engine's interval resamples articles (``ExtractiveQA.resampling_groups``: a cluster
bootstrap), since questions on one article are not independent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from xbench.errors import UserError
from xbench.metrics.answer_normalization import answer_tokens
from xbench.metrics.base import (
    Decomposition, decomposed_by, mean_of_values, read_options, require_same_length, stats_array,
)

_DEFAULT_OPTIONS = {"normalization": "squad"}


def token_f1(predicted: list[str], gold: list[str]) -> float:
    """SQuAD token F1 of two normalised token lists."""
    shared = sum((Counter(predicted) & Counter(gold)).values())
    if shared == 0:
        return 0.0
    precision = shared / len(predicted)
    recall = shared / len(gold)
    return (2 * precision * recall) / (precision + recall)


def _gold_answers(reference, index: int) -> list[str]:
    if isinstance(reference, str):
        return [reference]
    if isinstance(reference, Mapping):
        reference = reference.get("text", [])
    if not isinstance(reference, Sequence) or not all(isinstance(a, str) for a in reference):
        raise UserError(f"QA reference {index} is {reference!r}; give a list of gold answer strings")
    return list(reference)


def qa_item_scores(prediction: str | None, gold_answers: Sequence[str], *, normalization: str = "squad",
                   language: str | None = None) -> tuple[float, float]:
    """(EM, F1) of one answer against its gold answers, each the max over the gold answers."""
    if prediction is None:
        return 0.0, 0.0
    predicted = answer_tokens(prediction, normalization, language)
    if not gold_answers:
        unanswerable_hit = float(not predicted)
        return unanswerable_hit, unanswerable_hit
    golds = [answer_tokens(gold, normalization, language) for gold in gold_answers]
    exact = max(float(predicted == gold) for gold in golds)
    f1_value = max(token_f1(predicted, gold) for gold in golds)
    return exact, f1_value


def _qa_scores(metric: str, predictions: Sequence, references: Sequence, language: str | None,
               options: Mapping | None) -> list[tuple[float, float]]:
    normalization = read_options(metric, options, _DEFAULT_OPTIONS)["normalization"]
    if normalization not in ("squad", "mlqa"):
        raise UserError(f"metric {metric}: unknown normalization {normalization!r} (use squad or mlqa) "
                        f"in the metric's options")
    require_same_length(metric, predictions, references)
    scores = []
    for index, (prediction, reference) in enumerate(zip(predictions, references)):
        if prediction is not None and not isinstance(prediction, str):
            raise UserError(f"metric {metric}: prediction {index} is {type(prediction).__name__}; "
                            f"give one answer string (or None) per question")
        scores.append(qa_item_scores(prediction, _gold_answers(reference, index),
                                     normalization=normalization, language=language))
    return scores


def exact_match_item_stats(predictions: Sequence, references: Sequence, *, language: str | None = None,
                           options: Mapping | None = None) -> np.ndarray:
    """One row per question: (EM, 1)."""
    scores = _qa_scores("exact_match", predictions, references, language, options)
    return stats_array([(em, 1.0) for em, _ in scores], 2)


def f1_item_stats(predictions: Sequence, references: Sequence, *, language: str | None = None,
                  options: Mapping | None = None) -> np.ndarray:
    """One row per question: (F1, 1)."""
    scores = _qa_scores("f1", predictions, references, language, options)
    return stats_array([(f1_value, 1.0) for _, f1_value in scores], 2)


EXACT_MATCH = Decomposition("exact_match", "question", ("exact_match", "count"),
                            exact_match_item_stats, mean_of_values)
F1 = Decomposition("f1", "question", ("f1", "count"), f1_item_stats, mean_of_values)


@decomposed_by(EXACT_MATCH)
def exact_match(predictions: list, references: list, *, language: str | None = None,
                options: dict | None = None) -> float:
    """Mean over questions of the max exact match against the gold answers."""
    return EXACT_MATCH.score(predictions, references, language=language, options=options)


@decomposed_by(F1)
def f1(predictions: list, references: list, *, language: str | None = None,
       options: dict | None = None) -> float:
    """Mean over questions of the max token F1 against the gold answers."""
    return F1.score(predictions, references, language=language, options=options)

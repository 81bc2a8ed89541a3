"""Accuracy: the official scorer's exact label match (xnli, pawsx, tatoeba, xcopa).

Labels are compared with ``==`` as given, like the official scorer compares stripped strings: keep
predictions and references in the same representation ("1" is not 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from xbench.metrics.base import (
    Decomposition, decomposed_by, mean_of_values, read_options, require_same_length, stats_array,
)


def accuracy_item_stats(predictions: Sequence, references: Sequence, *, language: str | None = None,
                        options: Mapping | None = None) -> np.ndarray:
    """One row per item: (1 if the predicted label equals the gold label else 0, 1)."""
    read_options("accuracy", options, {})
    require_same_length("accuracy", predictions, references)
    return stats_array([(float(p == g), 1.0) for p, g in zip(predictions, references)], 2)


ACCURACY = Decomposition("accuracy", "item", ("correct", "count"), accuracy_item_stats, mean_of_values,
                         per_item_binary=True)


@decomposed_by(ACCURACY)
def accuracy(predictions: list, references: list, *, language: str | None = None,
             options: dict | None = None) -> float:
    """Fraction of items whose predicted label equals the gold label (0.0 for no items)."""
    return ACCURACY.score(predictions, references, language=language, options=options)

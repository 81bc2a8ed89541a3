"""Metrics of the example plugin: ``macro_f1`` for labels, ``pairwise_accuracy`` for graded scores.

xbench stores every metric as a fraction in [0, 1] (shown ×100), so a score metric here is one too.
"""


def macro_f1(predictions, references, *, language=None, options=None) -> float:
    """F1 per label, averaged without weights (labels seen in gold or predictions)."""
    labels = sorted(set(references) | set(predictions), key=str)
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(p == label and r == label for p, r in zip(predictions, references))
        n_pred = sum(p == label for p in predictions)
        n_gold = sum(r == label for r in references)
        scores.append(0.0 if tp == 0 else 2 * tp / (n_pred + n_gold))
    return sum(scores) / len(scores)


def pairwise_accuracy(predictions, references, *, language=None, options=None) -> float:
    """Of all item pairs with different gold scores, the fraction the predictions order the same way
    (a tie in the predictions counts half): 1.0 ranks like the gold, 0.5 is chance. Unlike a
    correlation it is a fraction in [0, 1], as xbench stores metrics; 0.5 when no pair is comparable."""
    agree, pairs = 0.0, 0
    for i in range(len(references)):
        for j in range(i + 1, len(references)):
            gold = references[i] - references[j]
            if gold == 0:
                continue
            pred = predictions[i] - predictions[j]
            pairs += 1
            agree += 1.0 if pred * gold > 0 else 0.5 if pred == 0 else 0.0
    return agree / pairs if pairs else 0.5

"""The official XTREME metrics, written from their published definitions (not from xbench's code).

Sources: /work/shared/reference/xtreme-official.md, which records the rules of the official scorer
(google-research/xtreme evaluate.py), the SQuAD v1.1 evaluation script, MLQA's evaluation script,
seqeval 0.0.12 and XTREME's BUCC threshold rule. Everything here is plain Python on strings and
lists; every score is a fraction (the official scripts print x100; xbench stores fractions).

Tagging uses seqeval 0.0.12 itself: it *is* the official scorer's code (a declared, pinned test
dependency), so it is imported rather than re-derived; another version is refused.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# ---- accuracy (xnli, pawsx: exact string match line by line; xcopa: the jsonl `label`; tatoeba) ----


def accuracy(predicted: Sequence, gold: Sequence) -> float:
    """The official classification scorer: the line counts must agree, then the share of equal lines."""
    if len(predicted) != len(gold):
        raise AssertionError(f"{len(predicted)} predictions for {len(gold)} gold labels: the official "
                             "scorer refuses files whose line counts differ")
    return sum(p == g for p, g in zip(predicted, gold)) / len(gold)


# ---- tagging (udpos, panx): seqeval 0.0.12 f1_score over sentences --------------------------------


def seqeval_0012():
    from importlib.metadata import version

    installed = version("seqeval")
    if installed != "0.0.12":
        raise AssertionError(f"seqeval {installed} is installed; the official scorer pins 0.0.12 "
                             "(pip install -e '.[dev]')")
    from seqeval.metrics import f1_score

    return f1_score


def tagging_f1(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> float:
    """evaluate.py's tagging metric: seqeval.f1_score(gold, predicted), sentence lists aligned."""
    if [len(s) for s in predicted] != [len(s) for s in gold]:
        raise AssertionError("predicted and gold sentences differ in number or length")
    return seqeval_0012()([list(s) for s in gold], [list(s) for s in predicted])


def token_accuracy(predicted: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> float:
    """What the md asks to report beside the official "F1": the share of tokens tagged right."""
    pairs = [(p, g) for ps, gs in zip(predicted, gold) for p, g in zip(ps, gs)]
    return sum(p == g for p, g in pairs) / len(pairs)


# ---- extractive QA: SQuAD v1.1 rules (xquad, tydiqa) ------------------------------------------------

ASCII_PUNCTUATION = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD v1.1, in its order: lowercase; drop ASCII punctuation; each article a/an/the (regex word
    boundaries) becomes a space; collapse whitespace. The same for every language (zh and th too)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in ASCII_PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


# ---- extractive QA: MLQA's rules, per language ------------------------------------------------------

# Every code point of a Unicode punctuation category (P*), plus ASCII punctuation (which holds a few
# symbols, S*, such as $ + < = > ^ ` | ~).
UNICODE_PUNCTUATION = frozenset(chr(i) for i in range(sys.maxunicode)
                                if unicodedata.category(chr(i)).startswith("P")) | ASCII_PUNCTUATION
MLQA_ARTICLES = {
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "ar": r"ال",  # every occurrence, inside words too (the script's other alternative never matches)
    "hi": None,
    "zh": None,
}
CJK = re.compile(r"[\u4e00-\u9fa5]")


def mlqa_tokens(text: str, lang: str) -> list[str]:
    """MLQA's normalised tokens: lowercase; drop Unicode and ASCII punctuation; articles of the
    language -> space; whitespace tokens, except zh where each CJK character is a token of its own."""
    if lang not in MLQA_ARTICLES:
        raise AssertionError(f"MLQA's evaluation script knows no language {lang!r}")
    text = text.lower()
    text = "".join(ch for ch in text if ch not in UNICODE_PUNCTUATION)
    if MLQA_ARTICLES[lang]:
        text = re.sub(MLQA_ARTICLES[lang], " ", text)
    if lang != "zh":
        return text.split()
    tokens, pending = [], ""
    for ch in text:
        if CJK.match(ch):
            tokens.extend(pending.split())
            tokens.append(ch)
            pending = ""
        else:
            pending += ch
    return tokens + pending.split()


def mlqa_normalize(text: str, lang: str) -> str:
    return " ".join(mlqa_tokens(text, lang))


# ---- extractive QA: EM / F1 over a gold file -----------------------------------------------------


def _f1(predicted_tokens: list[str], gold_tokens: list[str]) -> float:
    common = Counter(predicted_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class QAScores:
    exact_match: float
    f1: float


def _normalizer(normalization: str, lang: str | None):
    if normalization == "squad":
        return squad_normalize
    if normalization == "mlqa":
        return lambda text: mlqa_normalize(text, lang)
    raise ValueError(normalization)


def qa_scores(predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]], *,
              normalization: str, lang: str | None = None) -> QAScores:
    """The official file scorer: mean over every gold question (a missing prediction scores 0; extra
    ids are ignored) of the max over its gold answers of EM and of token F1, under ``normalization``
    "squad" or "mlqa"."""
    return qa_scores_per_question([(predictions.get(qid), answers) for qid, answers in gold.items()],
                                  normalization=normalization, lang=lang)


def qa_scores_per_question(questions: Sequence[tuple[str | None, Sequence[str]]], *, normalization: str,
                           lang: str | None = None) -> QAScores:
    """The same means over (prediction or None, gold answers) per question: for gold files whose
    question ids repeat, which a ``{qid: answer}`` file cannot tell apart."""
    norm = _normalizer(normalization, lang)
    em = f1 = 0.0
    for prediction, answers in questions:
        if prediction is None:
            continue
        prediction = norm(prediction)
        em += max(float(prediction == norm(a)) for a in answers)
        f1 += max(_f1(prediction.split(), norm(a).split()) for a in answers)
    return QAScores(em / len(questions), f1 / len(questions))


# ---- tatoeba: the gold rows of XTREME's preprocessing ----------------------------------------------


def tatoeba_gold(english_lines: Sequence[str]) -> list[int]:
    """Row r of the prediction file belongs to the r-th English line after stripping and a stable
    sort by text; its gold is that line's original 0-based index."""
    stripped = [line.strip() for line in english_lines]
    return sorted(range(len(stripped)), key=lambda i: stripped[i])


# ---- bucc2018: threshold rule and P/R/F1 -------------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def pair_prf(predicted: Iterable[tuple[str, str]], gold: Iterable[tuple[str, str]]) -> PRF:
    """Precision, recall and F1 of the predicted id pairs against the gold pairs (all 0 when none is right)."""
    predicted, gold = set(predicted), set(gold)
    correct = len(predicted & gold)
    if correct == 0:
        return PRF(0.0, 0.0, 0.0)
    precision, recall = correct / len(predicted), correct / len(gold)
    return PRF(precision, recall, 2 * precision * recall / (precision + recall))


def bucc_threshold(candidates: Sequence[tuple[tuple[str, str], float]], gold: Iterable[tuple[str, str]]) -> float:
    """XTREME's rule: candidates best score first; F1 of every prefix against the gold; the threshold
    lies midway between the score of the first prefix with the highest F1 and the next candidate's.
    Not in the published code, which fails there: a best prefix that is every candidate keeps them
    all (threshold = the last score). No correct candidate: the script's initial threshold, 0."""
    gold = set(gold)
    ordered = sorted(candidates, key=lambda c: -c[1])
    threshold, best, correct = 0.0, 0.0, 0
    for rank, (pair, score) in enumerate(ordered, start=1):
        correct += pair in gold
        if not correct:
            continue
        precision, recall = correct / rank, correct / len(gold)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best:
            best = f1
            threshold = (score + ordered[rank][1]) / 2 if rank < len(ordered) else score
    return threshold


def bucc_extract(candidates: Iterable[tuple[tuple[str, str], float]], threshold: float) -> set[tuple[str, str]]:
    """The pairs the official extraction keeps: score >= threshold."""
    return {pair for pair, score in candidates if score >= threshold}

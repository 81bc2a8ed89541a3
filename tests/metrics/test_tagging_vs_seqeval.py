"""tagging_f1 against the real seqeval 0.0.12 (the official XTREME scorer's dependency).

seqeval==0.0.12 is a declared test dependency (the ``dev`` extra), imported directly: the test installs
nothing and runs offline. Another installed version cannot stand in for it, and a missing seqeval
fails the test rather than skipping it: the comparison is the point.
"""

import random
from importlib.metadata import PackageNotFoundError, version

import pytest

from xbench.metrics.tagging import tagging_f1, token_accuracy

UPOS = ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
        "PUNCT", "SCONJ", "SYM", "VERB", "X"]
TYPES = ["PER", "ORG", "LOC"]
NER_ANY = ["O"] + [f"{p}-{t}" for p in "BIES" for t in TYPES]
# Labels whose tag or type trip the chunk rules in unusual ways: a '.' tag, an 'O' tag with a type,
# an 'O' type on an inside tag, a lone '-', several '-'.
ODD = [".", ".-PER", "O-PER", "I-O", "N-O", "-", "B-X-PER", "E", "S"]
N_SETS = 1000


@pytest.fixture(scope="session")
def seqeval_0012():
    try:
        installed = version("seqeval")
    except PackageNotFoundError:
        pytest.fail("seqeval is not installed; it is a declared test dependency: pip install -e '.[dev]'")
    if installed != "0.0.12":
        pytest.fail(f"seqeval {installed} is installed; this test compares with 0.0.12: pip install -e '.[dev]'")
    from seqeval.metrics import sequence_labeling

    return sequence_labeling


def _random_sentence_lengths(rng):
    # Often single-token sentences, sometimes empty ones, mostly short, a few long.
    return [rng.choice([1, 1, 2, 3, rng.randint(0, 12), rng.randint(13, 40)]) for _ in range(rng.randint(1, 8))]


def _corrupt(rng, sentences, vocabulary, rate):
    return [[rng.choice(vocabulary) if rng.random() < rate else tag for tag in s] for s in sentences]


def _upos_set(rng):
    gold = [[rng.choice(UPOS) for _ in range(n)] for n in _random_sentence_lengths(rng)]
    # Runs of identical tags make multi-token chunks, which is where POS "F1" departs from accuracy.
    gold = [[s[i - 1] if i and rng.random() < 0.3 else tag for i, tag in enumerate(s)] for s in gold]
    return gold, _corrupt(rng, gold, UPOS, rng.choice([0.05, 0.2, 0.5]))


def _iob2_sentence(rng, n):
    tags, inside = [], None
    for _ in range(n):
        roll = rng.random()
        if inside and roll < 0.4:
            tags.append(f"I-{inside}")
        elif roll < 0.7:
            tags.append("O")
            inside = None
        else:
            inside = rng.choice(TYPES)
            tags.append(f"B-{inside}")
    return tags


def _iob2_set(rng):
    gold = [_iob2_sentence(rng, n) for n in _random_sentence_lengths(rng)]
    # Predictions wander outside IOB2: I- after O, type changes, E-/S- labels, odd labels.
    vocabulary = NER_ANY + (ODD if rng.random() < 0.2 else [])
    return gold, _corrupt(rng, gold, vocabulary, rng.choice([0.05, 0.2, 0.5]))


@pytest.mark.parametrize("make_set", [_upos_set, _iob2_set], ids=["upos", "iob2"])
def test_tagging_f1_equals_seqeval_0012_on_random_sets(seqeval_0012, make_set):
    rng = random.Random(20240611)
    nontrivial = 0
    for _ in range(N_SETS):
        gold, predicted = make_set(rng)
        expected = seqeval_0012.f1_score(gold, predicted)
        assert abs(tagging_f1(predicted, gold) - expected) <= 1e-12, (gold, predicted)
        # Also with the roles swapped (precision and recall trade places).
        assert abs(tagging_f1(gold, predicted) - seqeval_0012.f1_score(predicted, gold)) <= 1e-12
        nontrivial += 0.0 < expected < 1.0
    assert nontrivial > N_SETS // 2  # the sets exercise partial matches, not only 0 and 1


EDGE_CASES = [
    ([["O", "I-PER", "I-PER", "O"]], [["O", "B-PER", "I-PER", "O"]]),          # I- after O
    ([["B-PER", "I-LOC", "I-LOC"]], [["B-PER", "I-PER", "I-PER"]]),            # type change inside
    ([["B-PER", "E-PER", "S-LOC", "E-LOC"]], [["B-PER", "I-PER", "B-LOC", "I-LOC"]]),  # E-/S-
    ([["S-PER"], ["I-PER"], ["B-ORG"]], [["B-PER"], ["B-PER"], ["B-ORG"]]),   # single-token sentences
    ([["NOUN"], ["NOUN"]], [["NOUN"], ["NOUN"]]),                              # no chunk crosses a sentence
    ([["SCONJ", "SCONJ", "SYM"]], [["SCONJ", "SCONJ", "SYM"]]),                # S-tag UPOS: single chunks
    ([["INTJ", "INTJ", "NOUN"]], [["INTJ", "NOUN", "NOUN"]]),
    ([[".-PER", "I-PER", "O"], ["B-LOC"]], [["B-PER", "I-PER", "O"], ["B-LOC"]]),  # stale chunk start
    ([[], ["B-PER"]], [[], ["B-PER"]]),                                        # empty sentence
    ([], []),
]


@pytest.mark.parametrize("predicted,gold", EDGE_CASES)
def test_tagging_f1_equals_seqeval_0012_on_edge_cases(seqeval_0012, predicted, gold):
    assert abs(tagging_f1(predicted, gold) - seqeval_0012.f1_score(gold, predicted)) <= 1e-12


def test_pos_f1_is_not_token_accuracy_in_seqeval_either(seqeval_0012):
    gold = [["DET", "NOUN", "NOUN", "VERB", "ADJ", "PUNCT"]]
    predicted = [["DET", "NOUN", "VERB", "VERB", "ADJ", "PUNCT"]]
    assert token_accuracy(predicted, gold) == pytest.approx(5 / 6)
    # gold chunks: DET, NOUN(1-2), VERB, ADJ, PUNCT; predicted: DET, NOUN(1), VERB(2-3), ADJ, PUNCT
    assert tagging_f1(predicted, gold) == pytest.approx(0.6)
    assert seqeval_0012.f1_score(gold, predicted) == pytest.approx(0.6)

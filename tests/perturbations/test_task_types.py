"""What each task type perturbs: tagging keeps one tag per word, QA perturbs the question only (the
answers stay at their offsets), retrieval perturbs the query side only, multiple choice maps a
choice_swap prediction back to the original choice; per-item noise does not depend on order or limit."""

import random

import pytest

from xbench.data import load_split
from xbench.errors import UserError
from xbench.metrics.classification import accuracy
from xbench.perturbations import parse_perturbation
from xbench.perturbations.apply import check_task, perturb_cell
from xbench.registry import get_registry
from xbench.spec.catalog import Catalog
from xbench.tasktypes.base import CellOutput
from xbench.tasktypes.bitext_retrieval import BitextRetrieval
from xbench.tasktypes.classification import SequenceClassification
from xbench.tasktypes.dual_encoder_retrieval import DualEncoderRetrieval
from xbench.tasktypes.extractive_qa import ExtractiveQA
from xbench.tasktypes.multiple_choice import MultipleChoice
from xbench.tasktypes.tagging import TokenTagging

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november".split()


def cell(tt, examples, text, seed=1, lang="de"):
    return perturb_cell(tt, examples, parse_perturbation(text), seed=seed, task=tt.spec["name"], language=lang)


def tagging_examples(n=30):
    rng = random.Random(0)
    out = []
    for i in range(n):
        tokens = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        out.append({"id": str(i), "tokens": tokens, "tags": [f"T-{t}" for t in tokens]})  # the tag names its word
    return out


@pytest.fixture()
def lexicon(tmp_path):
    f = tmp_path / "de-en.txt"
    f.write_text("".join(f"{w} {w.upper()}\n" for w in WORDS), encoding="utf-8")
    return f


@pytest.mark.parametrize("text", ["word_drop:0.4", "word_swap:0.6", "typo:0.8", "keyboard:0.3", "char_delete:0.3",
                                  "code_switch:0.7,lexicon={lexicon}"])
def test_tagging_keeps_one_tag_per_word_and_the_tag_moves_with_its_word(text, lexicon):
    tt = TokenTagging({"name": "toy_ner", "type": "token_tagging", "labels": []}, tokenizer=None)
    examples = tagging_examples()
    result = cell(tt, examples, text.format(lexicon=lexicon))
    assert any(result.changes)
    for clean, new, change in zip(examples, result.examples, result.changes):
        assert len(new["tokens"]) == len(new["tags"]) >= 1
        assert all(w and " " not in w for w in new["tokens"])
        if text.startswith(("word_drop", "word_swap")):
            assert all(tag == f"T-{w}" for w, tag in zip(new["tokens"], new["tags"]))  # each tag with its word
            assert sorted(new["tags"]) == sorted(clean["tags"]) or text.startswith("word_drop")
        else:  # a word changed in place keeps its tag
            assert new["tags"] == clean["tags"] and len(new["tokens"]) == len(clean["tokens"])
        assert set(change) <= {"tokens", "tags"} and (not change or change["tokens"] == new["tokens"])
    assert examples == tagging_examples()  # the clean examples are untouched


def test_tagging_refuses_a_perturbation_that_breaks_words_apart():
    from xbench.perturbations import TextPerturbation

    class Splitter(TextPerturbation):
        name = "splitter"

        def word(self, word, rng, language):
            return word[:1] + " " + word[1:]

    tt = TokenTagging({"name": "toy_ner", "type": "token_tagging", "labels": []}, tokenizer=None)
    with pytest.raises(UserError, match="not one token, so the tags would no longer align"):
        perturb_cell(tt, tagging_examples(2), Splitter(1.0), seed=1, task="toy_ner", language="de")


def test_qa_perturbs_the_question_only_and_every_answer_stays_at_its_offsets(shared_data):
    spec = Catalog(get_registry()).task("xquad")
    tt = ExtractiveQA(spec.for_language("de"), tokenizer=None)
    examples = load_split(spec, "test", "de", data_dir=shared_data, limit=150).dataset.to_list()
    for text in ("typo:0.5", "word_drop:0.3", "word_swap:0.5", "char_delete:0.2"):
        result = cell(tt, examples, text)
        assert sum(bool(c) for c in result.changes) > 50
        for clean, new, change in zip(examples, result.examples, result.changes):
            assert set(change) <= {"question"}
            assert new["context"] == clean["context"] and new["answers"] == clean["answers"]
            for answer, start in zip(new["answers"]["text"], new["answers"]["answer_start"]):
                assert new["context"][start:start + len(answer)] == answer


def pairs(n=12):
    return [{"id": str(i), "source": f"satz nummer {WORDS[i]} hier", "target": f"sentence number {WORDS[i]} here",
             "source_id": "", "target_id": ""} for i in range(n)]


@pytest.mark.parametrize("direction, side", [("en_to_xx", "target"), ("xx_to_en", "source")])
def test_tatoeba_perturbs_the_query_side_only(direction, side):
    tt = BitextRetrieval({"name": "toy_tatoeba", "type": "bitext_retrieval",
                          "retrieval": {"mode": "tatoeba", "direction": direction}}, tokenizer=None)
    assert tt.query_side() == side
    examples = pairs()
    result = cell(tt, examples, "typo:1.0")
    other = "source" if side == "target" else "target"
    assert all(new[other] == clean[other] for clean, new in zip(examples, result.examples))
    assert all(set(c) == {side} for c in result.changes)


def test_bucc_perturbs_source_sentences_and_identical_ones_alike():
    tt = BitextRetrieval({"name": "toy_bucc", "type": "bitext_retrieval", "retrieval": {"mode": "bucc"}},
                         tokenizer=None)
    rows = [{"id": str(i), "source": s, "target": "", "source_id": f"s{i}", "target_id": ""}
            for i, s in enumerate(["ein roter hund", "zwei blaue katzen", "ein roter hund"])]
    rows += [{"id": "t0", "source": "", "target": "a red dog", "source_id": "", "target_id": "t0"}]
    result = cell(tt, rows, "typo:1.0")
    assert result.examples[3] == rows[3] and result.changes[3] == {}
    assert result.examples[0]["source"] == result.examples[2]["source"] != rows[0]["source"]  # still duplicates


def test_dual_encoder_perturbs_queries_not_candidates():
    tt = DualEncoderRetrieval({"name": "toy_lareqa", "type": "dual_encoder_retrieval", "retrieval": {}},
                              tokenizer=None)
    rows = [{"id": "q1", "kind": "query", "query": "wer hat den hund gesehen", "targets": ["c1"], "candidate_id": "",
             "candidate": "", "candidate_context": ""},
            {"id": "c1", "kind": "candidate", "query": "", "targets": [], "candidate_id": "c1",
             "candidate": "der hund wurde gesehen", "candidate_context": "am morgen im park"}]
    result = cell(tt, rows, "typo:1.0")
    assert set(result.changes[0]) == {"query"} and result.examples[1] == rows[1]
    out = CellOutput([["c1"]], [["c1"]], [{"id": "q1", "prediction": ["c1"], "reference": ["c1"]}], ("json", "{}"))
    assert result.finish(tt, out).records[0]["perturbed"] == result.changes[0]


def test_classification_perturbs_both_texts_by_default():
    tt = SequenceClassification({"name": "toy_nli", "type": "sequence_classification", "labels": ["a", "b"]},
                                tokenizer=None)
    rows = [{"id": "1", "text_a": "ein mann geht nach hause", "text_b": "jemand geht", "label": "a"},
            {"id": "2", "text_a": "single sentence only here", "text_b": "", "label": "b"}]
    result = cell(tt, rows, "typo:1.0")
    assert set(result.changes[0]) == {"text_a", "text_b"} and set(result.changes[1]) == {"text_a"}
    assert result.examples[1]["text_b"] == "" and all(r["label"] == e["label"] for r, e in zip(rows, result.examples))


def copa_examples(n=40):
    rng = random.Random(5)
    return [{"id": str(i), "context": f"the {rng.choice(WORDS)} fell over", "question": rng.choice(["cause", "effect"]),
             "choices": [f"choice {k} of item {i}" for k in range(3)], "label": rng.randrange(3)} for i in range(n)]


def test_multiple_choice_text_perturbations_leave_a_template_question_word():
    spec = {"name": "toy_copa", "type": "multiple_choice", "options": {"question_template": "{context} What was the {question}?"}}
    examples = copa_examples()
    result = cell(MultipleChoice(spec, tokenizer=None), examples, "typo:1.0")
    assert all(new["question"] == clean["question"] for clean, new in zip(examples, result.examples))
    assert all(set(c) == {"context", "choices"} for c in result.changes)
    free = cell(MultipleChoice({"name": "toy_siqa", "type": "multiple_choice"}, tokenizer=None), examples, "typo:1.0")
    assert any("question" in c for c in free.changes)


def oracle_output(tt, examples):
    """What a model that always picks the right answer outputs on ``examples`` (per-choice scores too)."""
    preds = [ex["label"] for ex in examples]
    scores = [[1.0 if k == ex["label"] else 0.0 for k in range(len(ex["choices"]))] for ex in examples]
    records = [tt.item_record(ex, p, s) for ex, p, s in zip(examples, preds, scores)]
    return CellOutput(preds, tt.references(examples), records, tt.submission(examples, preds),
                      variants={"norm": list(preds)})


def test_choice_swap_maps_predictions_back_to_the_original_choices():
    tt = MultipleChoice({"name": "toy_copa", "type": "multiple_choice"}, tokenizer=None)
    examples = copa_examples()
    result = cell(tt, examples, "choice_swap:1.0")
    assert all(c["permutation"] != [0, 1, 2] for c in result.changes)
    for clean, new, change in zip(examples, result.examples, result.changes):
        assert new["choices"][new["label"]] == clean["choices"][clean["label"]]  # the label follows its choice
        assert new["choices"] == [clean["choices"][j] for j in change["permutation"]] == change["choices"]
    assert [ex["label"] for ex in result.examples] != [ex["label"] for ex in examples]
    out = result.finish(tt, oracle_output(tt, result.examples))
    gold = [ex["label"] for ex in examples]
    assert out.predictions == out.references == out.variants["norm"] == gold
    assert accuracy(out.predictions, out.references) == 1.0  # the always-right model stays always right
    for record, clean in zip(out.records, examples):
        assert record["prediction"] == clean["label"] and record["correct"] is True
        assert max(range(3), key=record["scores"].__getitem__) == clean["label"]  # scores in the original order
        assert "permutation" in record["perturbed"]
    assert out.submission[1].splitlines()[0] == f'{{"label": {gold[0]}}}'
    assert "perturbed:choice_swap:1.0" in out.flags and out.info["perturbation"]["items_changed"] == 40


def test_choice_swap_maps_prompted_records_back_too():
    tt = MultipleChoice({"name": "toy_copa", "type": "multiple_choice"}, tokenizer=None)
    examples = copa_examples(6)
    result = cell(tt, examples, "choice_swap:1.0")
    always_first = [0] * 6  # a model that always picks the first choice shown
    records = [{"id": ex["id"], "prediction": 0, "prediction_norm": 0, "reference": ex["label"], "correct": ex["label"] == 0,
                "choices": [{"continuation": c} for c in ex["choices"]]} for ex in result.examples]
    out = result.finish(tt, CellOutput(list(always_first), [ex["label"] for ex in result.examples], records,
                                       ("jsonl", ""), variants={"norm": list(always_first)}))
    for record, change, clean in zip(out.records, result.changes, examples):
        assert record["prediction"] == record["prediction_norm"] == change["permutation"][0]
        assert record["reference"] == clean["label"]
        assert [c["continuation"] for c in record["choices"]] == clean["choices"]


def test_item_noise_does_not_depend_on_order_or_limit():
    tt = TokenTagging({"name": "toy_ner", "type": "token_tagging", "labels": []}, tokenizer=None)
    examples = tagging_examples()
    full = cell(tt, examples, "typo:0.5")
    part = cell(tt, list(reversed(examples))[:10], "typo:0.5")
    by_id = {ex["id"]: ex for ex in full.examples}
    assert all(by_id[ex["id"]] == ex for ex in part.examples)
    assert cell(tt, examples, "typo:0.5", seed=2).examples != full.examples
    assert cell(tt, examples, "typo:0.5", lang="fr").examples != full.examples


def test_a_perturbation_that_does_not_apply_is_an_error_naming_task_and_perturbation():
    with pytest.raises(UserError, match="perturbation choice_swap does not apply to task panx"):
        check_task(TokenTagging, parse_perturbation("choice_swap"), "panx", "token_tagging")
    tt = TokenTagging({"name": "panx", "type": "token_tagging", "labels": []}, tokenizer=None)
    with pytest.raises(UserError, match="choice_swap does not apply to task panx"):
        cell(tt, tagging_examples(2), "choice_swap:1.0")
    check_task(MultipleChoice, parse_perturbation("choice_swap"), "xcopa", "multiple_choice")


def test_tatoeba_rows_come_back_in_the_clean_sorted_order(tiny_model):
    import torch
    from types import SimpleNamespace

    from transformers import AutoTokenizer

    tt = BitextRetrieval({"name": "toy_tatoeba", "type": "bitext_retrieval",
                          "retrieval": {"mode": "tatoeba", "pooling": "mean", "max_length": 64}},
                         AutoTokenizer.from_pretrained(str(tiny_model)))
    model = tt.load_model(str(tiny_model))
    engine = SimpleNamespace(device=torch.device("cpu"), precision="fp32", batch_size=4, progress=False, desc="")
    examples = [{**ex, "target": f"{WORDS[i]} {WORDS[-1 - i]} the end"} for i, ex in enumerate(pairs())]
    clean = tt.evaluate(model, examples, engine)
    result = cell(tt, examples, "word_swap:1.0")  # brings the second word first: the English lines sort differently
    raw = tt.evaluate(model, result.examples, engine)
    assert raw.references != clean.references
    out = result.finish(tt, raw)
    assert out.references == clean.references
    assert [r["row"] for r in out.records] == list(range(len(examples)))
    assert [r["id"] for r in out.records] == [r["id"] for r in clean.records]
    assert out.submission[1].splitlines() == [str(p) for p in out.predictions]
    assert all(set(r["perturbed"]) == {"target"} for r in out.records)


def test_the_tokenisation_cache_is_keyed_by_the_examples_content(tiny_model, isolated_home):
    from datasets import Dataset
    from transformers import AutoTokenizer

    from xbench.data.api import LoadedSplit
    from xbench.data.skips import SkipLog
    from xbench.evaluation.features import encode_cached

    tt = TokenTagging({"name": "toy_ner", "type": "token_tagging", "labels": ["O"]},
                      AutoTokenizer.from_pretrained(str(tiny_model)))
    examples = [{"id": str(i), "tokens": ["the", "cat", "runs", "in", "the", "garden"], "tags": ["O"] * 6}
                for i in range(8)]
    loaded = LoadedSplit("toy_ner", "validation", "de", Dataset.from_list(examples), "test", [], [], SkipLog(), "same")
    clean = encode_cached(tt, loaded, examples, 1)
    perturbed = cell(tt, examples, "word_drop:0.5").examples
    features = encode_cached(tt, loaded, perturbed, 1)  # same split, same name: other content, other features
    assert features != clean and features == tt.encode(perturbed)
    assert encode_cached(tt, loaded, examples, 1) == clean
    assert len(list((isolated_home / "cache" / "tokenized").glob("*.arrow"))) == 2  # one file per content

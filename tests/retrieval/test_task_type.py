"""The bitext_retrieval task type on a tiny random BERT: identical inputs get identical embeddings
(so exact ties stay exact and go to the lower index), the spec's ``retrieval.mode`` decides the
behaviour, BUCC's duplicate policy is flagged when not XTREME's, and XTREME-R Tatoeba cells on a
checkpoint without fine-tuning are flagged."""

import json
import shutil
from types import SimpleNamespace

import pytest
import torch

from helpers.tiny_model import make_tiny_model
from xbench.errors import UserError
from xbench.tasktypes.bitext_retrieval import BitextRetrieval, encoder_training, unique_features


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny_bert"))


def task_type(path, mode="tatoeba", options=None, **retrieval):
    from transformers import AutoTokenizer

    spec = {"name": f"toy_{mode}", "type": "bitext_retrieval", "dev_split": "validation",
            "retrieval": {"mode": mode, "pooling": "mean", "max_length": 64, **retrieval},
            "options": dict(options or {})}
    if mode is None:
        del spec["retrieval"]["mode"]
    return BitextRetrieval(spec, AutoTokenizer.from_pretrained(str(path)))


def engine(batch_size=2):
    return SimpleNamespace(device=torch.device("cpu"), precision="fp32", batch_size=batch_size, progress=False, desc="")


def pairs(sources, targets):
    return [{"id": str(i), "source": s, "target": t, "source_id": "", "target_id": ""}
            for i, (s, t) in enumerate(zip(sources, targets))]


def test_unique_features_keeps_first_occurrence_order():
    features = [{"input_ids": [2, 5, 3], "attention_mask": [1, 1, 1]}, {"input_ids": [2, 6, 3], "attention_mask": [1, 1, 1]},
                {"input_ids": [2, 5, 3], "attention_mask": [1, 1, 1]}, {"input_ids": [2, 5, 3], "attention_mask": [1, 1, 0]}]
    unique, inverse = unique_features(features)
    assert unique == [features[0], features[1], features[3]]
    assert inverse == [0, 1, 0, 2]


def test_identical_and_identically_tokenised_sentences_get_bitwise_equal_embeddings(tiny, monkeypatch):
    import xbench.engine.inference as inference

    tt = task_type(tiny)
    model = tt.load_model(str(tiny))
    # "the cat" three ways (the tokenizer lowercases and splits on whitespace), spread over batches of
    # different padded lengths (batches of 2, longest first).
    sentences = ["the big dog runs in the garden quickly and slowly", "the cat", "john and mary",
                 "The  Cat", "a red house on the mountain", "the cat", "paris", "mary sleeps in berlin",
                 "the cat", "the big dog runs in the garden quickly and slowly"]
    seen = []
    original = inference.run_batches

    def counting(model_, features, *args, **kwargs):
        seen.append(len(features))
        return original(model_, features, *args, **kwargs)

    monkeypatch.setattr(inference, "run_batches", counting)
    vectors = tt.embed(model, sentences, engine(batch_size=2), layer=2)
    assert seen == [6]  # one forward pass per distinct token sequence
    assert vectors.shape == (10, 32) and vectors.dtype == torch.float32
    for i, j in ((1, 3), (1, 5), (1, 8), (0, 9)):
        assert torch.equal(vectors[i], vectors[j]), (i, j)
    assert not torch.equal(vectors[1], vectors[6])
    # from the on-disk cache: the same bits again, without a forward pass
    again = tt.embed(model, sentences, engine(batch_size=3), layer=2)
    assert seen == [6] and torch.equal(again, vectors)


def test_a_tie_between_identical_lines_goes_to_the_lower_index(tiny):
    tt = task_type(tiny)
    model = tt.load_model(str(tiny))
    # non-English lines 1, 3 and 4 tokenise identically; every English "the cat" query ties among them
    sources = ["mary sleeps in the house", "the cat", "a dog runs quickly", "THE CAT", "the  cat"]
    targets = ["mary sleeps in the house", "the cat", "a dog runs quickly", "the cat", "the cat"]
    out = tt.evaluate(model, pairs(sources, targets), engine(batch_size=2))
    # sorted English rows: "a dog…"(2), "mary…"(0), "the cat"(1), "the cat"(3), "the cat"(4)
    assert out.references == [2, 0, 1, 3, 4]
    assert out.predictions == [2, 0, 1, 1, 1]
    assert out.info["mode"] == "tatoeba" and "hidden layer" in out.info["layer"]
    assert out.flags == []


def test_the_spec_mode_decides_never_the_data(tiny):
    model = task_type(tiny).load_model(str(tiny))
    aligned = pairs(["the cat", "a dog"], ["the cat", "a dog"])
    with pytest.raises(UserError, match="retrieval.mode"):
        task_type(tiny, mode=None).evaluate(model, aligned, engine())
    mining = [{"id": "1", "source": "the cat", "target": "", "source_id": "de-1", "target_id": ""},
              {"id": "2", "source": "", "target": "the cat", "source_id": "", "target_id": "en-1"}]
    with pytest.raises(UserError, match="mode is tatoeba"):
        task_type(tiny, mode="tatoeba").evaluate(model, mining, engine())
    with pytest.raises(UserError, match="mode is bucc"):
        task_type(tiny, mode="bucc").evaluate(model, aligned, engine())


def mining_rows():
    src = [("zh-1", "the cat runs"), ("zh-2", "mary sleeps in the house"), ("zh-3", "the cat runs"),
           ("zh-4", "a red car on the mountain"), ("zh-5", "john and paris")]
    tgt = [("en-1", "the cat runs"), ("en-2", "mary sleeps in the house"), ("en-3", "a red car on the mountain"),
           ("en-4", "google company"), ("en-5", "john and paris")]
    rows = [{"id": i, "source": t, "target": "", "source_id": i, "target_id": ""} for i, t in src]
    rows += [{"id": i, "source": "", "target": t, "source_id": "", "target_id": i} for i, t in tgt]
    gold = [("zh-1", "en-1"), ("zh-2", "en-2"), ("zh-4", "en-3"), ("zh-5", "en-5")]
    return rows, gold


def test_bucc_default_drops_repeated_texts_and_the_other_policy_is_flagged(tiny):
    rows, gold = mining_rows()
    cell = SimpleNamespace(loaded=SimpleNamespace(gold=gold, split="validation"), load=None, group=None)
    model = task_type(tiny, mode="bucc").load_model(str(tiny))

    official = task_type(tiny, mode="bucc").evaluate(model, rows, engine(), cell)
    assert official.info["duplicates"] == "drop"
    assert not any(f.startswith("bucc_duplicates") for f in official.flags)
    assert "threshold_tuned_on_scored_gold" in official.flags  # dev only: tuned on the scored gold
    candidates = {(r["source_id"], r["target_id"]) for r in official.records}
    assert not {s for s, _ in candidates} & {"zh-1", "zh-3"}  # "the cat runs" occurs under two ids

    every = task_type(tiny, mode="bucc", options={"duplicates": "all"}).evaluate(model, rows, engine(), cell)
    assert every.info["duplicates"] == "all"
    assert "bucc_duplicates=all" in every.flags
    expanded = {(r["source_id"], r["target_id"]) for r in every.records}
    assert {("zh-1", "en-1"), ("zh-3", "en-1")} <= expanded
    assert candidates < expanded

    with pytest.raises(UserError, match="options.duplicates"):
        task_type(tiny, mode="bucc", options={"duplicates": "first"}).evaluate(model, rows, engine(), cell)


def test_xtreme_r_tatoeba_on_an_encoder_without_fine_tuning_is_flagged(tiny, tmp_path):
    data = pairs(["the cat", "a dog runs"], ["the cat", "a dog runs"])
    tt = task_type(tiny, finetuned_encoder_groups=["xtreme-r"])
    model = tt.load_model(str(tiny))
    raw = tt.evaluate(model, data, engine(), SimpleNamespace(group="xtreme-r"))
    assert raw.flags == ["encoder_not_finetuned"] and raw.info["encoder_training"] is None
    xtreme = tt.evaluate(model, data, engine(), SimpleNamespace(group="xtreme"))
    assert xtreme.flags == [] and "encoder_training" not in xtreme.info
    bare = tt.evaluate(model, data, engine(), None)
    assert bare.flags == []

    squad = tmp_path / "squad-finetuned"
    shutil.copytree(tiny, squad)
    (squad / "xbench_head.json").write_text(json.dumps({"type": "extractive_qa", "task": "squad", "labels": []}))
    tuned = tt.evaluate(tt.load_model(str(squad)), data, engine(), SimpleNamespace(group="xtreme-r"))
    assert tuned.flags == [] and tuned.info["encoder_training"] == {"head_task": "squad"}


def test_encoder_training_evidence(tiny, tmp_path):
    def fake(path=None, architectures=None):
        return SimpleNamespace(xbench_path=path, config=SimpleNamespace(architectures=architectures))

    assert encoder_training(fake(str(tiny), ["BertModel"])) is None
    assert encoder_training(fake(None, ["XLMRobertaForMaskedLM"])) is None
    assert encoder_training(fake(None, None)) is None
    assert encoder_training(fake("org/model", ["XLMRobertaForQuestionAnswering"])) == {
        "architecture": "XLMRobertaForQuestionAnswering"}
    trained = tmp_path / "intermediate"
    trained.mkdir()
    (trained / "manifest.json").write_text(json.dumps({"tasks": [{"task": "squad"}, {"task": "mnli"}]}))
    assert encoder_training(fake(str(trained), ["BertModel"])) == {"intermediate_tasks": ["squad", "mnli"]}

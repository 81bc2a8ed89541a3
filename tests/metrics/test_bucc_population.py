"""BUCC's bootstrap resamples the data's source sentences, whatever a system predicted."""

import pytest

from xbench.errors import UserError
from xbench.metrics.bootstrap import bootstrap_ci
from xbench.metrics.retrieval import GoldPairs, bucc_f1, bucc_item_stats

SOURCES = [f"de-{i}" for i in range(1, 9)]  # eight source sentences in the data
GOLD = {("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-3"), ("de-4", "en-4")}
CAUTIOUS = {("de-1", "en-1"), ("de-2", "en-2")}  # predicts little
EAGER = {("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-9"), ("de-5", "en-5"), ("de-6", "en-6"),
         ("de-7", "en-7")}  # predicts a lot, mostly on sentences without gold


def test_two_systems_are_resampled_over_the_same_population():
    reference = [GoldPairs.of(GOLD, SOURCES)]
    cautious = bootstrap_ci(bucc_f1, [CAUTIOUS], reference)
    eager = bootstrap_ci(bucc_f1, [EAGER], reference)
    assert cautious.n_items == eager.n_items == len(SOURCES)
    # without the population, the units would be the sources seen in gold or predictions: unequal
    assert bucc_item_stats([CAUTIOUS], [GOLD]).shape[0] == 4
    assert bucc_item_stats([EAGER], [GOLD]).shape[0] == 7


def test_population_rows_carry_each_sources_gold_and_predictions():
    stats = bucc_item_stats([EAGER], [GoldPairs.of(GOLD, SOURCES)])
    # de-1 .. de-8 sorted: (correct, predicted, gold)
    assert stats.tolist() == [[1, 1, 1], [1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 1, 0], [0, 1, 0], [0, 1, 0],
                              [0, 0, 0]]
    assert bucc_f1([EAGER], [GoldPairs.of(GOLD, SOURCES)]) == bucc_f1(EAGER, GOLD)  # the value is unchanged


def test_gold_on_a_sentence_outside_the_data_is_still_a_unit_and_foreign_predictions_are_refused():
    stats = bucc_item_stats([CAUTIOUS], [GoldPairs.of(GOLD | {("de-99", "en-99")}, SOURCES)])
    assert stats.shape[0] == len(SOURCES) + 1
    with pytest.raises(UserError, match="not a sentence of the data"):
        bucc_item_stats([{("fr-1", "en-1")}], [GoldPairs.of(GOLD, SOURCES)])


def test_the_bucc_task_type_hands_the_metric_the_datas_sources(tmp_path):
    """Two evaluations that predict different pairs (XTREME's duplicate policy and the other one)
    are bootstrapped over the same units: every source sentence of the data."""
    from types import SimpleNamespace

    import torch
    from transformers import AutoTokenizer

    from helpers.tiny_model import make_tiny_model
    from xbench.tasktypes.bitext_retrieval import BitextRetrieval

    model_dir = make_tiny_model(tmp_path / "tiny")
    src = [("zh-1", "the cat runs"), ("zh-2", "mary sleeps in the house"), ("zh-3", "the cat runs"),
           ("zh-4", "a red car on the mountain"), ("zh-5", "john and paris"), ("zh-6", "big river")]
    tgt = [("en-1", "the cat runs"), ("en-2", "mary sleeps in the house"), ("en-3", "a red car on the mountain"),
           ("en-4", "google company"), ("en-5", "john and paris")]
    rows = [{"id": i, "source": t, "target": "", "source_id": i, "target_id": ""} for i, t in src]
    rows += [{"id": i, "source": "", "target": t, "source_id": "", "target_id": i} for i, t in tgt]
    gold = [("zh-1", "en-1"), ("zh-2", "en-2"), ("zh-4", "en-3"), ("zh-5", "en-5")]
    cell = SimpleNamespace(loaded=SimpleNamespace(gold=gold, split="validation"), load=None, group=None)
    engine = SimpleNamespace(device=torch.device("cpu"), precision="fp32", batch_size=2, progress=False, desc="")
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    outputs = []
    for duplicates in ("drop", "all"):
        spec = {"name": "toy_bucc", "type": "bitext_retrieval", "dev_split": "validation",
                "retrieval": {"mode": "bucc", "pooling": "mean", "max_length": 64}, "options": {"duplicates": duplicates}}
        tt = BitextRetrieval(spec, tokenizer)
        outputs.append(tt.evaluate(tt.load_model(str(model_dir)), rows, engine, cell))
    drop, every = outputs
    assert drop.predictions != every.predictions  # the two systems predict different pairs
    (reference,) = drop.references
    assert isinstance(reference, GoldPairs) and reference.sources == tuple(f"zh-{i}" for i in range(1, 7))
    intervals = [bootstrap_ci(bucc_f1, out.predictions, out.references) for out in outputs]
    assert intervals[0].n_items == intervals[1].n_items == drop.n_items == every.n_items == 6

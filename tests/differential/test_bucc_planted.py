"""BUCC with pairs to find: the official threshold rule and P/R/F1 against xbench's results.json.

A random model finds no real zh-en pair, so the corpus is planted from the real dev files: the gold
pairs are split in two halves, one for a "sample" (dev) corpus and one for a "training" (test)
corpus, laid out as BUCC's release (the ``original`` layout). In each corpus most gold zh sentences
are replaced by a copy of their English partner (exact, or with words dropped: findable, with
varying scores), the rest keep their Chinese text (not findable: recall < 1), one findable text is
repeated under a second zh id (the official scorer drops repeated texts), and real zh and en
sentences outside the gold are distractors. xbench tunes the threshold on dev and applies it to test.
"""

import json
import random

import pytest

from differential import official_labels as labels
from differential import official_scorers as official
from differential.conftest import evaluate

pytestmark = pytest.mark.integration

TOLERANCE = 1e-9


def read_side(path):
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        sentence_id, text = line.split("\t", 1)
        rows.append((sentence_id, text.strip()))
    return rows


def planted_corpus(gold, zh_rows, en_rows, rng, distractors=(120, 250)):
    en_text = dict(en_rows)
    zh_text = dict(zh_rows)
    gold = sorted(gold)
    zh, en = [], []
    for i, (zh_id, en_id) in enumerate(gold):
        words = en_text[en_id].split()
        if i % 4 == 3:
            zh.append((zh_id, zh_text[zh_id]))  # the real Chinese sentence: the random model misses it
        elif i % 2:
            kept = [w for j, w in enumerate(words) if j % 5 != 2] or words
            zh.append((zh_id, " ".join(kept)))
        else:
            zh.append((zh_id, en_text[en_id]))
        en.append((en_id, en_text[en_id]))
    zh.append((f"zh-9{gold[0][0][4:]}", zh[0][1]))  # a repeated text under another id: dropped
    gold_zh, gold_en = {z for z, _ in gold}, {e for _, e in gold}
    used_en_texts = {t for _, t in en}
    zh += rng.sample([r for r in zh_rows if r[0] not in gold_zh], distractors[0])
    en += rng.sample([r for r in en_rows if r[0] not in gold_en and r[1] not in used_en_texts], distractors[1])
    rng.shuffle(zh)
    rng.shuffle(en)
    return zh, en


def write_corpus(folder, name, zh, en, gold):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"zh-en.{name}.zh").write_text("".join(f"{i}\t{t}\n" for i, t in zh), encoding="utf-8")
    (folder / f"zh-en.{name}.en").write_text("".join(f"{i}\t{t}\n" for i, t in en), encoding="utf-8")
    (folder / f"zh-en.{name}.gold").write_text("".join(f"{z}\t{e}\n" for z, e in sorted(gold)), encoding="utf-8")


@pytest.fixture(scope="module")
def planted(xbench_env, diff_model, shared_data, tmp_path_factory):
    source = shared_data / "bucc2018"
    gold = sorted(labels.id_pairs(source / "zh-en.dev.gold"))
    zh_rows, en_rows = read_side(source / "zh-en.dev.zh"), read_side(source / "zh-en.dev.en")
    root = tmp_path_factory.mktemp("bucc_planted")
    folder = root / "bucc2018" / "zh-en"
    rng = random.Random(2018)
    halves = {"sample": set(gold[0::2]), "training": set(gold[1::2])}
    for name, half in halves.items():
        write_corpus(folder, name, *planted_corpus(half, zh_rows, en_rows, rng), half)
    runs = {split: evaluate(diff_model, tmp_path_factory.mktemp(f"bucc_{split}"), root, {"bucc2018": ["zh"]},
                            f"bucc2018={split}", None)
            for split in ("validation", "test")}
    return folder, halves, runs


def candidates_of(run, split):
    path = run.folder / "seed-1" / "items" / "bucc2018" / f"{split}-zh.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [((r["source_id"], r["target_id"]), r["score"]) for r in rows]


def prediction_pairs(run, split):
    return labels.id_pairs(run.folder / "seed-1" / "predictions" / "bucc2018" / f"{split}-zh.tsv")


def test_dev_threshold_is_the_official_rule_and_scores_match(planted):
    folder, halves, runs = planted
    run = runs["validation"]
    cell = run.cell("bucc2018", "zh", "validation")
    candidates = candidates_of(run, "validation")
    threshold = official.bucc_threshold(candidates, halves["sample"])
    # per-item scores are stored rounded to 6 decimals; the threshold is midway between two of them
    assert abs(cell["info"]["threshold"] - threshold) <= 1e-6
    predicted = prediction_pairs(run, "validation")
    assert predicted == official.bucc_extract(candidates, threshold)
    scores = official.pair_prf(predicted, labels.id_pairs(folder / "zh-en.sample.gold"))
    assert 0 < scores.f1 < 1 and scores.recall < 1  # pairs found, some not findable
    assert abs(cell["metrics"]["bucc_f1"] - scores.f1) <= TOLERANCE
    assert abs(cell["info"]["precision"] - scores.precision) <= TOLERANCE
    assert abs(cell["info"]["recall"] - scores.recall) <= TOLERANCE


def test_test_split_applies_the_dev_threshold_and_scores_match(planted):
    folder, halves, runs = planted
    dev_threshold = runs["validation"].cell("bucc2018", "zh", "validation")["info"]["threshold"]
    run = runs["test"]
    cell = run.cell("bucc2018", "zh", "test")
    assert cell["info"]["threshold_tuned_on"] == "validation"
    assert cell["info"]["threshold"] == dev_threshold
    predicted = prediction_pairs(run, "test")
    assert predicted == official.bucc_extract(candidates_of(run, "test"), dev_threshold)
    scores = official.pair_prf(predicted, labels.id_pairs(folder / "zh-en.training.gold"))
    assert 0 < scores.f1 < 1
    assert abs(cell["metrics"]["bucc_f1"] - scores.f1) <= TOLERANCE
    assert abs(cell["info"]["precision"] - scores.precision) <= TOLERANCE
    assert abs(cell["info"]["recall"] - scores.recall) <= TOLERANCE


def test_repeated_texts_are_never_predicted(planted):
    folder, halves, runs = planted
    for split, name in (("validation", "sample"), ("test", "training")):
        zh = read_side(folder / f"zh-en.{name}.zh")
        texts = [t for _, t in zh]
        repeated = {i for i, t in zh if texts.count(t) > 1}
        assert repeated, "the planted corpus should hold a repeated text"
        assert not {s for s, _ in prediction_pairs(runs[split], split)} & repeated

"""BUCC mining: dedup, margin scores, greedy 1:1 selection, threshold choice, P/R/F1, pair files."""

import pytest
import torch

from xbench.errors import UserError
from xbench.retrieval.bucc import (
    MarginCandidates,
    MinedPair,
    UniqueSentences,
    margin_candidates,
    mine,
    select_one_to_one,
)
from xbench.retrieval.bucc_scoring import (
    ScoredPair,
    candidate_pairs,
    evaluate,
    prf,
    read_pairs,
    select_threshold,
    write_pairs,
)
from xbench.retrieval.knn import Neighbours


def test_dedup_keeps_every_id_in_first_occurrence_order():
    side = UniqueSentences.from_rows(["a1", "a2", "a3", "a4"], ["x", "y", "x", "z"])
    assert side.texts == ("x", "y", "z")
    assert side.ids == (("a1", "a3"), ("a2",), ("a4",))
    with pytest.raises(ValueError):
        UniqueSentences.from_rows(["a1"], ["x", "y"])


def test_ratio_margin_by_hand():
    # 2 source and 2 target sentences, k = 2; cos(s0,t0)=0.5 cos(s0,t1)=0.9 cos(s1,t0)=0.4 cos(s1,t1)=0.8
    forward = Neighbours(torch.tensor([[0.9, 0.5], [0.8, 0.4]]), torch.tensor([[1, 0], [1, 0]]))
    backward = Neighbours(torch.tensor([[0.5, 0.4], [0.9, 0.8]]), torch.tensor([[0, 1], [0, 1]]))
    # kNN means: src 0.7, 0.6; tgt 0.45, 0.85
    got = margin_candidates(forward, backward)
    # s0: t1 0.9 / ((0.7 + 0.85) / 2) = 1.161 beats t0 0.5 / ((0.7 + 0.45) / 2) = 0.870
    # s1: t1 0.8 / ((0.6 + 0.85) / 2) = 1.103 beats t0 0.4 / ((0.6 + 0.45) / 2) = 0.762
    assert got.fwd_best.tolist() == [1, 1]
    assert got.fwd_score.tolist() == pytest.approx([0.9 / 0.775, 0.8 / 0.725], rel=1e-6)
    # t0: s0 0.5 / 0.575 beats s1 0.4 / 0.525; t1: s0 0.9 / 0.775 beats s1 0.8 / 0.725
    assert got.bwd_best.tolist() == [0, 0]
    assert got.bwd_score.tolist() == pytest.approx([0.5 / 0.575, 0.9 / 0.775], rel=1e-6)


def test_greedy_selection_uses_each_sentence_once():
    candidates = MarginCandidates(
        fwd_best=torch.tensor([1, 1, 0]), fwd_score=torch.tensor([2.0, 1.5, 1.2], dtype=torch.float64),
        bwd_best=torch.tensor([2, 0]), bwd_score=torch.tensor([1.3, 2.0], dtype=torch.float64),
    )
    # pool: (0,1,2.0) (1,1,1.5) (2,0,1.2) (2,0,1.3) (0,1,2.0); the tie keeps pool order.
    assert select_one_to_one(candidates) == [MinedPair(0, 1, 2.0), MinedPair(2, 0, 1.3)]


def planted_corpus():
    """40 source and 50 target sentences (random 256-d vectors) with:
    - 20 true pairs (target = source + small noise), all in gold;
    - 3 looser copies (larger noise) that are NOT in gold: they rank below the true pairs;
    - 2 gold pairs whose target is unrelated, so they can never be found.
    """
    generator = torch.Generator().manual_seed(11)
    src = torch.randn(40, 256, generator=generator)
    tgt = torch.randn(50, 256, generator=generator)
    tgt_of = torch.randperm(50, generator=generator)[:25].tolist()
    for s in range(20):
        tgt[tgt_of[s]] = src[s] + 0.05 * torch.randn(256, generator=generator)
    for s in range(20, 23):
        tgt[tgt_of[s]] = src[s] + 1.7 * torch.randn(256, generator=generator)
    src_ids = [f"de-{i:09d}" for i in range(40)]
    tgt_ids = [f"en-{i:09d}" for i in range(50)]
    gold = {(src_ids[s], tgt_ids[tgt_of[s]]) for s in range(20)}
    gold |= {(src_ids[s], tgt_ids[tgt_of[s - 7]]) for s in (30, 31)}  # unplanted targets 23, 24
    return src, tgt, src_ids, tgt_ids, gold, tgt_of


def test_planted_pairs_exact_precision_recall():
    src, tgt, src_ids, tgt_ids, gold, tgt_of = planted_corpus()
    mined = mine(src, tgt, k=4, block_size=16)
    src_side = UniqueSentences.from_rows(src_ids, [f"s{i}" for i in range(40)])
    tgt_side = UniqueSentences.from_rows(tgt_ids, [f"t{i}" for i in range(50)])
    candidates = candidate_pairs(mined, src_side, tgt_side)
    top = candidates[:23]
    assert {p.key for p in top[:20]} == {(src_ids[s], tgt_ids[tgt_of[s]]) for s in range(20)}
    assert {p.key for p in top[20:]} == {(src_ids[s], tgt_ids[tgt_of[s]]) for s in range(20, 23)}
    assert top[22].score > candidates[23].score

    # A threshold below the looser copies: 23 predicted, 20 correct, 22 gold.
    loose = evaluate(candidates, gold, threshold=(top[22].score + candidates[23].score) / 2)
    assert not loose.tuned_on_scored_gold
    assert (loose.scores.n_predicted, loose.scores.n_correct, loose.scores.n_gold) == (23, 20, 22)
    assert loose.scores.precision == 20 / 23 and loose.scores.recall == 20 / 22

    # Tuned on gold: the cut falls between the true pairs and the looser copies.
    tuned = evaluate(candidates, gold)
    assert tuned.tuned_on_scored_gold
    assert tuned.threshold == pytest.approx((top[19].score + top[20].score) / 2)
    assert tuned.scores.precision == 1.0 and tuned.scores.recall == 20 / 22


def test_threshold_selection_by_hand():
    gold = {("s1", "t1"), ("s3", "t3"), ("s4", "t4"), ("s9", "t9")}
    candidates = [ScoredPair("s1", "t1", 0.9), ScoredPair("s2", "t2", 0.8), ScoredPair("s3", "t3", 0.7),
                  ScoredPair("s4", "t4", 0.6), ScoredPair("s5", "t5", 0.5)]
    # prefix F1: 0.4, 0.333, 0.571, 0.75, 0.667 -> best after 4 -> midway between 0.6 and 0.5
    choice = select_threshold(candidates, gold)
    assert choice.cutoff == 4 and choice.best_f1 == pytest.approx(0.75)
    assert choice.threshold == pytest.approx(0.55)
    result = evaluate(candidates, gold, threshold=choice.threshold)
    assert result.pairs == [("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t4")]
    assert (result.scores.precision, result.scores.recall) == (0.75, 0.75)


def test_threshold_edge_cases():
    # Best F1 at the last candidate: keep everything (threshold = its own score).
    all_good = [ScoredPair("a", "b", 0.9), ScoredPair("c", "d", 0.3)]
    assert select_threshold(all_good, {("a", "b"), ("c", "d")}).threshold == 0.3
    # No correct candidate: XTREME's 0.0 (F1 is 0 whatever the threshold).
    assert select_threshold(all_good, {("x", "y")}).threshold == 0.0
    assert prf([("a", "b")], {("x", "y")}).f1 == 0.0
    with pytest.raises(UserError, match="no threshold and no gold"):
        evaluate(all_good, None)


def test_duplicate_texts_are_dropped_by_default_or_expand_to_all_ids():
    src = UniqueSentences.from_rows(["zh-1", "zh-2", "zh-3"], ["same", "other", "same"])
    tgt = UniqueSentences.from_rows(["en-7", "en-8"], ["hello", "world"])
    mined = [MinedPair(0, 1, 1.4), MinedPair(1, 0, 1.2)]
    expanded = candidate_pairs(mined, src, tgt, duplicates="all")
    assert [p.key for p in expanded] == [("zh-1", "en-8"), ("zh-3", "en-8"), ("zh-2", "en-7")]
    assert [p.score for p in expanded] == [1.4, 1.4, 1.2]
    dropped = candidate_pairs(mined, src, tgt)  # XTREME's policy is the default
    assert dropped == candidate_pairs(mined, src, tgt, duplicates="drop")
    assert [p.key for p in dropped] == [("zh-2", "en-7")]
    with pytest.raises(UserError, match="duplicates policy"):
        candidate_pairs(mined, src, tgt, duplicates="first")


def test_pair_file_round_trip(tmp_path):
    path = tmp_path / "bucc2018" / "test-zh.tsv"
    write_pairs(path, [("zh-000000057", "en-000008530"), ("zh-000000137", "en-000003060")])
    assert path.read_text() == "zh-000000057\ten-000008530\nzh-000000137\ten-000003060\n"
    assert read_pairs(path) == {("zh-000000057", "en-000008530"), ("zh-000000137", "en-000003060")}
    path.write_text("zh-1 en-2\n")
    with pytest.raises(UserError, match=r"test-zh.tsv:1"):
        read_pairs(path)


# ---- XTREME's scorer (third_party/utils_retrieve.py), copied faithfully: it reads the mined text
# pairs ("score<TAB>src text<TAB>trg text" lines), maps texts to ids with read_sent2id (which deletes
# every text seen twice), keeps the max score per id pair, tunes the threshold with bucc_optimize
# and extracts the pairs scoring >= it.

def official_read_sent2id(ids, sentences):
    repeated = set()
    sent2id = {}
    for id, sent in zip([i.strip() for i in ids], [s.strip() for s in sentences]):
        if sent in sent2id:
            repeated.add(sent)
        else:
            sent2id[sent] = id
    for sent in repeated:
        del sent2id[sent]
    return sent2id


def official_bucc_eval(candidate_lines, src_ids, src_texts, trg_ids, trg_texts, gold_pairs):
    src_sent2id = official_read_sent2id(src_ids, src_texts)
    trg_sent2id = official_read_sent2id(trg_ids, trg_texts)
    candidate2score = {}
    for line in candidate_lines:
        score, src, trg = line.split("\t")
        score = float(score)
        src = src.strip()
        trg = trg.strip()
        if src in src_sent2id and trg in trg_sent2id:
            src_id = src_sent2id[src]
            trg_id = trg_sent2id[trg]
            score = max(score, candidate2score.get((src_id, trg_id), score))
            candidate2score[(src_id, trg_id)] = score
    gold = {f"{s}\t{t}" for s, t in gold_pairs}
    items = sorted(candidate2score.items(), key=lambda x: -x[1])  # bucc_optimize
    ngold = len(gold)
    nextract = ncorrect = 0
    threshold = 0
    best_f1 = 0
    for i in range(len(items)):
        nextract += 1
        if "\t".join(items[i][0]) in gold:
            ncorrect += 1
        if ncorrect > 0:
            precision = ncorrect / nextract
            recall = ncorrect / ngold
            f1 = 2 * precision * recall / (precision + recall)
            if f1 > best_f1:
                best_f1 = f1
                threshold = (items[i][1] + items[i + 1][1]) / 2
    bitexts = [src + "\t" + trg for (src, trg), score in candidate2score.items() if score >= threshold]  # bucc_extract
    ncorrect = len(gold.intersection(bitexts))
    precision = ncorrect / len(bitexts) if ncorrect else 0
    recall = ncorrect / len(gold) if ncorrect else 0
    f1 = 2 * precision * recall / (precision + recall) if ncorrect else 0
    return threshold, {tuple(b.split("\t")) for b in bitexts}, (precision, recall, f1)


def corpus_with_duplicates():
    """The planted corpus, with repeated texts on both sides: source texts 0-3 and target texts of
    gold pairs 4-5 each occur under a second id (all repeats carry gold pairs, so the policies differ
    in what can be found), plus repeats of unrelated sentences."""
    src, tgt, src_ids, tgt_ids, gold, tgt_of = planted_corpus()
    src_texts, tgt_texts = [f"s{i}" for i in range(40)], [f"t{i}" for i in range(50)]
    extra_src = [(f"de-dup-{i}", src_texts[i]) for i in (0, 1, 2, 3, 35)]
    unrelated = next(t for t in range(50) if t not in tgt_of[:25])
    extra_tgt = [(f"en-dup-{i}", tgt_texts[tgt_of[i]]) for i in (4, 5)] + [("en-dup-x", tgt_texts[unrelated])]
    src_rows = list(zip(src_ids, src_texts)) + extra_src
    tgt_rows = list(zip(tgt_ids, tgt_texts)) + extra_tgt
    return src, tgt, src_rows, tgt_rows, gold


def test_default_duplicate_policy_equals_the_official_scorer():
    src, tgt, src_rows, tgt_rows, gold = corpus_with_duplicates()
    src_side = UniqueSentences.from_rows(*zip(*src_rows))
    tgt_side = UniqueSentences.from_rows(*zip(*tgt_rows))
    assert (len(src_side), len(tgt_side)) == (40, 50)  # repeats are embedded and mined once
    mined = mine(src, tgt, k=4, block_size=16)
    # what XTREME's mining writes: the selected text pairs, best margin first
    lines = [f"{p.score}\t{src_side.texts[p.src]}\t{tgt_side.texts[p.tgt]}" for p in mined]
    threshold, predicted, (precision, recall, f1) = official_bucc_eval(
        lines, *zip(*src_rows), *zip(*tgt_rows), gold)

    ours = evaluate(candidate_pairs(mined, src_side, tgt_side), gold)
    assert ours.threshold == threshold
    assert set(ours.pairs) == predicted
    assert (ours.scores.precision, ours.scores.recall, ours.scores.f1) == (precision, recall, f1)
    assert recall < 20 / 22  # gold pairs on repeated texts cannot be found

    # the other policy reports the repeated texts under every id: a different number
    every = evaluate(candidate_pairs(mined, src_side, tgt_side, duplicates="all"), gold)
    assert every.scores.f1 != f1 and every.scores.n_correct > ours.scores.n_correct

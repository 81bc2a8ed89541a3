"""The official rules of official_scorers.py / official_labels.py on hand-checked inputs, so that the
differential tests compare xbench with the published definitions and not with a mistake of their own."""

import pytest

from differential import official_labels as labels
from differential import official_scorers as official


def test_squad_normalization_order_and_scope():
    assert official.squad_normalize("The Cat's  hat, an apple!") == "cats hat apple"
    # articles only as whole words ("theatre" keeps its "the"); ASCII punctuation only: « » and 。 stay
    assert official.squad_normalize("Theatre «a» 北京。") == "theatre « » 北京。"
    assert official.squad_normalize("a-b") == "ab"  # punctuation goes first, so "a-b" is one word


@pytest.mark.parametrize("lang,text,tokens", [
    ("en", "The «cat», a hat", ["cat", "hat"]),            # Unicode punctuation is removed too
    ("es", "El gato y LA casa", ["gato", "y", "casa"]),
    ("de", "Der Hund, die Katze und das Haus", ["hund", "katze", "und", "haus"]),
    ("vi", "cái bàn của tôi", ["bàn", "tôi"]),
    ("ar", "الكتاب في المدرسة", ["كتاب", "في", "مدرسة"]),  # every ال, inside words too
    ("hi", "यह एक किताब है।", ["यह", "एक", "किताब", "है"]),    # no articles; danda is punctuation
    ("zh", "北京大学 is 好的,ok", ["北", "京", "大", "学", "is", "好", "的", "ok"]),
])
def test_mlqa_tokens_by_language(lang, text, tokens):
    assert official.mlqa_tokens(text, lang) == tokens


def test_mlqa_refuses_an_unknown_language():
    with pytest.raises(AssertionError, match="no language"):
        official.mlqa_tokens("x", "fr")


def test_qa_scores_missing_extra_and_max_over_answers():
    gold = {"q1": ["the red house", "a house"], "q2": ["Paris"], "q3": ["blue sky"]}
    predictions = {"q1": "red house", "q3": "sky is blue", "extra": "anything"}
    scores = official.qa_scores(predictions, gold, normalization="squad")
    # q1: EM 1 (vs "the red house"); q2: missing, 0; q3: 2 common of 3 predicted and 2 gold -> 0.8
    assert scores.exact_match == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx((1 + 0 + 0.8) / 3)
    # zh under MLQA rules: characters are tokens, so a partial answer scores partial F1
    zh = official.qa_scores({"q": "北京大学"}, {"q": ["北京"]}, normalization="mlqa", lang="zh")
    assert (zh.exact_match, zh.f1) == (0.0, pytest.approx(2 * 0.5 * 1 / 1.5))
    # the same under SQuAD rules: one whitespace token, no overlap
    assert official.qa_scores({"q": "北京大学"}, {"q": ["北京"]}, normalization="squad").f1 == 0.0


def test_tatoeba_gold_rows_are_the_stably_sorted_english():
    assert official.tatoeba_gold(["b \n", "a", " b", "c", "a\n"]) == [1, 4, 0, 2, 3]


def test_bucc_threshold_rule_by_hand():
    candidates = [(("s1", "t1"), 0.9), (("s2", "t2"), 0.8), (("s3", "t3"), 0.7), (("s4", "t4"), 0.6),
                  (("s5", "t5"), 0.5)]
    gold = {("s1", "t1"), ("s3", "t3"), ("s4", "t4"), ("s9", "t9")}
    # prefix F1: 0.4, 0.333, 0.571, 0.75, 0.667 -> after the 4th, midway to the 5th
    assert official.bucc_threshold(candidates, gold) == pytest.approx(0.55)
    assert official.bucc_extract(candidates, 0.55) == {("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t4")}
    assert official.pair_prf(official.bucc_extract(candidates, 0.55), gold) == official.PRF(0.75, 0.75, 0.75)
    assert official.bucc_threshold(candidates[:2], {("s1", "t1"), ("s2", "t2")}) == 0.8  # best = all
    assert official.bucc_threshold(candidates, {("x", "y")}) == 0.0
    assert official.pair_prf([("a", "b")], {("x", "y")}) == official.PRF(0.0, 0.0, 0.0)


def test_accuracy_refuses_unequal_line_counts():
    assert official.accuracy(["a", "b", "a"], ["a", "a", "a"]) == pytest.approx(2 / 3)
    with pytest.raises(AssertionError, match="line counts"):
        official.accuracy(["a"], ["a", "b"])


def test_tagging_is_seqeval_0012_pos_chunks():
    gold = [["DET", "NOUN", "NOUN", "VERB", "ADJ", "PUNCT"]]
    predicted = [["DET", "NOUN", "VERB", "VERB", "ADJ", "PUNCT"]]
    # gold chunks: DET, NOUN(1-2), VERB, ADJ, PUNCT; predicted: DET, NOUN(1), VERB(2-3), ADJ, PUNCT
    assert official.tagging_f1(predicted, gold) == pytest.approx(0.6)
    assert official.token_accuracy(predicted, gold) == pytest.approx(5 / 6)


CONLLU = """# sent_id = 1
# text = Il parle du vin.
1\tIl\til\tPRON\t_\t_\t2\tnsubj\t_\t_
2\tparle\tparler\tVERB\t_\t_\t0\troot\t_\t_
3-4\tdu\t_\t_\t_\t_\t_\t_\t_\t_
3\tde\tde\tADP\t_\t_\t5\tcase\t_\t_
4\tle\tle\tDET\t_\t_\t5\tdet\t_\t_
5\tvin\tvin\tNOUN\t_\t_\t2\tobl\t_\t_
5.1\tbu\tboire\tVERB\t_\t_\t_\t_\t2:conj\t_
6\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_
"""


def test_ud_multiword_token_takes_the_head_words_tag():
    # de and le both attach to vin (a tie in depth): the French list puts ADP before DET
    assert labels.conllu_sentence_tokens(CONLLU, "fr") == [
        ("Il", "PRON"), ("parle", "VERB"), ("du", "ADP"), ("vin", "NOUN"), (".", "PUNCT")]
    # the default list has ADP before DET as well; a span whose words differ in depth takes the higher
    spanish = ("1-3\tdámelo\t_\t_\t_\t_\t_\t_\t_\t_\n1\tdá\tdar\tVERB\t_\t_\t0\troot\t_\t_\n"
               "2\tme\tyo\tPRON\t_\t_\t1\tiobj\t_\t_\n3\tlo\tél\tPRON\t_\t_\t1\tobj\t_\t_\n")
    assert labels.conllu_sentence_tokens(spanish, "es") == [("dámelo", "VERB")]


def test_ud_tie_outside_the_precedence_list_goes_to_the_listed_tag():
    block = ("1-2\txy\t_\t_\t_\t_\t_\t_\t_\t_\n1\tx\tx\tSYM\t_\t_\t0\troot\t_\t_\n"
             "2\ty\ty\tSCONJ\t_\t_\t0\troot\t_\t_\n")
    assert labels.conllu_sentence_tokens(block, "en") == [("xy", "SCONJ")]


def test_ud_drop_rule(tmp_path):
    def sentence(*forms):
        return "".join(f"{i}\t{f}\t_\tNOUN\t_\t_\t0\troot\t_\t_\n" for i, f in enumerate(forms, start=1))

    path = tmp_path / "x.conllu"
    path.write_text("\n".join([sentence("_", "_"), sentence("_", "a"), sentence("a"), sentence("_", "a", "b"),
                               sentence("_")]), encoding="utf-8")
    # dropped: all "_"; all but one "_"; a lone "_". Kept: no "_" at all; fewer "_" than length - 1.
    assert labels.ud_tag_sentences(path, "en", 10) == [["NOUN"], ["NOUN", "NOUN", "NOUN"]]
    assert labels.ud_tag_sentences(path, "en", 2) == []  # the limit counts the file's sentences


def test_tsv_labels_read_quoted_fields(tmp_path):
    path = tmp_path / "dev-de.tsv"
    path.write_text('"Er sagte ""ja"", dann"\tEr sagte ja.\t1\nNS\tNS\t0\n', encoding="utf-8")
    assert labels.tsv_labels(path, 5) == ["1", "0"]

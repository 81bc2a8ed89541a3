"""Differential tests: xbench's prediction files, scored by the official rules (official_scorers.py)
against label files made from the raw shared data (official_labels.py), equal xbench's results.json.

One run (conftest.diff_run) covers PAN-X, UD POS, XNLI, PAWS-X, XCOPA, XQuAD, MLQA, TyDiQA-GoldP,
Tatoeba and BUCC on their labelled shared splits with a tiny random model and ``--limit``; BUCC also
runs on a corpus planted from its real files (test_bucc_planted.py), since a random model finds no
real pair.
"""

import json
from collections import Counter

import pytest

from differential import official_labels as labels
from differential import official_scorers as official
from differential.conftest import LANGUAGES, LIMIT

pytestmark = pytest.mark.integration

TOLERANCE = 1e-9
UD_TEST = {"en": "UD_English-EWT/en_ewt-ud-test.conllu", "de": "UD_German-GSD/de_gsd-ud-test.conllu",
           "fr": "UD_French-GSD/fr_gsd-ud-test.conllu", "tr": "UD_Turkish-IMST/tr_imst-ud-test.conllu",
           "ta": "UD_Tamil-TTB/ta_ttb-ud-test.conllu", "zh": "UD_Chinese-GSD/zh_gsd-ud-test.conllu",
           "ar": "UD_Arabic-PUD/ar_pud-ud-test.conllu"}
TATOEBA_CODES = {"de": "deu", "zh": "cmn", "ja": "jpn"}


def cases(*tasks):
    return [pytest.param(task, lang, id=f"{task}-{lang}") for task in tasks for lang in LANGUAGES[task]]


def assert_same(xbench_value: float, official_value: float, what: str):
    assert abs(xbench_value - official_value) <= TOLERANCE, \
        f"{what}: results.json has {xbench_value!r}, the official rule gives {official_value!r}"


# ---- tagging ---------------------------------------------------------------------------------------


def tagging_gold(shared_data, task, lang):
    if task == "panx":
        return labels.tag_sentences(shared_data / "panx" / f"dev-{lang}.tsv", n=LIMIT)
    return labels.ud_tag_sentences(shared_data / "ud_pos" / UD_TEST[lang], lang, LIMIT)


@pytest.mark.parametrize("task,lang", cases("panx", "udpos"))
def test_tagging_equals_seqeval_0012(diff_run, shared_data, task, lang):
    gold = tagging_gold(shared_data, task, lang)
    predicted = labels.tag_sentences(diff_run.prediction_file(task, lang, "tsv"), column=0)
    assert [len(s) for s in predicted] == [len(s) for s in gold], \
        f"{task}/{lang}: the prediction file's sentences do not line up with the official label file's"
    assert_same(diff_run.metric(task, lang, "tagging_f1"), official.tagging_f1(predicted, gold), f"{task}/{lang} F1")
    assert_same(diff_run.metric(task, lang, "token_accuracy"), official.token_accuracy(predicted, gold),
                f"{task}/{lang} token accuracy")


# ---- classification --------------------------------------------------------------------------------


def classification_files(diff_run, shared_data, task, lang):
    if task == "xcopa":
        gold = labels.xcopa_labels(shared_data / "xcopa" / "data" / lang / f"test.{lang}.jsonl", LIMIT)
        return labels.jsonl_labels(diff_run.prediction_file(task, lang, "jsonl")), gold
    gold = labels.tsv_labels(shared_data / task / f"dev-{lang}.tsv", LIMIT)
    return diff_run.prediction_file(task, lang, "tsv").read_text(encoding="utf-8").splitlines(), gold


@pytest.mark.parametrize("task,lang", cases("xnli", "pawsx", "xcopa"))
def test_accuracy_equals_the_official_line_match(diff_run, shared_data, task, lang):
    predicted, gold = classification_files(diff_run, shared_data, task, lang)
    assert_same(diff_run.metric(task, lang, "accuracy"), official.accuracy(predicted, gold), f"{task}/{lang} accuracy")


@pytest.mark.parametrize("task", ["xnli", "pawsx", "xcopa"])
def test_classification_predictions_vary(diff_run, shared_data, task):
    """Otherwise the accuracy check could not notice prediction rows misaligned with the gold."""
    seen = {p for lang in LANGUAGES[task] for p in classification_files(diff_run, shared_data, task, lang)[0]}
    assert len(seen) >= 2, f"{task}: the tiny model predicts {seen} for every item; change its seed in conftest.py"


# ---- extractive QA ---------------------------------------------------------------------------------


def qa_gold_file(shared_data, task, lang):
    if task == "xquad":
        return shared_data / "xquad" / f"xquad.{lang}.json"
    if task == "mlqa":
        return shared_data / "mlqa" / "MLQA_V1" / "dev" / f"dev-context-{lang}-question-{lang}.json"
    return shared_data / "tydiqa" / "tydiqa-goldp-v1.1-train" / f"tydiqa.goldp.{lang}.train.json"


def qa_scores(diff_run, shared_data, task, lang):
    questions = labels.squad_questions(qa_gold_file(shared_data, task, lang), LIMIT)
    submitted = json.loads(diff_run.prediction_file(task, lang, "json").read_text(encoding="utf-8"))
    normalization = "mlqa" if task == "mlqa" else "squad"
    ids = [qid for qid, _ in questions]
    if len(set(ids)) == len(ids):
        assert set(submitted) == set(ids), f"{task}/{lang}: predicted ids differ from the first {LIMIT} questions"
        return official.qa_scores(submitted, dict(questions), normalization=normalization, lang=lang)
    # XTREME's TyDiQA train files shorten ids to their last number, so ids repeat (en: 89 ids for 3,696
    # questions) and a {qid: answer} file keeps one answer per id: score each question with its own
    # prediction from the per-item file, checked to be the run's (same ids in file order; the
    # submission's answer for an id is one of that id's predictions).
    repeated = sum(n for n in Counter(ids).values() if n > 1)
    assert f"repeated_question_ids={repeated}" in diff_run.cell(task, lang)["flags"], "a lossy file is not flagged"
    items = [json.loads(line) for line in diff_run.items_file(task, lang).read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in items] == ids, f"{task}/{lang}: per-item ids are not the first {LIMIT} questions"
    assert set(submitted) == set(ids)
    assert all(submitted[r["id"]] in {x["prediction"] for x in items if x["id"] == r["id"]} for r in items)
    return official.qa_scores_per_question([(r["prediction"], answers) for r, (_, answers) in zip(items, questions)],
                                           normalization=normalization, lang=lang)


@pytest.mark.parametrize("task,lang", cases("xquad", "mlqa", "tydiqa"))
def test_qa_equals_the_official_evaluate_script(diff_run, shared_data, task, lang):
    scores = qa_scores(diff_run, shared_data, task, lang)
    assert_same(diff_run.metric(task, lang, "exact_match"), scores.exact_match, f"{task}/{lang} EM")
    assert_same(diff_run.metric(task, lang, "f1"), scores.f1, f"{task}/{lang} F1")


@pytest.mark.parametrize("task", ["xquad", "mlqa", "tydiqa"])
def test_qa_scores_are_not_all_zero(diff_run, shared_data, task):
    """A tiny model's spans are mostly wrong; partial token overlaps still give F1 > 0 somewhere."""
    f1 = [qa_scores(diff_run, shared_data, task, lang).f1 for lang in LANGUAGES[task]]
    assert max(f1) > 0, f"{task}: F1 is 0 in every language ({f1}): the check covers no overlap"


# ---- retrieval -------------------------------------------------------------------------------------


def tatoeba_accuracy(diff_run, shared_data, lang):
    english = labels.first_lines(shared_data / "tatoeba" / f"tatoeba.{TATOEBA_CODES[lang]}-eng.eng", LIMIT)
    predicted = [int(x) for x in diff_run.prediction_file("tatoeba", lang, "tsv").read_text().split()]
    return official.accuracy(predicted, official.tatoeba_gold(english))


@pytest.mark.parametrize("task,lang", cases("tatoeba"))
def test_tatoeba_equals_the_official_sorted_row_accuracy(diff_run, shared_data, task, lang):
    assert_same(diff_run.metric(task, lang, "accuracy"), tatoeba_accuracy(diff_run, shared_data, lang),
                f"tatoeba/{lang}")


def test_tatoeba_retrieves_some_right_rows(diff_run, shared_data):
    """With the sorted rows misread, hits would be rarer still; some must exist for the check to bite."""
    assert max(tatoeba_accuracy(diff_run, shared_data, lang) for lang in LANGUAGES["tatoeba"]) > 0


def bucc_candidates(run, lang):
    rows = [json.loads(line) for line in run.items_file("bucc2018", lang).read_text(encoding="utf-8").splitlines()]
    return [((r["source_id"], r["target_id"]), r["score"]) for r in rows]


def test_bucc_real_dev_files_equal_the_official_rule(diff_run, shared_data):
    """On the real dev corpus (first LIMIT sentences per side) a random model finds no gold pair: the
    tuned threshold is the rule's 0 and every candidate is predicted. test_bucc_planted.py finds pairs."""
    gold = labels.id_pairs(shared_data / "bucc2018" / "zh-en.dev.gold")
    predicted = labels.id_pairs(diff_run.prediction_file("bucc2018", "zh", "tsv"))
    candidates = bucc_candidates(diff_run, "zh")
    cell = diff_run.cell("bucc2018", "zh")
    threshold = official.bucc_threshold(candidates, gold)
    assert cell["info"]["threshold"] == threshold
    assert predicted == official.bucc_extract(candidates, threshold)
    scores = official.pair_prf(predicted, gold)
    assert_same(cell["metrics"]["bucc_f1"], scores.f1, "bucc2018/zh F1")
    assert_same(cell["info"]["precision"], scores.precision, "bucc2018/zh precision")
    assert_same(cell["info"]["recall"], scores.recall, "bucc2018/zh recall")

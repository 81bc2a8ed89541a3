"""The shipped prompts render the real shared items exactly as lm-evaluation-harness 0.4.13's tasks of
the same names do. Expected strings: lm-eval's logged (context, continuation) pairs for these items
(``benchmarks/prompted/lmeval_run.py``, --log_samples), one per quirk of its task definitions."""

import pytest

from xbench.data import load_split
from xbench.prompting.prompt import build_requests, prompt_for
from xbench.registry import get_registry
from xbench.spec.catalog import Catalog

pytestmark = pytest.mark.integration

CASES = [
    # XCOPA: the premise loses its last character even without a period (Thai), connective after a space
    ("xcopa", "test", "th", 0, "effect", ["สิ่งของถูกห่อไว้ในพลาสติ ดังนั้น", " มันบอบบาง"]),
    ("xcopa", "test", "zh", 1, None, ["我掏空了口袋 所以", " 我找到了一件武器。"]),
    # XNLI: empty context, the premise keeps its period, the hypothesis its capital
    ("xnli", "validation", "de", 0, None,
     ["", " und er hat gesagt, Mama ich bin daheim., richtig? Nein, Er rief seine Mutter an, sobald er aus dem Schulbus stieg."]),
    # PAWS-X de/en: detokenised, final punctuation of sentence 1 dropped, sentence 2 lower-cased first
    ("pawsx", "validation", "en", 0, None,
     ["", "From the merger of the Four Rivers Council and the Audubon Council, the Shawnee Trails Council was born, "
          "right? Yes, shawnee Trails Council was formed from the merger of the Four Rivers Council and the Audubon Council."]),
    ("pawsx", "validation", "de", 70, None,
     ["", "Er ist der Halbbruder von Lord Clarence Paget, Lord Alfred Paget und Lord George Paget, richtig? Ja, er war "
          "der Halbbruder von Lord Alfred Paget, Lord George Paget und Lord Clarence Paget."]),
    # PAWS-X zh: no processing at all
    ("pawsx", "validation", "zh", 2, None,
     ["", "Timora diarhoda 是夜蛾科的一种蛾类。它被发现于非洲，包括南非。, 对吧? 是, Diarhoda 是夜蛾科的一种蛾类。它被发现于南非，包括非洲。"]),
]


@pytest.mark.parametrize("task,split,lang,index,question,pair", CASES)
def test_rendered_like_lm_eval(shared_data, task, split, lang, index, question, pair):
    spec = Catalog(get_registry()).task(task)
    tt_cls = get_registry().get("task_types", spec.type).load()
    tt = tt_cls(spec.for_language(lang), tokenizer=None)
    examples = load_split(spec, split, lang, data_dir=shared_data).dataset.to_list()
    ex = examples[index]
    if question:  # lm-eval reads the published question field (xbench's runner may align it to English)
        assert ex["question"] == question
    (req,), _ = build_requests(tt, prompt_for(spec.for_language(lang), lang), [ex], tt.references([ex]), key=task)
    assert req.context == pair[0]
    assert pair[1] in req.continuations

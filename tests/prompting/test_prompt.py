"""Prompt resolution, rendering into requests, and seeded few-shot draws."""

import pytest

from xbench.errors import UserError
from xbench.prompting.prompt import build_requests, draw_shots, prompt_for
from xbench.tasktypes.classification import SequenceClassification
from xbench.tasktypes.multiple_choice import MultipleChoice

MC_DOC = {"name": "toy_copa", "type": "multiple_choice", "labels": [0, 1], "data": {"splits": {"test": {}}},
          "prompts": {"default": {"template": "{context|strip|drop_last_char} {connective}",
                                  "choices": "{choice|lower_first}", "words": {"cause": "because", "effect": "so"}},
                      "de": {"words": {"cause": "weil", "effect": "also"}}}}
NLI_DOC = {"name": "toy_nli", "type": "sequence_classification", "labels": ["entailment", "neutral", "contradiction"],
           "data": {"splits": {"validation": {}}},
           "prompts": {"default": {"template": "", "choices": "{text_a}, right? {word}, {text_b}",
                                   "words": {"entailment": "Yes", "neutral": "Also", "contradiction": "No"}}}}


def mc_examples(n):
    return [{"id": str(i), "context": f"The man number {i} fell.", "question": "cause" if i % 2 else "effect",
             "choices": [f"He slipped {i}.", f"He laughed {i}."], "label": i % 2} for i in range(n)]


def test_language_entry_replaces_only_the_keys_it_names():
    de = prompt_for(MC_DOC, "de")
    assert de.words == {"cause": "weil", "effect": "also"} and de.template == MC_DOC["prompts"]["default"]["template"]
    assert prompt_for(MC_DOC, "fr").words["cause"] == "because"
    assert prompt_for({"prompts": {"de": {"template": "x"}}}, "fr") is None


def test_requests_follow_the_multiple_choice_construction():
    tt = MultipleChoice(MC_DOC, tokenizer=None)
    exs = mc_examples(2)
    reqs, skipped = build_requests(tt, prompt_for(MC_DOC, "en"), exs, tt.references(exs), key="toy/en")
    assert not skipped
    assert reqs[0].context == "The man number 0 fell so"
    assert reqs[1].context == "The man number 1 fell because"
    assert reqs[0].continuations == [" he slipped 0.", " he laughed 0."]
    assert reqs[0].choices == ["he slipped 0.", "he laughed 0."]  # what acc_norm divides by
    assert [r.gold for r in reqs] == [0, 1]


def test_classification_answers_are_the_labels_in_spec_order():
    tt = SequenceClassification(NLI_DOC, tokenizer=None)
    ex = [{"id": "a", "text_a": "A dog runs", "text_b": "an animal moves", "label": "neutral"}]
    (req,), _ = build_requests(tt, prompt_for(NLI_DOC, "en"), ex, tt.references(ex), key="nli/en")
    assert req.context == "" and req.answers == ["entailment", "neutral", "contradiction"] and req.gold == 1
    assert req.continuations[2] == " A dog runs, right? No, an animal moves"


def test_required_slots_skip_items():
    doc = {**NLI_DOC, "prompts": {"default": {**NLI_DOC["prompts"]["default"], "require": ["text_a", "text_b"]}}}
    tt = SequenceClassification(doc, tokenizer=None)
    exs = [{"id": "a", "text_a": "x", "text_b": "", "label": "neutral"},
           {"id": "b", "text_a": "x", "text_b": "y", "label": "neutral"}]
    reqs, skipped = build_requests(tt, prompt_for(doc, "en"), exs, tt.references(exs), key="nli/en")
    assert skipped == [0] and [r.index for r in reqs] == [1]


def test_few_shot_prompts_are_reproducible_and_seeded():
    tt = MultipleChoice(MC_DOC, tokenizer=None)
    exs, pool = mc_examples(4), mc_examples(30)
    for ex in pool:
        ex["id"] = "dev-" + ex["id"]

    def texts(seed, items=exs):
        reqs, _ = build_requests(tt, prompt_for(MC_DOC, "en"), items, tt.references(items), shots_pool=pool,
                                 num_fewshot=3, seed=seed, key="toy/en")
        return [(r.context, r.shots) for r in reqs]

    first = texts(1)
    assert first == texts(1)                      # same seed: same examples, same text
    assert first != texts(2)                      # another seed: other examples
    assert texts(1, exs[::-1]) == first[::-1]     # a draw depends on the item, not on its position
    context, shots = first[0]
    assert len(shots) == 3 and len(set(shots)) == 3
    shot = next(ex for ex in pool if ex["id"] == shots[0])
    gold = shot["choices"][shot["label"]]
    assert context.startswith(f"{shot['context'][:-1]} {'because' if shot['question'] == 'cause' else 'so'} "
                              f"{gold[0].lower() + gold[1:]}\n\n")
    assert context.endswith("The man number 0 fell so")


def test_few_shot_from_the_evaluated_split_leaves_the_item_out():
    pool = mc_examples(5)
    for seed in range(20):
        assert "2" not in [ex["id"] for ex in draw_shots(pool, 4, seed, "k/2", exclude_id="2")]
    with pytest.raises(UserError, match="5-shot needs 5 examples"):
        draw_shots(pool, 5, 0, "k/2", exclude_id="2")

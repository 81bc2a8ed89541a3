"""A spec's prompt for one language, and the requests it makes of an item.

``prompts:`` maps a language (or ``default``) to a prompt; a language's entry replaces the keys it
names of ``default``. A prompt follows lm-evaluation-harness's multiple-choice construction:

    context       = description + shots + render(template)
    shot          = render(template) + target_delimiter + render(choices, gold answer) + fewshot_delimiter
    continuation  = target_delimiter + render(choices, answer)      (one per answer)

``accuracy_norm`` divides each answer's log-likelihood by the characters of ``render(choices)``
(without the delimiter), as lm-evaluation-harness's ``acc_norm`` does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from xbench.errors import UserError
from xbench.prompting.templates import render

DEFAULTS = {"template": "", "choices": "{choice}", "target_delimiter": " ", "fewshot_delimiter": "\n\n",
            "description": "", "words": {}, "require": [], "fewshot_split": None, "source": ""}


@dataclass
class Prompt:
    template: str
    choices: str
    target_delimiter: str
    fewshot_delimiter: str
    description: str
    words: dict
    require: list[str]
    fewshot_split: str | None
    source: str
    language: str = ""

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in DEFAULTS}


def prompt_for(doc: dict, lang: str) -> Prompt | None:
    """The prompt of ``lang`` (its own entry over ``default``), or None when the spec has none."""
    prompts = doc.get("prompts") or {}
    if lang not in prompts and "default" not in prompts:
        return None
    merged = {**DEFAULTS, **prompts.get("default", {}), **prompts.get(lang, {})}
    return Prompt(**{k: merged[k] for k in DEFAULTS}, language=lang)


@dataclass
class ItemRequest:
    """One item, ready to score: a context and one continuation per answer."""

    index: int               # position of the item in the cell's examples
    context: str             # the full prompt text, few-shot examples included
    choices: list[str]       # rendered answers (what acc_norm divides by)
    continuations: list[str]  # target_delimiter + answer
    answers: list            # the prediction each answer stands for
    gold: int | None         # index of the correct answer (None: unlabelled)
    shots: list = field(default_factory=list)  # ids of the few-shot examples


def _rendered(task_type, prompt: Prompt, example: dict, where: str) -> tuple[str, list[str], list]:
    slots, options = task_type.prompt_slots(example, prompt.words)
    context = render(prompt.template, slots, where)
    choices = [render(prompt.choices, {**slots, **opt}, where) for opt in options]
    return context, choices, [opt["answer"] for opt in options]


def skips(prompt: Prompt, task_type, example: dict) -> bool:
    """Whether the prompt leaves this item out: a ``require``d slot is empty (e.g. lm-evaluation-harness's
    PAWS-X drops pairs with an empty sentence)."""
    if not prompt.require:
        return False
    slots, _ = task_type.prompt_slots(example, prompt.words)
    return any(slots.get(name) in (None, "") for name in prompt.require)


def gold_index(answers: list, reference) -> int | None:
    if reference is None:
        return None
    try:
        return answers.index(reference)
    except ValueError:
        return None


def draw_shots(pool: list[dict], k: int, seed: int, key: str, exclude_id=None) -> list[dict]:
    """``k`` few-shot examples for one item: a seeded draw from ``pool`` that depends only on the seed
    and the item's key (never on batch order), leaving out the item itself."""
    if k <= 0:
        return []
    if len(pool) - (exclude_id is not None) < k:
        raise UserError(f"{key}: {k}-shot needs {k} examples but the few-shot split has {len(pool)} "
                        "(fix: a smaller --num-fewshot, or another prompts.fewshot_split)")
    rng = random.Random(f"{seed}/{key}")
    picked = [pool[i] for i in rng.sample(range(len(pool)), min(len(pool), k + 1))]
    return [ex for ex in picked if exclude_id is None or ex.get("id") != exclude_id][:k]


def build_requests(task_type, prompt: Prompt, examples: list[dict], references: list, *, shots_pool=None,
                   num_fewshot: int = 0, seed: int = 0, key: str = "", same_split: bool = False,
                   ) -> tuple[list[ItemRequest], list[int]]:
    """(requests of the scored items, indices of items the prompt skips)."""
    where = f"{key} prompt ({prompt.language})"
    shot_texts: dict = {}
    requests, skipped = [], []
    for i, (ex, ref) in enumerate(zip(examples, references)):
        if skips(prompt, task_type, ex):
            skipped.append(i)
            continue
        context, choices, answers = _rendered(task_type, prompt, ex, where)
        shots = draw_shots(shots_pool or [], num_fewshot, seed, f"{key}/{ex.get('id', i)}",
                           ex.get("id") if same_split else None)
        prefix = prompt.description
        for shot in shots:
            sid = shot.get("id")
            if sid not in shot_texts:
                s_context, s_choices, s_answers = _rendered(task_type, prompt, shot, where)
                s_gold = gold_index(s_answers, task_type.references([shot])[0])
                if s_gold is None:
                    raise UserError(f"{where}: few-shot example {sid} has no label (fix: a labelled fewshot_split)")
                shot_texts[sid] = s_context + prompt.target_delimiter + s_choices[s_gold] + prompt.fewshot_delimiter
            prefix += shot_texts[sid]
        requests.append(ItemRequest(i, prefix + context, choices, [prompt.target_delimiter + c for c in choices],
                                    answers, gold_index(answers, ref), [s.get("id") for s in shots]))
    return requests, skipped

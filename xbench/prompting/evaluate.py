"""One prompted cell: render every item, score its answers, pick the most likely (and the most likely
per character), and keep per-item records with every answer's log-likelihood, token count and the
full prompt text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xbench.errors import UserError
from xbench.prompting.loglik import LoglikScorer
from xbench.prompting.prompt import build_requests, prompt_for
from xbench.tasktypes.base import CellOutput


@dataclass
class PromptSettings:
    """What a prompted cell needs beyond the task type and its examples."""

    task: str
    language: str
    split: str
    seed: int = 0
    num_fewshot: int = 0


def prompt_problem(task_type, doc: dict, lang: str) -> str | None:
    """Why a cell cannot be evaluated prompted (None: it can)."""
    if not task_type.has_prompted_form():
        return f"task type {doc['type']} has no prompted form (causal LMs are evaluated on ranked-answer tasks)"
    if prompt_for(doc, lang) is None:
        return f"task {doc['name']} has no prompt for '{lang}' (fix: add prompts.{lang} or prompts.default to its spec)"
    return None


def fewshot_pool(prompt, doc: dict, settings: PromptSettings, examples: list[dict], cell) -> tuple[list[dict], bool]:
    """(few-shot examples to draw from, whether they are the evaluated split itself)."""
    if settings.num_fewshot <= 0:
        return [], False
    split = prompt.fewshot_split or doc.get("dev_split") or ("train" if "train" in doc["data"]["splits"] else None)
    if split is None:
        raise UserError(f"{settings.task}/{settings.language}: --num-fewshot {settings.num_fewshot} needs a few-shot "
                        "split (fix: set prompts.default.fewshot_split in the spec)")
    if split == settings.split:
        return examples, True
    return cell.examples_of(split), False


def evaluate_prompted(task_type, model, examples: list[dict], engine, cell, settings: PromptSettings) -> CellOutput:
    doc = task_type.spec
    prompt = prompt_for(doc, settings.language)
    pool, same_split = fewshot_pool(prompt, doc, settings, examples, cell)
    references = task_type.references(examples)
    requests, skipped = build_requests(task_type, prompt, examples, references, shots_pool=pool,
                                       num_fewshot=settings.num_fewshot, seed=settings.seed,
                                       key=f"{settings.task}/{settings.language}", same_split=same_split)
    scorer = LoglikScorer(model, task_type.tokenizer, device=engine.device, precision=engine.precision,
                          batch_size=engine.batch_size, progress=engine.progress, desc=engine.desc)
    scores = scorer.score([[(r.context, c) for c in r.continuations] for r in requests])
    preds, preds_norm, refs, records = [], [], [], []
    for r, per_answer in zip(requests, scores):
        ll = np.array([s.loglikelihood for s in per_answer])
        # lm-evaluation-harness's acc / acc_norm: argmax (first on ties) of ll, of ll per character
        best = r.answers[int(np.argmax(ll))]
        best_norm = r.answers[int(np.argmax(ll / np.array([max(len(c), 1) for c in r.choices])))]
        ref = references[r.index]
        preds.append(best)
        preds_norm.append(best_norm)
        refs.append(ref)
        records.append({"id": examples[r.index].get("id"), "prediction": best, "prediction_norm": best_norm,
                        "reference": ref, "correct": best == ref, "prompt": r.context,
                        "choices": [{"continuation": cont, "loglikelihood": s.loglikelihood, "tokens": s.tokens,
                                     "greedy": s.greedy} for cont, s in zip(r.continuations, per_answer)],
                        **({"shots": r.shots} if r.shots else {})})
    for i in skipped:
        records.append({"id": examples[i].get("id"), "skipped": f"empty {'/'.join(prompt.require)} (prompt `require`)"})
    scored = [examples[r.index] for r in requests]
    info = {"prompt": prompt.to_dict(), "num_fewshot": settings.num_fewshot, "prefix_sharing": scorer.prefix_sharing}
    flags = [f"prompt_skipped={len(skipped)}"] if skipped else []
    if skipped:
        info["prompt_skipped"] = len(skipped)
    return CellOutput(preds, refs, records, task_type.submission(scored, preds), info=info, flags=flags,
                      variants={"norm": preds_norm})

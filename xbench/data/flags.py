"""Comparability flags: why a cell's data (or, for engine flags, its training or evaluation) is not
exactly what the official benchmark evaluates.

A flag travels with the loaded split (``LoadedSplit.flags``) into results and tables, so a number
computed on such data is never presented as leaderboard-equal. Layout manifests attach them to cells;
``load_split(..., stand_in_for=...)`` adds the substitution flags.
"""

FLAG_MEANINGS = {
    "ud_current_not_v2.5": "a current Universal Dependencies release, not UD v2.5 (XTREME) / v2.7 (XTREME-R)",
    "single_treebank": "one treebank of the language, not all of its treebanks merged as XTREME does",
    "pud_treebank": "the parallel PUD test treebank stands in for the language's usual test treebank(s)",
    "hf_export": "a re-export of the Hugging Face copy (same rows as far as checked), not the released file",
    "dev_as_test": "the dev/validation split stands in for the test split (asked for explicitly)",
    "tydiqa_train_split": "TyDiQA-GoldP training data of a non-English language (XTREME's per-language split "
                          "of the train file); XTREME evaluates on the GoldP dev set",
    "unlabelled": "labels were removed by XTREME's preprocessing (test files); predict-only",
    "subset": "a subset of the official split",
}
# Data flags by prefix (the rest of the flag names the value)
FLAG_PREFIXES = {
    "skipped_rows=": "N malformed rows of the cell's data file(s) could not be read and were left out (the run's "
                     "warning names the first; results.json's skipped_rows and `xbench data check` count them)",
}


# Flags the engine adds (training, evaluation, retrieval, prompting, perturbation), by exact name …
ENGINE_FLAG_MEANINGS = {
    "reference_only": "a reference language outside the task's own list (e.g. English COPA beside XCOPA); "
                      "shown, but left out of task means and benchmark scores",
    "train_stage_override": "trained with other stages than the spec's recipe (--train-stages)",
    "encoder_not_finetuned": "retrieval with an encoder that no task fine-tuned (XTREME-R fine-tunes it first)",
    "dual_encoder_not_finetuned": "a dual encoder that no task fine-tuned (XTREME-R fine-tunes it first)",
    "threshold_tuned_on_scored_gold": "the BUCC threshold was tuned on the gold pairs of the scored split itself",
}
# … and by prefix (the rest of the flag names the value)
ENGINE_FLAG_PREFIXES = {
    "limit=": "only the first N items of each evaluated language (--limit)",
    "train_limit=": "only the first N training items (--train-limit)",
    "epochs=": "another number of fine-tuning epochs than the recipe's (--epochs)",
    "intermediate_on_": "intermediate training on a split other than train (<split>:<task>)",
    "intermediate_parallel_to_eval:": "intermediate training data parallel to the evaluated items (a translation "
                                      "of the same items)",
    "bucc_duplicates=": "BUCC duplicate sentences kept by another policy than the official scorer's",
    "prompted_": "a causal LM evaluated prompted, with k examples in the prompt (prompted_<k>shot)",
    "prompt_skipped=": "items left out because a slot their prompt requires is empty (lm-eval's PAWS-X drops "
                       "pairs with an empty sentence)",
    "repeated_question_ids=": "N questions share their id with another (XTREME's TyDiQA split shortens ids): "
                              "the {id: answer} prediction file keeps one answer per id, so scoring it "
                              "differs from the cell's per-question metrics (the per-item file has every answer)",
    "perturbed:": "inputs perturbed at evaluation time (perturbed:<name>:<strength>; --perturb)",
}


def describe(flag: str) -> str:
    """What a flag means; flags of the form ``<split>_as_<split>`` describe themselves."""
    if flag in ENGINE_FLAG_MEANINGS:
        return ENGINE_FLAG_MEANINGS[flag]
    for prefix, meaning in ENGINE_FLAG_PREFIXES.items():
        if flag.startswith(prefix):
            return meaning
    if flag in FLAG_MEANINGS:
        return FLAG_MEANINGS[flag]
    for prefix, meaning in FLAG_PREFIXES.items():
        if flag.startswith(prefix):
            return meaning
    used, _, wanted = flag.partition("_as_")
    if wanted:
        return f"the {used} split stands in for the {wanted} split (asked for explicitly)"
    return "(no description: a flag from a third-party layout)"


def skipped_rows_flag(count: int) -> str:
    """The flag of a cell read with ``count`` malformed rows left out."""
    return f"skipped_rows={count}"


def substitution_flag(used: str, wanted: str) -> str:
    """The flag recorded when split ``used`` is evaluated in place of ``wanted``."""
    if wanted == "test" and used in ("validation", "dev", "val"):
        return "dev_as_test"
    return f"{used}_as_{wanted}"

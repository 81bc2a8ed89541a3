"""One small xbench run over every task type with labelled shared data, shared by the differential
tests: a tiny random BERT (no fine-tuning: each head is evaluated as initialised) on the real files
of ../shared/data, ``--limit LIMIT`` items per language.

The tiny model's WordPiece vocabulary is trained on lines of the evaluated files (so real text is not
all [UNK]) and its weights are drawn with a wide initializer range (so a random head's predictions
vary from item to item instead of naming one label everywhere).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

LIMIT = 30
SEED = 1
# task -> languages: chosen to cover the rules that differ by language (MLQA's normalisation in all
# seven, UD multiword tokens in en/de/fr/tr/ta, CJK and non-Latin scripts, PAWS-X "NS" rows).
LANGUAGES = {
    "panx": ["en", "de", "ja", "ar"],
    "udpos": ["en", "de", "fr", "tr", "ta", "zh", "ar"],
    "xnli": ["en", "de", "zh"],
    "pawsx": ["en", "de", "ja"],
    "xcopa": ["et", "zh", "ht"],
    "xquad": ["en", "zh", "th", "ar"],
    "mlqa": ["en", "es", "de", "ar", "hi", "vi", "zh"],
    "tydiqa": ["en", "ko", "sw"],
    "tatoeba": ["de", "zh", "ja"],
    "bucc2018": ["zh"],
}
# The labelled split of each task in the shared collection (TyDiQA-GoldP: only the train file has answers).
SPLITS = {"panx": "validation", "udpos": "test", "xnli": "validation", "pawsx": "validation", "xcopa": "test",
          "xquad": "test", "mlqa": "validation", "tydiqa": "train", "tatoeba": "test", "bucc2018": "validation"}


def _vocabulary_lines(data: Path) -> list[str]:
    files = [*sorted((data / "xnli").glob("dev-*.tsv")), *sorted((data / "pawsx").glob("dev-*.tsv")),
             *sorted((data / "panx").glob("dev-*.tsv")), *sorted((data / "tatoeba").glob("tatoeba.*")),
             *sorted((data / "xcopa" / "data").rglob("test.*.jsonl")),
             data / "bucc2018" / "zh-en.dev.zh", data / "bucc2018" / "zh-en.dev.en"]
    lines = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            lines += [line for _, line in zip(range(200), f)]
    for path in sorted((data / "xquad").glob("xquad.*.json")):
        lines += [p["context"] for p in json.loads(path.read_text(encoding="utf-8"))["data"][0]["paragraphs"]]
    return lines


def _vocabulary(lines: list[str], words: int = 1500) -> list[str]:
    """A WordPiece vocabulary chosen deterministically (the tokenizers trainer breaks frequency ties
    in hash order, which changes from one process to the next): the most frequent words, and every
    character seen twice as a word start and as a continuation, ties broken by the text."""
    from collections import Counter

    from tokenizers import normalizers, pre_tokenizers

    normalizer, pre_tokenizer = normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer()
    counts = Counter(w for line in lines for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line)))
    chars = Counter()
    for word, count in counts.items():
        for ch in word:
            chars[ch] += count
    by_count = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
    kept_chars = sorted(ch for ch, count in chars.items() if count >= 2)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocabulary = dict.fromkeys(specials + kept_chars + [f"##{ch}" for ch in kept_chars]
                               + [w for w, _ in by_count[:words]])
    return list(vocabulary)


def make_multilingual_tiny_model(out: Path, data: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocabulary = {token: i for i, token in enumerate(_vocabulary(_vocabulary_lines(data)))}
    tok = Tokenizer(models.WordPiece(vocab=vocabulary, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)  # also splits CJK characters
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.BertProcessing(("[SEP]", vocabulary["[SEP]"]), ("[CLS]", vocabulary["[CLS]"]))
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]").save_pretrained(out)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocabulary), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, initializer_range=0.5)
    BertModel(config, add_pooling_layer=False).save_pretrained(out)
    return out


@dataclass(frozen=True)
class Run:
    """An xbench run folder and the metrics of its results.json cells."""

    folder: Path
    cells: dict  # (task, language, split) -> the cell's record in results.json

    def prediction_file(self, task: str, lang: str, ext: str) -> Path:
        # the submission layout of xbench/evaluation/artifacts.py: seed-S/predictions/<task>/<split>-<lang>.<ext>
        return self.folder / f"seed-{SEED}" / "predictions" / task / f"{SPLITS[task]}-{lang}.{ext}"

    def items_file(self, task: str, lang: str) -> Path:
        return self.folder / f"seed-{SEED}" / "items" / task / f"{SPLITS[task]}-{lang}.jsonl"

    def cell(self, task: str, lang: str, split: str | None = None) -> dict:
        cell = self.cells[(task, lang, split or SPLITS[task])]
        assert cell["status"] == "ok", cell
        return cell

    def metric(self, task: str, lang: str, name: str) -> float:
        return self.cell(task, lang)["metrics"][name]


def read_run(folder: Path) -> Run:
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return Run(folder, {(c["task"], c["language"], c["split"]): c for c in results["cells"] if c["seed"] == SEED})


@pytest.fixture(scope="session")
def xbench_env(tmp_path_factory):
    """XBENCH_HOME and offline hub settings for session-scoped runs (the autouse per-test home of
    tests/conftest.py is set up after session fixtures)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XBENCH_HOME", str(tmp_path_factory.mktemp("differential_home")))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        mp.delenv("XBENCH_TASK_PATH", raising=False)
        yield


@pytest.fixture(scope="session")
def diff_model(shared_data, tmp_path_factory):
    return make_multilingual_tiny_model(tmp_path_factory.mktemp("multilingual_tiny_bert"), shared_data)


def evaluate(model: Path, out: Path, data_dir: Path, languages: dict, split: str | None, limit: int | None) -> Run:
    import xbench

    xbench.evaluate(str(model), list(languages), languages=languages, split=split, limit=limit, finetune=False,
                    batch_size=32, seeds=[SEED], output=out, data_dir=data_dir, progress=False, record=False)
    return read_run(out)


@pytest.fixture(scope="session")
def diff_run(xbench_env, diff_model, shared_data, tmp_path_factory) -> Run:
    """Every task of LANGUAGES on its labelled split (SPLITS), in one run."""
    split = ",".join(f"{task}={split}" for task, split in SPLITS.items())
    return evaluate(diff_model, tmp_path_factory.mktemp("differential_run"), shared_data, LANGUAGES, split, LIMIT)

"""The official scorer's label files, made from the raw files of ../shared/data as XTREME's
preprocessing makes them (written from /work/shared/reference/xtreme-official.md, not from xbench's
readers), cut to the first ``n`` items of the file as ``--limit n`` does.

Each reader returns what the official scorer compares the prediction file with: one label per line
(classification), tag sentences (tagging), ``{qid: [answers]}`` (QA), English lines (tatoeba),
gold id pairs (bucc2018).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

# ---- classification --------------------------------------------------------------------------------


def tsv_labels(path: Path, n: int) -> list[str]:
    """The last column of XTREME's ``sentence1<TAB>sentence2<TAB>label`` rows, written by Python's csv
    module (fields holding quotes are quoted), every row kept (PAWS-X "NS" rows included)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [row for _, row in zip(range(n), csv.reader(f, delimiter="\t"))]
    assert all(len(row) == 3 for row in rows), path
    return [row[2] for row in rows]


def xcopa_labels(path: Path, n: int) -> list[int]:
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [int(r["label"]) for r in records[:n]]


def jsonl_labels(path: Path) -> list[int]:
    """An xcopa prediction file: one json object with an int ``label`` per line."""
    return [int(json.loads(line)["label"]) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---- tagging -----------------------------------------------------------------------------------------


def tag_sentences(path: Path, column: int = -1, n: int | None = None) -> list[list[str]]:
    """Blank-line-separated sentences of tab-separated lines; ``column`` holds the tag (a prediction
    file has the tag alone on its line)."""
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            current.append(line.split("\t")[column].strip())
        elif current:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences if n is None else sentences[:n]


# UD multiword tokens: the fused form, tagged with the UPOS of the span's word highest in the tree;
# ties go to the tag listed first (the official conversion's precedence lists).
PRECEDENCE = {
    None: "VERB NOUN PROPN PRON ADJ NUM ADV INTJ AUX ADP DET PART CCONJ SCONJ X PUNCT".split(),
    "es": "VERB AUX PRON ADP DET".split(),
    "fr": "VERB AUX PRON NOUN ADJ ADV ADP DET PART SCONJ CONJ".split(),
    "it": "VERB AUX ADV PRON ADP DET INTJ".split(),
}


def _depth(word_id: int, heads: dict[int, int]) -> int:
    depth = 0
    while word_id != 0:
        word_id = heads[word_id]
        depth += 1
        assert depth <= len(heads) + 1, "a cycle in the dependency heads"
    return depth


def _span_tag(ids: list[int], upos: dict[int, str], heads: dict[int, int], lang: str) -> str:
    order = PRECEDENCE.get(lang, PRECEDENCE[None])

    def rank(i):
        tag = upos[i]
        return (_depth(i, heads), order.index(tag) if tag in order else len(order), i)

    return upos[min(ids, key=rank)]


def conllu_sentence_tokens(block: str, lang: str) -> list[tuple[str, str]]:
    """(form, UPOS) per token of one CoNLL-U sentence: comments and empty nodes (``8.1``) are not
    tokens; a range line ``a-b`` gives one token, its fused form, and its words are dropped."""
    lines = [line.split("\t") for line in block.split("\n") if line.strip() and not line.startswith("#")]
    words = {int(f[0]): f for f in lines if f[0].isdigit()}
    upos = {i: f[3] for i, f in words.items()}
    heads = {i: int(f[6]) for i, f in words.items()}
    tokens, covered = [], set()
    for f in lines:
        if "-" in f[0]:
            first, last = map(int, f[0].split("-"))
            span = list(range(first, last + 1))
            tokens.append((f[1], _span_tag(span, upos, heads, lang)))
            covered.update(span)
        elif f[0].isdigit() and int(f[0]) not in covered:
            tokens.append((f[1], f[3]))
    return tokens


def ud_tag_sentences(path: Path, lang: str, n: int) -> list[list[str]]:
    """The UPOS sentences of the first ``n`` sentences of a CoNLL-U file, after the official drop
    rule: a sentence with at least one ``_`` form and no more than one other form is dropped."""
    blocks = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()][:n]
    out = []
    for block in blocks:
        tokens = conllu_sentence_tokens(block, lang)
        underscores = sum(form == "_" for form, _ in tokens)
        if underscores and underscores >= len(tokens) - 1:
            continue
        out.append([tag for _, tag in tokens])
    return out


# ---- extractive QA -------------------------------------------------------------------------------


def squad_questions(path: Path, n: int) -> list[tuple[str, list[str]]]:
    """(qid, [answer texts]) of the first ``n`` questions of a SQuAD-format file, in file order."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    questions = [(qa["id"], [a["text"] for a in qa["answers"]])
                 for article in data for paragraph in article["paragraphs"] for qa in paragraph["qas"]]
    return questions[:n]


# ---- retrieval -------------------------------------------------------------------------------------


def first_lines(path: Path, n: int) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        return [line.rstrip("\r\n") for _, line in zip(range(n), f)]


def id_pairs(path: Path) -> set[tuple[str, str]]:
    """A BUCC gold or prediction file: ``src_id<TAB>tgt_id`` lines."""
    pairs = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            src, tgt = line.strip().split("\t")
            pairs.add((src, tgt))
    return pairs

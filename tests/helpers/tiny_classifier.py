"""A sequence-classification task type over the tiny BERT, and pair examples for it (engine tests)."""

import torch
from transformers import AutoTokenizer

from xbench.tasktypes.classification import SequenceClassification

from helpers.tiny_model import sentences


def classifier(tiny_model):
    tok = AutoTokenizer.from_pretrained(tiny_model)
    spec = {"name": "toy_nli", "type": "sequence_classification", "labels": ["a", "b", "c"], "options": {}}
    tt = SequenceClassification(spec, tok, max_length=64)
    torch.manual_seed(0)
    return tt, tt.load_model(str(tiny_model)).eval()


def pair_examples(n, seed):
    sents = sentences(2 * n, seed=seed, max_len=40)
    return [{"id": i, "text_a": " ".join(sents[i]), "text_b": " ".join(sents[n + i]), "label": "abc"[i % 3]}
            for i in range(n)]

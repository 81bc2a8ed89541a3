"""A tiny random BERT (fixed seed) with a WordPiece tokenizer trained on the fly: fast CPU tests."""

import random
from pathlib import Path


WORDS = ("the a cat dog runs sleeps in on house garden red blue big small quickly slowly and but "
         "paris berlin john mary google company river mountain").split()
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


def sentences(n, seed=0, min_len=2, max_len=30):
    rng = random.Random(seed)
    return [[rng.choice(WORDS) for _ in range(rng.randint(min_len, max_len))] for _ in range(n)]


def make_tiny_model(out: Path, *, seed: int = 0) -> Path:
    """``seed`` draws the weights (the tokenizer is the same for every seed): a second, different model."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    corpus = [" ".join(s) for s in sentences(300)] + ["xylophone quizzical jabberwocky"]
    tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=120, special_tokens=[
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(out)
    fast.save_pretrained(out)
    return out


def tagging_spec(max_length=128):
    return {"name": "toy_ner", "type": "token_tagging", "labels": TAGS, "options": {}, "metrics": ["tagging_f1"]}


def tagging_examples(n, seed=0, **kw):
    rng = random.Random(seed + 1)
    return [{"id": i, "tokens": s, "tags": [rng.choice(TAGS) for _ in s]} for i, s in enumerate(sentences(n, seed, **kw))]

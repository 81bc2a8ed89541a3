"""A tiny random GPT-2 (fixed seed) with a byte-level BPE tokenizer trained on the fly (no download)."""

from pathlib import Path

from helpers.tiny_model import sentences

EXTRA = ["Das Paket war in Luftpolsterfolie eingewickelt.", "该物品用气泡包装纸包着。", "çünkü bu yüzden",
         "Bởi vì vậy nên", "the cat, right? Yes, the dog"]


def make_tiny_causal_lm(out: Path, bos: bool = True, n_positions: int = 256) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = [" ".join(s) for s in sentences(300)] + EXTRA * 5
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    special = {"eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"} | ({"bos_token": "<|endoftext|>"} if bos else {})
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=n_positions, **special)
    eos = tok.token_to_id("<|endoftext|>")
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=n_positions, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=eos, eos_token_id=eos)
    GPT2LMHeadModel(config).save_pretrained(out)
    fast.save_pretrained(out)
    return out

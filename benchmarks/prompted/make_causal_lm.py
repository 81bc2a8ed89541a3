"""Build a small, randomly initialised GPT-2 style causal LM as a local Hugging Face folder.

    python -m benchmarks.prompted.make_causal_lm --out DIR --size tiny|small [--vocab 8192] [--data-dir D]
        [--train-steps N]

* Tokenizer: byte-level BPE (GPT-2 style: ByteLevel pre-tokenizer with add_prefix_space=False,
  ByteLevel decoder) trained with the `tokenizers` library on the texts of the shared XCOPA files
  (all languages, test + val: premise, choice1, choice2), the XNLI dev TSVs and the PAWS-X dev TSVs
  (sentence1, sentence2), read in sorted file order. "<|endoftext|>" is bos, eos and unk. It is
  wrapped as a transformers `PreTrainedTokenizerFast` (model_max_length 1024).
* Model: `GPT2LMHeadModel`, random init with torch.manual_seed(0), fp32, saved as safetensors.
  tiny = 2 layers / 128 dims / 2 heads; small = GPT-2 small shape (12 / 768 / 12, 1024 positions).

* ``--train-steps N``: then N steps of language-model training (AdamW, batch 32 x 64 tokens, seed 0)
  on the Tatoeba sentences of the shared data (all languages; no XCOPA, XNLI or PAWS-X text), so that
  its predictions vary from item to item and per-token log-likelihoods are those of a model that has
  learnt something (a random model answers every item alike and scores ~ -log(vocab) per token).

Without training the output is deterministic: the same data and arguments give the same files. The
model is meant for exercising evaluation pipelines (lmeval_run.py, compare.py, speed.py), not for
good accuracy.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path

EOT = "<|endoftext|>"
SIZES = {"tiny": dict(n_layer=2, n_embd=128, n_head=2, n_positions=1024),
         "small": dict(n_layer=12, n_embd=768, n_head=12, n_positions=1024)}
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    return Path(os.environ.get("XBENCH_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")


def corpus(data_dir: Path):
    """Yield the training texts, file by file in sorted order."""
    for f in sorted((data_dir / "xcopa" / "data").glob("*/*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                yield from (d["premise"], d["choice1"], d["choice2"])
    for f in sorted((data_dir / "xnli").glob("dev-*.tsv")) + sorted((data_dir / "pawsx").glob("dev-*.tsv")):
        with f.open(encoding="utf-8", newline="") as fh:  # written by Python's csv module (XTREME)
            for row in csv.reader(fh, delimiter="\t"):
                yield from row[:2]


def train_tokenizer(data_dir: Path, vocab: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=[EOT], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus(data_dir), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT,
                                   unk_token=EOT, model_max_length=1024)


def train(model, tokenizer, data_dir: Path, steps: int, seq: int = 64, batch: int = 32) -> float:
    """Language-model training on Tatoeba text; returns the last batch's loss."""
    import random

    import torch

    texts = [line.strip() for f in sorted((data_dir / "tatoeba").glob("tatoeba.*"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(0).shuffle(texts)
    ids = [t for ids in tokenizer(texts)["input_ids"] for t in ids + [tokenizer.eos_token_id]]
    chunks = torch.tensor(ids[: len(ids) // seq * seq]).view(-1, seq)
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    loss = float("nan")
    for step in range(steps):
        rows = chunks[torch.randint(len(chunks), (batch,))]
        out = model(input_ids=rows, labels=rows)
        out.loss.backward()
        opt.step()
        opt.zero_grad()
        loss = out.loss.item()
        if step % 100 == 0:
            print(f"step {step}: loss {loss:.3f}", flush=True)
    return loss


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--train-steps", type=int, default=0, help="language-model training steps on Tatoeba text")
    args = ap.parse_args(argv)

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    t0 = time.perf_counter()
    tokenizer = train_tokenizer(args.data_dir, args.vocab)
    config = GPT2Config(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                        eos_token_id=tokenizer.eos_token_id, **SIZES[args.size])
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config).to(torch.float32)
    if args.train_steps:
        print(f"trained {args.train_steps} steps: loss {train(model, tokenizer, args.data_dir, args.train_steps):.3f}")
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(args.out)
    model.save_pretrained(args.out, safe_serialization=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"saved {args.size} GPT-2 to {args.out}: vocab {len(tokenizer)}, {n_params:,} parameters "
          f"(embeddings tied), {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()

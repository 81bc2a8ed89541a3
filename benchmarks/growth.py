"""Measure 7: how cost grows: evaluation time vs number of examples and vs sequence length, and
fine-tuning time vs training-set size (xbench's engine and training loop, in this process).

    python -m benchmarks.growth --eval-sizes 100,300,1000,2490 --lengths 32,64,128,256 --train-sizes 320,640,1280

- examples: XNLI dev de, the first n pairs, ``run_batches`` (auto batches), seconds for the forward pass;
- length: 128 inputs of exactly L tokens (XNLI de text, concatenated and cut), so only the length varies;
- training: PAN-X train-en, the first n sentences, one epoch of ``xbench.train.loop.finetune``.
Each point is the median of ``--repeats``; points are measured smallest first, repeats alternate sizes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Recorder, alternate, installed_model, median, progress, step_arguments, timed
from benchmarks.encoder_eval import LABELS, load_examples, make_checkpoint


def main(argv=None) -> None:
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from benchmarks.finetune_speed import panx_features, run_xbench
    from xbench.engine.inference import run_batches
    from xbench.tasktypes.classification import SequenceClassification

    ap = step_arguments(__doc__)
    ap.add_argument("--eval-sizes", default="100,300,1000,2490")
    ap.add_argument("--lengths", default="32,64,128,256")
    ap.add_argument("--train-sizes", default="320,640,1280")
    args = ap.parse_args(argv)
    transformers.logging.set_verbosity_error()
    rec = Recorder(args.out)
    base = installed_model(rec, "growth", args.model)
    if base is None:
        return
    cpu = torch.device("cpu")
    work = Path(tempfile.mkdtemp(prefix="xbench-growth-"))
    try:
        ckpt = make_checkpoint(base, work / "ckpt")
        tok = AutoTokenizer.from_pretrained(ckpt)
        model = AutoModelForSequenceClassification.from_pretrained(ckpt).eval()
        sizes = [int(s) for s in args.eval_sizes.split(",") if s]
        examples = load_examples("de", max(sizes + [128]), args.data_dir)

        def evaluate(features, tt):
            return lambda: {"wall": timed(lambda: run_batches(model, features, tt.collate, tt.outputs, batch_size="auto",
                                                              device=cpu, progress=False))[0]}

        spec = {"name": "xnli", "type": "sequence_classification", "labels": LABELS, "options": {}}
        tt = SequenceClassification(spec, tok, max_length=128)
        variants = {n: evaluate(tt.encode(examples[:n]), tt) for n in sizes}
        runs = alternate(variants, args.repeats, on_run=lambda n, r, run: progress(f"growth eval n={n}: {run['wall']:.2f}s"))
        rec.write("growth", axis="eval_examples", model=args.model, x=sizes, seconds=[median(runs[n]) for n in sizes],
                  runs={str(k): v for k, v in runs.items()})

        lengths = [int(s) for s in args.lengths.split(",") if s]
        text = " ".join(e["text_a"] + " " + e["text_b"] for e in examples)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        variants = {}
        for L in lengths:
            tt_l = SequenceClassification(spec, tok, max_length=L)
            body = L - 2
            feats = [{"input_ids": [tok.cls_token_id] + ids[i * body:(i + 1) * body] + [tok.sep_token_id],
                      "attention_mask": [1] * L, "token_type_ids": [0] * L, "example_index": i} for i in range(128)]
            variants[L] = evaluate(feats, tt_l)
        runs = alternate(variants, args.repeats, on_run=lambda n, r, run: progress(f"growth length L={n}: {run['wall']:.2f}s"))
        rec.write("growth", axis="eval_length", model=args.model, items=128, x=lengths,
                  seconds=[median(runs[n]) for n in lengths], runs={str(k): v for k, v in runs.items()})

        train_sizes = [int(s) for s in args.train_sizes.split(",") if s]
        if train_sizes:
            tt_tag, feats, recipe = panx_features(base, max(train_sizes), args.data_dir)
            variants = {n: (lambda n=n: {"wall": timed(lambda: run_xbench(base, tt_tag, feats[:n], recipe,
                                                                         work / "train", 1))[0]}) for n in train_sizes}
            runs = alternate(variants, args.repeats, on_run=lambda n, r, run: progress(f"growth train n={n}: {run['wall']:.1f}s"))
            rec.write("growth", axis="train_examples", model=args.model, x=train_sizes,
                      seconds=[median(runs[n]) for n in train_sizes], runs={str(k): v for k, v in runs.items()})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Measure 2: fine-tuning tokens/s, xbench vs Hugging Face ``Trainer``, on PAN-X train-en.

    python -m benchmarks.finetune_speed --model minilm-l6 --examples 3200 --repeats 3

Both train the same model from the same seed on the same features (xbench's tokenisation of the first
``--examples`` English training sentences) for one epoch with the PAN-X recipe's hyperparameters (batch
8 x 4 accumulation = 32 per step, learning rate 2e-5, warm-up 10 %, weight decay 0, max length 128):
xbench through ``xbench.train.loop.finetune`` (length-grouped batches; its time includes the end-of-epoch
checkpoint it writes) and ``Trainer.train`` (random batches, ``DataCollatorForTokenClassification``,
no saving). tokens/s counts real (unpadded) tokens, the same number for both; the two run alternately
in one process, after ``xbench.engine.device.pick_device("cpu")`` has tuned the process's memory
allocator as ``xbench`` does (a process-wide setting, so both loops run with it).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Recorder, alternate, installed_model, median, progress, step_arguments, timed

MODEL_FIELDS = ("input_ids", "attention_mask", "token_type_ids", "labels")


def panx_features(base: str, n: int, data_dir: Path):
    from transformers import AutoTokenizer

    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog
    from xbench.tasktypes.tagging import TokenTagging
    from xbench.train.recipe import pick_recipe

    task = Catalog(get_registry()).task("panx")
    doc = task.for_language("en")
    recipe = pick_recipe(doc, 6, overrides={"epochs": 1})
    tt = TokenTagging(doc, AutoTokenizer.from_pretrained(base), max_length=recipe.max_length)
    examples = load_split(task, "train", "en", data_dir=data_dir, limit=n).dataset.to_list()
    return tt, tt.encode(examples), recipe


def run_xbench(base, tt, features, recipe, work: Path, seed: int):
    import torch

    from xbench.train.loop import finetune

    shutil.rmtree(work, ignore_errors=True)
    torch.manual_seed(seed)
    model = tt.load_model(base)
    finetune(model, tt, features, recipe=recipe, seed=seed, device=torch.device("cpu"), precision="fp32",
             work_dir=work, save_model=lambda m, p: m.save_pretrained(p), save_every_seconds=1e9, progress=False)


def run_trainer(base, tt, features, recipe, work: Path, seed: int):
    import torch
    from datasets import Dataset
    from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments

    torch.manual_seed(seed)
    model = tt.load_model(base)
    data = Dataset.from_list([{k: f[k] for k in MODEL_FIELDS if k in f} for f in features])
    steps = -(-(-(-len(features) // recipe.batch_size)) // recipe.grad_accum)
    warmup = recipe.warmup_steps or int(recipe.warmup_ratio * steps * recipe.epochs)  # as xbench computes it
    args = TrainingArguments(output_dir=str(work), per_device_train_batch_size=recipe.batch_size,
                             gradient_accumulation_steps=recipe.grad_accum, learning_rate=recipe.learning_rate,
                             num_train_epochs=recipe.epochs, warmup_steps=warmup,
                             weight_decay=recipe.weight_decay, seed=seed, save_strategy="no", report_to=[],
                             use_cpu=True, disable_tqdm=True, logging_strategy="no")
    Trainer(model=model, args=args, train_dataset=data,
            data_collator=DataCollatorForTokenClassification(tt.tokenizer)).train()


def main(argv=None) -> None:
    import transformers

    ap = step_arguments(__doc__)
    ap.add_argument("--examples", type=int, default=3200, help="training sentences (32 per optimiser step)")
    args = ap.parse_args(argv)
    from xbench.engine.device import pick_device

    transformers.logging.set_verbosity_error()
    pick_device("cpu")
    rec = Recorder(args.out)
    base = installed_model(rec, "finetune_speed", args.model)
    if base is None:
        return
    tt, features, recipe = panx_features(base, args.examples, args.data_dir)
    tokens = sum(tt.length(f) for f in features)
    work = Path(tempfile.mkdtemp(prefix="xbench-ft-"))
    try:
        def variant(fn):
            def run():
                wall, cpu, _ = timed(lambda: fn(base, tt, features, recipe, work / "w", 1))
                return {"wall": wall, "cpu": cpu, "tokens_per_s": tokens / wall}
            return run

        runs = alternate({"xbench": variant(run_xbench), "hf_trainer": variant(run_trainer)}, args.repeats,
                         on_run=lambda n, r, run: progress(f"finetune_speed repeat {r + 1}: {n} {run['wall']:.1f}s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {n: median(v) for n, v in runs.items()}
    ratio = medians["hf_trainer"] / medians["xbench"]
    rec.write("finetune_speed", model=args.model, examples=len(features), tokens=tokens,
              steps=-(-len(features) // (recipe.batch_size * recipe.grad_accum)), recipe=recipe.to_dict(),
              runs=runs, medians=medians, tokens_per_s={n: tokens / m for n, m in medians.items()},
              ratios={"xbench_vs_trainer_tokens_per_s": ratio}, goals={"xbench_vs_trainer >= 1.0": ratio >= 1.0})


if __name__ == "__main__":
    main()

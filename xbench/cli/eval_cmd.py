"""``xbench eval``: fine-tune on English, evaluate zero-shot in every language, print the table.

The click options below are the one list of the command's options: ``xbench.evaluate()`` is generated
from them (xbench/api.py), each option a keyword named after its flag (``--checkpoint-every`` ->
``checkpoint_every``), so a parameter's name must be that of its flag (no ``"--x", "y"`` renames).
"""

from __future__ import annotations

from pathlib import Path

import click

from xbench.errors import UserError


@click.command("eval")
@click.option("--model", required=True, help="Checkpoint folder, registered alias (e.g. minilm-l6) or hub id.")
@click.option("--tasks", required=True, help="GROUP, NAME or GROUP/NAME, comma-separated (e.g. xtreme, panx, xtreme/tatoeba).")
@click.option("--languages", help="Only these languages: de,fr (every task) or panx=en,de;tatoeba=de,fr (per task). "
              "A named language without data is an error.")
@click.option("--split", help="test | dev | TASK=SPLIT,… (never substituted silently; recorded and flagged).")
@click.option("--train-stages", help="Override training stages: TASK:SPLIT[,…] for every task, or TARGET=TASK:SPLIT+TASK:SPLIT;… (flagged).")
@click.option("--allow-train-on-eval", is_flag=True, help="Allow fine-tuning on the evaluated task's dev data (leaks; flagged).")
@click.option("--batch-size", default="auto", show_default=True, help="auto (largest that fits, halving on OOM) or N.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]), default="auto", show_default=True,
              help="auto = bf16/fp16 autocast on GPU, fp32 on CPU.")
@click.option("--limit", type=int, help="Evaluate at most N items per language (smoke runs; flagged).")
@click.option("--train-limit", type=int, help="Train on at most N English items per stage.")
@click.option("--epochs", type=float, help="Override the recipe's number of epochs.")
@click.option("--seeds", default="1", show_default=True, help="Comma-separated seeds; results report mean ± sd.")
@click.option("--output", type=click.Path(path_type=Path), help="Run folder (default runs/<model>). Reruns resume.")
@click.option("--finetune/--no-finetune", default=True, show_default=True, help="Run the training stages.")
@click.option("--overwrite", is_flag=True, help="Recompute cells that are already complete.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Local data root (default $XBENCH_DATA_DIR, else the hub).")
@click.option("--adapter", default="auto", show_default=True,
              help="Model adapter: auto (from the checkpoint's config: causal LMs -> causal-lm, else hf), hf, "
              "causal-lm, or a plugin's (see `xbench plugins`).")
@click.option("--num-fewshot", type=click.IntRange(min=0), default=0, show_default=True,
              help="Prompted evaluation (causal LMs): k examples in each prompt, drawn with the seed.")
@click.option("--head-task", help="Evaluate the checkpoint's head as is although it was trained on this other task "
              "(same head shape; flagged). Without it, a head trained on another task is replaced by training.")
@click.option("--trust-remote-code", is_flag=True,
              help="Let a model folder run its own Python code (auto_map in config.json). Off: such a model is refused.")
@click.option("--allow-pickle", is_flag=True,
              help="Load pickle weights (pytorch_model.bin, read with weights_only=True) of a folder without safetensors.")
@click.option("--perturb", metavar="NAME[:STRENGTH][,KEY=VALUE]",
              help="Evaluate on perturbed inputs (training data stays clean): typo, keyboard, char_delete, "
              "word_drop, word_swap, code_switch (lexicon=PATH[,to=LANG]), choice_swap (multiple choice), or a "
              "plugin's; STRENGTH in [0, 1]. Written to <output>/perturbed/NAME-STRENGTH, reusing <output>'s "
              "fine-tuned checkpoints (e.g. --perturb typo:0.1).")
@click.option("--retrieval-layer", type=int, help="Hidden layer for retrieval tasks, overriding the spec's rule (recorded).")
@click.option("--checkpoint-every", type=float, default=120.0, show_default=True,
              help="Seconds between fine-tuning checkpoints (an interrupted run resumes from the last one).")
@click.option("--executor", default="local", show_default=True,
              help="Where the jobs (one per task and seed) run: local, or ray (a Ray cluster; see README).")
@click.option("--address", help="Ray cluster address for --executor ray (auto: the running cluster).")
@click.option("--format", type=click.Choice(["table", "md", "csv", "latex", "json"]), default="table",
              show_default=True, help="Format of the printed table.")
@click.pass_context
def eval_cmd(ctx, **options):
    """Fine-tune on English and evaluate zero-shot in every language.

    \b
    Examples:
      xbench eval --model minilm-l6 --tasks panx --split dev --train-limit 5000 --epochs 3 --data-dir ../shared/data
      xbench eval --model minilm-l6 --tasks xtreme/tatoeba --data-dir ../shared/data
      xbench eval --model ./ckpt --tasks xcopa --train-stages copa:train --seeds 1,2,3
      xbench eval --model ./my-gpt2 --tasks xcopa,xnli --num-fewshot 5 --data-dir ../shared/data   (prompted)
      xbench eval --model minilm-l6 --tasks xcopa,panx --seeds 1,2,3 --executor ray --address auto
      xbench eval --model minilm-l6 --tasks panx --split dev --perturb typo:0.1 --data-dir ../shared/data
      xbench eval --model minilm-l6 --tasks xcopa --train-stages copa:train --perturb choice_swap:1.0
      xbench eval --model minilm-l6 --tasks panx --split dev --languages de,fr --perturb code_switch:0.3,lexicon=muse/
      accelerate launch -m xbench eval --model xlm-roberta-large --tasks xtreme
    """
    from xbench.cli import registry_for

    fmt = options.pop("format")
    from xbench.results.store import ResultsStore

    ResultsStore().check_recordable()  # a broken store is said before the work, not after it
    results, output = run_options(options, registry_for(ctx))
    from xbench.distributed import is_main_process

    if not is_main_process():
        return
    from xbench.results.store import record_run

    record_run(results, output)
    click.echo(results.table(fmt))
    click.echo(f"\nresults: {output / 'results.json'}", err=True)


def run_options(options: dict, registry=None):
    """Run ``xbench eval`` with these options (keyword -> value; ``format`` aside): what the command
    and ``xbench.evaluate()`` both do. Returns (``RunResults``, the run folder)."""
    from xbench.evaluation.config import config_from_options
    from xbench.evaluation.jobs import run_eval
    from xbench.executors import get_executor

    config = config_from_options(options)
    executor, address = options.get("executor") or "local", options.get("address")
    if address and executor != "ray":
        raise UserError(f"--address is an option of the ray executor, not of '{executor}' (fix: add --executor ray)")
    return run_eval(config, get_executor(executor, registry, **({"address": address} if address else {})), registry)

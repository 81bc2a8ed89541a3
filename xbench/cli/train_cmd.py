"""``xbench train``: intermediate-task training (phase 2) of a shared encoder on one or more tasks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from xbench.errors import UserError


@click.command("train")
@click.option("--model", required=True, help="Base checkpoint: folder, registered alias (e.g. minilm-l6) or hub id.")
@click.option("--tasks", required=True,
              help="TASK[:SPLIT[:LANG]], comma-separated (e.g. siqa, siqa,commonsenseqa:validation, xnli:validation:de). "
                   "Split defaults to train, language to en; a split other than train is flagged.")
@click.option("--sampler", default="proportional", show_default=True,
              help="Task per optimiser step: uniform | proportional | capped:N | temperature:T.")
@click.option("--max-steps", type=int, help="Optimiser steps (default: one pass over all tasks' items).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--limit", type=int, help="Train on at most N items per task.")
@click.option("--learning-rate", type=float, help="Override the first task's recipe.")
@click.option("--batch-size", type=int, help="Micro-batch size (overrides the recipe).")
@click.option("--grad-accum", type=int, help="Micro-batches per optimiser step (overrides the recipe).")
@click.option("--output", type=click.Path(path_type=Path),
              help="Checkpoint folder (default $XBENCH_HOME/checkpoints/<content key>). Reruns resume or reuse.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Local data root (default $XBENCH_DATA_DIR, else the hub).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]), default="auto", show_default=True)
@click.option("--adapter", default="hf", show_default=True, help="Model adapter.")
@click.option("--checkpoint-every", type=float, default=120.0, show_default=True,
              help="Seconds between resumable training states.")
@click.option("--trust-remote-code", is_flag=True,
              help="Let the model folder run its own Python code (auto_map in config.json). Off: such a model is refused.")
@click.option("--allow-pickle", is_flag=True,
              help="Load pickle weights (pytorch_model.bin, read with weights_only=True) of a folder without safetensors.")
@click.pass_context
def train_cmd(ctx, model, tasks, sampler, max_steps, seed, limit, learning_rate, batch_size, grad_accum, output,
              data_dir, device, precision, adapter, checkpoint_every, trust_remote_code, allow_pickle):
    """Intermediate-task training: one shared encoder, one head per task, one task per step.

    \b
    The output folder is an encoder checkpoint (evaluate or fine-tune it with --model DIR: every
    target task gets a fresh head) with heads/<task>/ and manifest.json beside it.
    Examples:
      xbench train --model minilm-l6 --tasks siqa --max-steps 500 --data-dir ../shared/data
      xbench train --model minilm-l6 --tasks siqa,commonsenseqa:validation --sampler temperature:2 --output ckpt/
    """
    from xbench.cli import registry_for
    from xbench.train.intermediate import IntermediatePlan, IntermediateSettings, parse_tasks

    from xbench.paths import data_dir_option

    data_dir = data_dir_option(data_dir)
    if output is not None and output.exists() and not output.is_dir():
        raise UserError(f"--output {output}: is a file, not a folder (fix: give a new or existing folder)")
    settings = IntermediateSettings(model=model, tasks=parse_tasks(tasks), output=output, sampler=sampler,
                                    max_steps=max_steps, seed=seed, limit=limit, data_dir=data_dir, device=device,
                                    precision=precision, adapter=adapter, learning_rate=learning_rate,
                                    batch_size=batch_size, grad_accum=grad_accum, save_every_seconds=checkpoint_every,
                                    trust_remote_code=trust_remote_code, allow_pickle=allow_pickle)
    plan = IntermediatePlan(settings, registry_for(ctx))
    manifest = plan.run(log=lambda line: click.echo(line, err=True))
    state = "reused (already trained)" if manifest.get("reused") else "trained"
    click.echo(f"{state}: {plan.output}")
    click.echo(json.dumps({k: manifest[k] for k in ("key", "steps", "steps_per_task", "sampler", "flags")}, indent=2))

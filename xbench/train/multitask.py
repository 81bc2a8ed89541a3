"""The multi-task training loop (phase 2): one shared encoder, one head per task, one task per
optimiser step.

Each task's model is built by its own task type (``task_type.load_model``: the encoder with that
type's head); the encoder modules are then replaced by one shared instance, so every step's gradient
reaches the same encoder and only its task's head. The sampler picks the task of step ``k`` as a pure
function of (seed, k), and each task reads its batches from its own length-grouped order that depends
only on (seed, task, task epoch) — so a resumed run replays the draws to find every task's position
and continues exactly where it stopped (model, optimizer, scheduler and RNG states are saved
atomically every ``save_every_seconds`` and read back with ``weights_only=True``; an unreadable state
file is moved aside with a warning and the training restarts, see ``xbench.train.loop.load_state``).
Selection rule: the last step (no per-task dev selection).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xbench.engine.batching import train_batches
from xbench.engine.device import autocast
from xbench.train.loop import check_rng_state, check_same_shapes, load_state, rng_state, save_state, set_rng_state
from xbench.train.optimizer import adamw
from xbench.train.recipe import Recipe
from xbench.train.scaling import LossScaling

STATE = "train_state.pt"


@dataclass
class TaskStream:
    """One task's training data and its position (task epoch, next micro-batch)."""

    name: str
    task_type: object
    features: list[dict]
    index: int  # the task's position in the task list (part of its data-order seed)
    epoch: int = 0
    position: int = 0
    _batches: list[list[int]] | None = None

    def batches(self, batch_size: int, seed: int) -> list[list[int]]:
        if self._batches is None:
            lengths = [self.task_type.length(f) for f in self.features]
            rng = random.Random((seed * 1000 + self.index) * 100_000 + self.epoch)
            self._batches = train_batches(lengths, batch_size, rng)
        return self._batches

    def next_batch(self, batch_size: int, seed: int) -> list[dict]:
        batches = self.batches(batch_size, seed)
        batch = batches[self.position]
        self.advance(batch_size, seed)
        return [self.features[i] for i in batch]

    def advance(self, batch_size: int, seed: int) -> None:
        self.position += 1
        if self.position >= len(self.batches(batch_size, seed)):
            self.epoch, self.position, self._batches = self.epoch + 1, 0, None


def share_encoder(models: dict[str, object]):
    """Make every task model use the first one's encoder module; returns that encoder."""
    first = next(iter(models.values()))
    prefix = first.base_model_prefix
    shared = getattr(first, prefix)
    for model in models.values():
        if model.base_model_prefix != prefix:
            raise ValueError("task models of one multi-task training must share an architecture")
        setattr(model, prefix, shared)
    return shared


def head_state(model) -> dict:
    """The task model's own (head) parameters: everything outside the shared encoder."""
    prefix = model.base_model_prefix + "."
    return {k: v for k, v in model.state_dict().items() if not k.startswith(prefix)}


def train_multitask(models: dict[str, object], streams: dict[str, TaskStream], sampler, *, steps: int,
                    recipe: Recipe, seed: int, device, precision: str, work_dir: Path,
                    save_every_seconds: float = 120.0, progress: bool = True,
                    on_step: Callable[[int], None] | None = None) -> dict:
    """Train for ``steps`` optimiser steps; resumable from ``work_dir/train_state.pt``. Returns
    {"encoder", "models", "steps_per_task", "resumed_from", "seconds"}; the caller saves them."""
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    torch.manual_seed(seed)
    random.seed(seed)
    encoder = share_encoder(models)
    for model in models.values():
        model.to(device)
    params, seen = [], set()
    for model in models.values():
        for name, p in model.named_parameters():
            if id(p) not in seen:
                seen.add(id(p))
                params.append((name, p))
    warmup = recipe.warmup_steps or int(recipe.warmup_ratio * steps)

    def build():
        optimizer = adamw(params, lr=recipe.learning_rate, weight_decay=recipe.weight_decay, device=device)
        return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, steps)

    optimizer, scheduler = build()
    scaling = LossScaling(device, precision)  # fp16: a gradient scaler; otherwise the plain calls
    step, resumed = 0, None
    state_file = work_dir / STATE

    def resume(state: dict) -> None:  # everything is checked before a model is touched
        check_same_shapes(state["encoder"], encoder.state_dict(), "encoder")
        if not isinstance(state["heads"], dict) or set(state["heads"]) != set(models):
            raise ValueError("its heads are of other tasks")
        for name, model in models.items():
            check_same_shapes(state["heads"][name], head_state(model), f"{name} head")
        check_rng_state(state["rng"])
        if not isinstance(state["step"], int):
            raise ValueError("its step counter is not a whole number")
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaling.load_state_dict(state.get("scaler", {}))
        encoder.load_state_dict(state["encoder"])
        for name, model in models.items():
            model.load_state_dict({**model.state_dict(), **state["heads"][name]})
        set_rng_state(state["rng"])

    if state_file.is_file():
        state = load_state(state_file, resume)
        if state is None:  # unreadable (moved aside, warned): start again exactly as a fresh run does
            optimizer, scheduler = build()
            scaling = LossScaling(device, precision)
            torch.manual_seed(seed)
            random.seed(seed)
        else:
            step, resumed = state["step"], {"step": state["step"]}
            for k in range(step):  # replay the draws: every task's data position follows from them
                stream = streams[sampler.draw(k)]
                for _ in range(recipe.grad_accum):
                    stream.advance(recipe.batch_size, seed)

    def checkpoint():
        save_state(work_dir, {"encoder": encoder.state_dict(),
                              "heads": {name: head_state(m) for name, m in models.items()},
                              "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                              "scaler": scaling.state_dict(), "rng": rng_state(), "step": step})

    last_save = time.time()
    bar = tqdm(total=steps, initial=step, desc="intermediate", unit="step", disable=not progress, leave=False,
               dynamic_ncols=True)
    for model in models.values():
        model.train()
    while step < steps:
        name = sampler.draw(step)
        stream, model = streams[name], models[name]
        for _ in range(recipe.grad_accum):
            batch = {k: v.to(device) for k, v in stream.task_type.collate(stream.next_batch(recipe.batch_size, seed)).items()}
            with autocast(device, precision):
                loss = model(**batch).loss / recipe.grad_accum
            scaling.backward(loss)
        scaling.step(optimizer, [p for _, p in params], 1.0)
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        bar.update(1)
        bar.set_postfix(task=name, loss=f"{loss.item() * recipe.grad_accum:.3f}")
        if on_step is not None:
            on_step(step)
        if time.time() - last_save >= save_every_seconds:
            checkpoint()
            last_save = time.time()
    bar.close()
    counts = {name: 0 for name in streams}
    for k in range(steps):
        counts[sampler.draw(k)] += 1
    return {"encoder": encoder, "models": models, "steps_per_task": counts, "resumed_from": resumed,
            "seconds": round(time.time() - started, 2), "epochs_seen": {n: s.epoch + s.position / max(1, len(
                s.batches(recipe.batch_size, seed))) for n, s in streams.items()}}


def default_steps(sizes: dict[str, int], recipe: Recipe) -> int:
    """One pass over all tasks' training items (in optimiser steps), when --max-steps is not given."""
    return max(1, math.ceil(sum(sizes.values()) / (recipe.batch_size * recipe.grad_accum)))

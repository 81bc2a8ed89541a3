"""The resumable fine-tuning loop.

Batches are length-grouped (``engine.batching.train_batches``), with a data order that depends only
on (seed, epoch), so an interrupted run can regenerate it and skip what was done. The model,
optimizer, scheduler, RNG states and position are saved atomically (``train_state.pt``, written to a
temporary file and renamed) every ``save_every_seconds`` and at every epoch end; a rerun continues
from there and reaches the same weights as an uninterrupted run. The state holds tensors and plain
Python values only and is read with ``torch.load(weights_only=True)``, so a crafted file cannot run
code; one that cannot be read or does not fit (truncated, corrupt, another model's) is moved aside with
a warning and the training restarts from scratch (``load_state``). After each epoch ``select_fn``
scores the model (English dev, or held-out English training data); the best epoch is kept in
``best/`` and becomes the result.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xbench.engine.batching import train_batches
from xbench.engine.device import autocast
from xbench.paths import restore_replaced, write_atomic
from xbench.train.optimizer import adamw
from xbench.train.recipe import Recipe
from xbench.train.scaling import LossScaling

STATE = "train_state.pt"
DONE = "done.json"


@dataclass
class TrainResult:
    path: Path  # the chosen checkpoint folder
    candidates: list[dict] = field(default_factory=list)  # per epoch: {"epoch", "score"}
    chosen_epoch: int | None = None
    resumed_from: dict | None = None
    seconds: float = 0.0
    record: dict = field(default_factory=dict)  # what the checkpoint depends on (task, data, recipe, selection)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "candidates": self.candidates, "chosen_epoch": self.chosen_epoch,
                "resumed_from": self.resumed_from, "seconds": round(self.seconds, 2), "record": self.record}


def load_done(work_dir: Path) -> TrainResult | None:
    f = work_dir / DONE
    if not f.is_file():
        return None
    try:
        d = json.loads(f.read_text(encoding="utf-8"))
        result = TrainResult(Path(d["path"]), d["candidates"], d["chosen_epoch"], d.get("resumed_from"),
                             d["seconds"], d.get("record") or {})
        if not result.path.is_dir() and (work_dir / result.path.name).is_dir():
            result.path = work_dir / result.path.name  # the run folder was moved or copied
        if not result.path.is_dir():
            raise ValueError(f"its checkpoint folder {result.path} is missing")
    except (OSError, ValueError, KeyError, TypeError) as exc:  # written atomically, so damaged after the fact
        print(f"xbench: warning: {f}: unusable record of a finished training ({type(exc).__name__}: "
              f"{str(exc)[:160]}); this training runs again", file=sys.stderr, flush=True)
        try:
            os.replace(f, f.with_name(f.name + ".corrupt"))
        except OSError:
            pass
        return None
    return result


def rng_state() -> dict:
    """Every RNG's state as tensors and plain Python values (loadable with ``weights_only=True``)."""
    import torch

    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"python": random.getstate(),
            "numpy": (str(name), torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def _numpy_state(saved) -> tuple:
    name, keys, pos, has_gauss, cached = saved
    return str(name), np.asarray(keys, dtype=np.int64).astype(np.uint32), int(pos), int(has_gauss), float(cached)


def check_rng_state(state: dict) -> None:
    """Raise unless ``state`` (from ``rng_state``) can be set, trying it on scratch generators only."""
    import torch

    random.Random().setstate(state["python"])
    np.random.RandomState().set_state(_numpy_state(state["numpy"]))
    torch.Generator().set_state(state["torch"])


def set_rng_state(state: dict) -> None:
    import torch

    random.setstate(state["python"])
    np.random.set_state(_numpy_state(state["numpy"]))
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def check_same_shapes(saved, expected: dict, what: str) -> None:
    """Raise unless ``saved`` is a state dict with exactly ``expected``'s keys and tensor shapes."""
    import torch

    if not isinstance(saved, dict) or set(saved) != set(expected):
        raise ValueError(f"its {what} weights have other parameter names (another model?)")
    for key, tensor in expected.items():
        if not isinstance(saved[key], torch.Tensor) or saved[key].shape != tensor.shape:
            raise ValueError(f"its {what} parameter {key} has another shape")


def load_state(state_file: Path, apply: Callable[[dict], None]) -> dict | None:
    """The resume state saved in ``state_file``, read with ``weights_only=True`` (tensors and plain
    values only: a crafted file cannot run code) and handed to ``apply``, which raises if it does not
    fit (and must check everything before it changes anything). A file that cannot be read or does not
    fit is moved aside to ``<name>.corrupt`` with a warning naming it, and None is returned: the caller
    restarts the training from scratch."""
    import torch

    try:
        state = torch.load(state_file, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError("not a training state")
        apply(state)
        return state
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, the remedy is the same
        discard_state(state_file, exc)
        return None


def discard_state(state_file: Path, exc: Exception) -> None:
    if isinstance(exc, pickle.UnpicklingError):
        reason = ("not loadable with weights_only=True: it holds objects other than tensors and plain values, "
                  "possibly code, which is never run; or it was written by an older xbench")
    elif isinstance(exc, KeyError):
        reason = f"entry {exc} is missing"
    else:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    aside = state_file.with_name(state_file.name + ".corrupt")
    try:
        os.replace(state_file, aside)
        moved = f"moved to {aside.name}; "
    except OSError:
        moved = ""
    print(f"xbench: warning: {state_file}: cannot resume from this training state ({reason}); {moved}"
          "this training restarts from scratch", file=sys.stderr, flush=True)


def save_state(work_dir: Path, state: dict) -> None:
    """Write the resume state atomically: a temporary file, flushed to disk, renamed over the old one
    (the training's lock keeps the temporary name to one writer)."""
    import torch

    tmp = work_dir / f".{STATE}.tmp"
    with open(tmp, "wb") as out:
        torch.save(state, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, work_dir / STATE)


def sync_tree(folder: Path) -> None:
    """fsync every file under ``folder`` and the folders themselves, before a marker written after
    them (``done.json``, ``manifest.json``) declares them complete: the marker never outlives the
    bytes it vouches for, even across a power loss."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")) + [folder]:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:  # e.g. a dangling link: nothing of ours to flush
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def finetune(model, task_type, features: list[dict], *, recipe: Recipe, seed: int, device, precision: str,
             work_dir: Path, save_model: Callable[[object, Path], None],
             select_fn: Callable[[object], float] | None = None, save_every_seconds: float = 120.0,
             progress: bool = True, desc: str = "train", record: dict | None = None) -> TrainResult:
    """Train ``model`` on ``features``; resumable; returns the chosen checkpoint. ``record`` (what the
    checkpoint depends on) is kept in ``done.json``."""
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    work_dir.mkdir(parents=True, exist_ok=True)
    done = load_done(work_dir)
    if done is not None:
        return done
    start_time = time.time()
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    model.to(device)
    lengths = [task_type.length(f) for f in features]
    micro_per_epoch = math.ceil(len(features) / recipe.batch_size)
    steps_per_epoch = max(1, math.ceil(micro_per_epoch / recipe.grad_accum))
    n_epochs = max(1, math.ceil(recipe.epochs))
    total_steps = max(1, round(steps_per_epoch * recipe.epochs))
    warmup = recipe.warmup_steps or int(recipe.warmup_ratio * total_steps)

    def build():
        optimizer = adamw(model.named_parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay,
                          device=device)
        return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)

    optimizer, scheduler = build()
    scaling = LossScaling(device, precision)  # fp16: a gradient scaler; otherwise the plain calls
    epoch, micro_done, step, candidates, resumed = 0, 0, 0, [], None
    state_file = work_dir / STATE
    restore_replaced(work_dir / "best")  # a kill while best/ was being replaced

    def resume(state: dict) -> None:  # everything is checked before the model is touched
        check_same_shapes(state["model"], model.state_dict(), "model")
        check_rng_state(state["rng"])
        if not all(isinstance(state[k], int) for k in ("epoch", "micro_done", "step")) or \
                not isinstance(state["candidates"], list):
            raise ValueError("its counters are not whole numbers")
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaling.load_state_dict(state.get("scaler", {}))
        model.load_state_dict(state["model"])
        set_rng_state(state["rng"])

    if state_file.is_file():
        state = load_state(state_file, resume)
        if state is None:  # unreadable (moved aside, warned): start again exactly as a fresh run does
            optimizer, scheduler = build()
            scaling = LossScaling(device, precision)
            torch.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed)
        else:
            epoch, micro_done, step, candidates = state["epoch"], state["micro_done"], state["step"], state["candidates"]
            resumed = {"epoch": epoch, "micro_batch": micro_done, "step": step}

    def checkpoint():
        save_state(work_dir, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                               "scheduler": scheduler.state_dict(), "scaler": scaling.state_dict(),
                               "rng": rng_state(), "epoch": epoch,
                               "micro_done": micro_done, "step": step,
                               "candidates": json.loads(json.dumps(candidates))})  # plain values only

    last_save = time.time()
    bar = tqdm(total=total_steps, initial=step, desc=desc, unit="step", disable=not progress,
               leave=False, dynamic_ncols=True)
    while epoch < n_epochs and step < total_steps:
        model.train()
        batches = train_batches(lengths, recipe.batch_size, random.Random(seed * 1000 + epoch))
        for b in range(micro_done, len(batches)):
            if step >= total_steps:
                break
            batch = {k: v.to(device) for k, v in task_type.collate([features[i] for i in batches[b]]).items()}
            with autocast(device, precision):
                loss = model(**batch).loss / recipe.grad_accum
            scaling.backward(loss)
            micro_done = b + 1
            if micro_done % recipe.grad_accum == 0 or micro_done == len(batches):
                scaling.step(optimizer, model.parameters(), 1.0)
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item() * recipe.grad_accum:.3f}")
                if time.time() - last_save >= save_every_seconds:
                    checkpoint()
                    last_save = time.time()
        # epoch finished: score it, keep the best (select_fn may also return extra scores to record)
        scored = select_fn(model) if select_fn is not None else None
        score, extra = scored if isinstance(scored, tuple) else (scored, {})
        candidates.append({"epoch": epoch + 1, "step": step, "score": score, **extra})
        best = max((c for c in candidates if c["score"] is not None), key=lambda c: c["score"], default=None)
        if best is None or best["epoch"] == epoch + 1:
            save_model(model, work_dir / "best")
        epoch, micro_done = epoch + 1, 0
        checkpoint()
        last_save = time.time()
    bar.close()
    best = max((c for c in candidates if c["score"] is not None), key=lambda c: c["score"], default=None)
    result = TrainResult(work_dir / "best", candidates, best["epoch"] if best else (candidates[-1]["epoch"] if candidates else None),
                         resumed, time.time() - start_time, dict(record or {}))
    sync_tree(result.path)
    write_atomic(work_dir / DONE, json.dumps(result.to_dict(), indent=2))
    state_file.unlink(missing_ok=True)  # the optimizer state is large; the chosen weights are in best/
    return result

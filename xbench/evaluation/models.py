"""Helpers for checkpoints: quiet loading, saving a trained model with its head description, and
the held-out split used for checkpoint choice (stage keys and training: ``xbench.evaluation.stages``).
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from xbench.tasktypes.base import TaskType

HELD_OUT_FRACTION = 0.1


def quiet_transformers() -> None:
    """Keep the output to xbench's own progress bars and table (no per-load reports and bars)."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:
        pass


def save_checkpoint(task_type: TaskType, tokenizer):
    """A save function for the training loop: weights, tokenizer and the head description."""

    def save(model, folder: Path) -> None:
        import shutil

        from xbench.paths import replace_folder
        from xbench.train.loop import sync_tree

        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)  # a save a kill interrupted
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        task_type.save_head_info(tmp)
        sync_tree(tmp)
        replace_folder(tmp, folder)

    return save


def split_held_out(examples: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(train, held-out): a seeded 10% of the English training items for checkpoint choice."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_out = max(1, int(len(examples) * HELD_OUT_FRACTION)) if len(examples) > 1 else 0
    out = set(order[:n_out])
    return [e for i, e in enumerate(examples) if i not in out], [examples[i] for i in sorted(out)]

"""The fine-tuning optimiser: AdamW over two parameter groups, with PyTorch's fused kernel where it has one.

Biases and LayerNorm weights get no weight decay (as in BERT, XTREME and Hugging Face ``Trainer``).
``torch.optim.AdamW`` without options takes its per-parameter loop on CPU (its multi-tensor path is
for CUDA only); ``fused=True`` updates every parameter in one kernel per group, on CPU and CUDA alike.
It is the same update, rounded differently in the last bits, and what ``Trainer`` uses by default
(``adamw_torch_fused``); measured in benchmarks/optimizer_step.py. Devices without a fused kernel
(e.g. MPS on older PyTorch) keep the default.
"""

from __future__ import annotations

from collections.abc import Iterable

NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight")
FUSED_DEVICES = ("cpu", "cuda")


def param_groups(named_parameters: Iterable, weight_decay: float) -> list[dict]:
    """[decayed, not decayed] groups from (name, parameter) pairs."""
    named = list(named_parameters)
    return [{"params": [p for n, p in named if not n.endswith(NO_DECAY)], "weight_decay": weight_decay},
            {"params": [p for n, p in named if n.endswith(NO_DECAY)], "weight_decay": 0.0}]


def adamw(named_parameters: Iterable, *, lr: float, weight_decay: float, device):
    import torch

    device_type = getattr(device, "type", str(device))
    fused = {"fused": True} if device_type in FUSED_DEVICES else {}
    return torch.optim.AdamW(param_groups(named_parameters, weight_decay), lr=lr, **fused)

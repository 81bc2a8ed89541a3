"""Device and precision selection.

``auto`` picks CUDA, then Apple MPS, then CPU. Precision ``auto`` is bf16 autocast on GPUs that
support it (fp16 otherwise) and fp32 on CPU: CPUs without bf16 units run bf16 matmuls hundreds of
times slower, so CPU autocast is only used when asked for explicitly. Picking the CPU also tunes its
memory allocator for reuse (xbench.engine.cpu_allocator) and checks ``XBENCH_CPU_WORKERS``
(xbench.engine.cpu_workers).
"""

from __future__ import annotations

import contextlib

from xbench.errors import UserError


def pick_device(name: str = "auto"):
    device = _pick(name)
    if device.type == "cpu":
        from xbench.engine.cpu_allocator import keep_freed_memory
        from xbench.engine.cpu_workers import workers_for_this_process

        keep_freed_memory()  # large activations reuse freed memory instead of faulting in new pages
        workers_for_this_process()  # a bad XBENCH_CPU_WORKERS is refused before any work
    return device


def _pick(name: str):
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {name}: CUDA is not available on this machine (fix: --device cpu or auto)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("--device mps: Apple MPS is not available on this machine (fix: --device cpu or auto)")
    return torch.device(name)


def pick_precision(name: str, device) -> str:
    import torch

    if name != "auto":
        if name == "fp16" and device.type == "cpu":
            raise UserError("--precision fp16 is not supported on CPU (fix: --precision fp32 or bf16)")
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def autocast(device, precision: str):
    """A context manager running the forward pass in the chosen precision."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)

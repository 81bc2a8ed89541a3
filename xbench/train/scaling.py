"""Loss scaling for fp16 training: ``torch.amp.GradScaler``, on only when the precision is fp16.

fp16 gradients of small losses underflow to zero; the scaler multiplies the loss before
``backward``, unscales the gradients before clipping, skips a step whose gradients overflowed and
adapts the scale. bf16 has fp32's exponent range and fp32 needs nothing, so for them the scaler is
disabled and every call is the plain one (``scale`` returns the loss itself, ``step`` calls
``optimizer.step()``): fp32 and bf16 training are unchanged bit for bit. fp16 on CPU is refused
earlier (``engine.device.pick_precision``); the scaler follows the precision whatever the device, so
the logic is testable on a CPU by asking for it explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable


def needs_scaling(precision: str) -> bool:
    """Whether training in ``precision`` needs a gradient scaler (fp16 only)."""
    return precision == "fp16"


class LossScaling:
    """``backward(loss)`` then ``step(optimizer, params)``: what one optimiser step does with the
    scaler the precision calls for; ``state_dict``/``load_state_dict`` keep it across a resume."""

    def __init__(self, device, precision: str):
        import torch

        device_type = getattr(device, "type", str(device))
        self.scaler = torch.amp.GradScaler(device_type, enabled=needs_scaling(precision))

    @property
    def enabled(self) -> bool:
        return self.scaler.is_enabled()

    def backward(self, loss) -> None:
        self.scaler.scale(loss).backward()

    def step(self, optimizer, params: Iterable, max_grad_norm: float = 1.0) -> bool:
        """Unscale, clip, step (skipped when fp16 gradients overflowed) and update the scale;
        True when the optimiser stepped."""
        import torch

        self.scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        before = self.scaler.get_scale() if self.enabled else None
        self.scaler.step(optimizer)
        self.scaler.update()
        return not self.enabled or self.scaler.get_scale() >= before

    def state_dict(self) -> dict:
        """Plain values only (loadable with ``weights_only=True``); empty when disabled."""
        return dict(self.scaler.state_dict())

    def load_state_dict(self, state) -> None:
        if not isinstance(state, dict):
            raise ValueError("its gradient scaler state is not a mapping")
        if self.enabled and state:
            self.scaler.load_state_dict(state)

"""Evaluation on CPU in fp32 with oneDNN's prepacked linear layers, GELU fused into the matrix product.

``nn.Linear`` on CPU calls a general matrix product that lays the weight out again on every call, then
the feed-forward block's GELU reads and writes its 4x-wide activation once more. oneDNN can keep each
weight in its own blocked layout (packed once when the block is entered) and apply an exact (erf) GELU
to the product's output while it is still in cache. How much that buys depends on the CPU, because
PyTorch's plain path is Intel MKL's sgemm: on an Intel Xeon (2 cores) it was 1.00x the engine on MiniLM
over XNLI pairs (1.04-1.07x the bare forward); on an AMD EPYC, where MKL reached ~210 GFLOP/s against
oneDNN's ~480 at BERT-base shapes, 1.96x the engine on mpnet-base, at the same logits up to float
rounding (BENCHMARKS.md §1). It also removes the copies ``aten::linear`` made of its 3-d inputs.

Nothing is assumed from a class name. Every ``nn.Linear`` with fp32 weights is packed; the GELU is
fused where a module holds ``dense`` (a Linear) and ``intermediate_act_fn`` (transformers' exact-erf
``GELUActivation``), the BERT family's feed-forward layout (BERT, RoBERTa, XLM-R, ELECTRA, MPNet). Each
replacement is checked on entry against the module's own forward on a random input; one that does not
agree (a module computing more than GELU(dense(x)), an op this build lacks) keeps its own forward.
Weights are packed on every entry (they change between fine-tuning epochs) and dropped on leaving.

``XBENCH_PACKED_LINEAR=0`` turns it off (plain ``nn.Linear``, as before), for comparison.
"""

from __future__ import annotations

import contextlib
import os

import torch

CHECK_RTOL, CHECK_ATOL = 1e-4, 1e-5  # float rounding of a reordered sum; observed < 1e-6


def available() -> bool:
    """oneDNN's linear ops are in this PyTorch build and not turned off by ``XBENCH_PACKED_LINEAR=0``."""
    if os.environ.get("XBENCH_PACKED_LINEAR", "1").strip() == "0":
        return False
    ops = getattr(torch.ops, "mkldnn", None)
    return bool(torch.backends.mkldnn.is_available() and hasattr(ops, "_reorder_linear_weight")
                and hasattr(ops, "_linear_pointwise"))


def _exact_gelu(act) -> bool:
    """transformers' GELUActivation computing erf GELU (not the tanh approximation, not a Python one)."""
    return getattr(act, "act", None) is torch.nn.functional.gelu  # the tanh one is a functools.partial


def _modules(model) -> list:
    """The model's modules, with those of a stand-in's unregistered original (``stands_in_for``, as
    ``xbench.models.first_position.FirstPositionLayer`` keeps the layer it computes with)."""
    out = []
    for m in model.modules():
        out.append(m)
        original = getattr(m, "stands_in_for", None)
        if isinstance(original, torch.nn.Module):
            out += list(original.modules())
    return out


def _plan(model) -> tuple[list, list]:
    """(the fp32 CPU Linear modules, the (module, its Linear) pairs whose GELU can be fused)."""
    modules = _modules(model)
    # a module whose forward someone has already replaced is left alone: what it does is not known
    own = [m for m in modules if "forward" not in m.__dict__]
    linears = [m for m in own if isinstance(m, torch.nn.Linear) and m.weight.dtype == torch.float32
               and m.weight.device.type == "cpu" and type(m).forward is torch.nn.Linear.forward]
    fused = [(m, m.dense) for m in own
             if isinstance(getattr(m, "dense", None), torch.nn.Linear) and m.dense in linears
             and _exact_gelu(getattr(m, "intermediate_act_fn", None))]
    return linears, fused


def _packed_forward(module, weight_of: torch.nn.Linear, post: str):
    """The oneDNN forward for ``module`` (a Linear, or a block ending in ``weight_of``'s product with
    ``post`` applied), or None where it does not give the module's own output on a random input."""
    linear = torch.ops.mkldnn._linear_pointwise
    w = torch.ops.mkldnn._reorder_linear_weight(weight_of.weight.detach())
    b = None if weight_of.bias is None else weight_of.bias.detach()
    if post == "gelu":
        forward = lambda hidden_states: linear(hidden_states, w, b, "gelu", [], "none")  # noqa: E731
    else:
        forward = lambda x: linear(x, w, b, "none", [], "")  # noqa: E731
    x = torch.randn(2, 3, weight_of.in_features, generator=torch.Generator().manual_seed(0))
    try:
        with torch.no_grad():
            ok = torch.allclose(forward(x), module(x), rtol=CHECK_RTOL, atol=CHECK_ATOL)
    except Exception:  # noqa: BLE001 - an op or a signature this does not fit: the module's own forward
        return None
    return forward if ok else None


def _pack(linears: list, fused: list) -> list:
    """Set each module's checked packed ``forward`` (an instance attribute: the class's own stays as it
    is); the modules set."""
    done = []
    for owner, dense in fused:
        forward = _packed_forward(owner, dense, "gelu")
        if forward is not None:
            done.append(owner)
            owner.forward = forward
    for m in linears:  # after the blocks: a block is checked against its own, unpacked, Linear
        forward = _packed_forward(m, m, "none")
        if forward is not None:
            done.append(m)
            m.forward = forward
    return done


@contextlib.contextmanager
def packed_linears(model):
    """Within the block, ``model``'s linear layers run packed (see the module docstring). Put back on
    leaving, also after an error."""
    if not isinstance(model, torch.nn.Module) or not available():  # not a module: a callable wrapping one
        yield model
        return
    done = _pack(*_plan(model))
    try:
        yield model
    finally:
        for m in done:
            m.__dict__.pop("forward", None)

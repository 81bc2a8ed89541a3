"""Evaluating heads that read only the first position ([CLS] / <s>) without the last layer's other rows.

A sequence-classification or multiple-choice head of the BERT family (BERT, MiniLM, RoBERTa, XLM-R,
CamemBERT, ELECTRA) reads the final hidden state at position 0 alone. In the last layer every other
position only feeds outputs nobody reads: its keys and values are needed (position 0 attends to
them), its queries, attention output, feed-forward block and layer norms are not. ``first_position_only``
runs that layer for position 0 alone (~10/12 of one layer's matrix products saved: 1.11-1.16x on
MiniLM's 6 layers, BENCHMARKS.md §1), with the layer's own modules and the model's own attention
function, so the logits are the full forward's up to float rounding.

Nothing is assumed from a class name: a model is run this way only when its last layer has the BERT
layout (``attention.self.query/key/value``, ``attention.output``, ``feed_forward_chunk``, no cross
attention) and a probe — two of the batch's inputs, full forward against the pruned one, in fp32 —
gives the same logits within ``PROBE_ATOL``. Otherwise the model runs whole. The verdict is kept per
model object: the probe runs once per model and process.
"""

from __future__ import annotations

import contextlib
import sys
import weakref

import torch

PROBE_ATOL = 1e-5  # the logits' agreement the probe demands (observed: < 1e-7 on MiniLM)
PROBE_ITEMS = 2

_verdicts: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> bool


def last_layer_slot(model):
    """(the ModuleList holding the encoder's layers, the last one) when it has the BERT layout; else None."""
    base = getattr(model, "base_model", None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if layers is None or not len(layers):
        return None
    layer = layers[-1]
    attention = getattr(layer, "attention", None)
    self_attention = getattr(attention, "self", None)
    parts = [getattr(self_attention, n, None) for n in ("query", "key", "value", "attention_head_size", "config")]
    if any(p is None for p in parts) or not hasattr(attention, "output") or not hasattr(layer, "feed_forward_chunk"):
        return None
    if getattr(layer, "add_cross_attention", False) or getattr(self_attention, "is_causal", False):
        return None
    return layers, layer


class FirstPositionLayer(torch.nn.Module):
    """Stands in for the last encoder layer: the same computation, for position 0 only. Its output has
    one position (``[batch, 1, hidden]``), which is all a first-position head reads."""

    def __init__(self, layer):
        super().__init__()
        self.__dict__["layer"] = layer  # not a submodule: the weights stay the layer's own, listed once
        self.training = layer.training

    @property
    def stands_in_for(self):
        """The layer computed with (not a submodule): for code that walks the modules it runs."""
        return self.layer

    def train(self, mode: bool = True):
        # the layer is no submodule, so model.eval() would not reach its dropouts: pass the mode on
        super().train(mode)
        self.layer.train(mode)
        return self

    def forward(self, hidden_states, attention_mask=None, *args, **kwargs):
        from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

        layer, att = self.layer, self.layer.attention.self
        batch, length = hidden_states.shape[:2]
        first = hidden_states[:, :1]

        def heads(x, n):
            return x.view(batch, n, -1, att.attention_head_size).transpose(1, 2)

        query, key, value = heads(att.query(first), 1), heads(att.key(hidden_states), length), \
            heads(att.value(hidden_states), length)
        if attention_mask is not None and attention_mask.dim() == 4 and attention_mask.shape[-2] > 1:
            attention_mask = attention_mask[:, :, :1]  # the rows of the queries kept
        eager = getattr(sys.modules[type(att).__module__], "eager_attention_forward")
        attend = ALL_ATTENTION_FUNCTIONS.get_interface(att.config._attn_implementation, eager)
        dropout = getattr(getattr(att, "dropout", None), "p", 0.0) if att.training else 0.0  # as the layer's own
        context, _ = attend(att, query, key, value, attention_mask, dropout=dropout, scaling=att.scaling)
        attention_output = layer.attention.output(context.reshape(batch, 1, -1), first)
        return layer.feed_forward_chunk(attention_output)


@contextlib.contextmanager
def first_position_only(model, probe_batch: dict):
    """Within the block, ``model`` runs its last layer for position 0 alone when that is safe (see the
    module docstring); ``probe_batch``: collated model inputs, of which the first ``PROBE_ITEMS`` are
    used to check. The layer is put back on leaving, also after an error."""
    slot = last_layer_slot(model)
    if slot is None or _verdicts.get(model) is False:
        yield model
        return
    layers, layer = slot
    if model not in _verdicts:
        _verdicts[model] = _probe(model, layers, layer, probe_batch)
    if not _verdicts[model]:
        yield model
        return
    layers[-1] = FirstPositionLayer(layer)
    try:
        yield model
    finally:
        layers[-1] = layer


def _probe(model, layers, layer, probe_batch: dict) -> bool:
    """Whether the pruned forward gives the full forward's logits on a few of the batch's inputs."""
    device = next(model.parameters()).device
    inputs = {k: v[:PROBE_ITEMS].to(device) for k, v in probe_batch.items() if k != "labels"}
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            full = model(**inputs).logits.float()
            layers[-1] = FirstPositionLayer(layer)
            try:
                pruned = model(**inputs).logits.float()
            finally:
                layers[-1] = layer
        return full.shape == pruned.shape and bool(torch.allclose(full, pruned, rtol=0, atol=PROBE_ATOL))
    except Exception:  # noqa: BLE001 - a layout this code does not know after all: run the model whole
        return False
    finally:
        model.train(was_training)

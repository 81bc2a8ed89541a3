"""Which hidden layer a retrieval task pools, how it pools, and L2 normalisation.

Layer numbers index the model's ``hidden_states`` tuple: 0 is the embedding output and ``n`` the
output of transformer layer ``n`` (so for a 12-layer model, 12 is the last layer). This is how
XTREME's retrieval scripts count ("layer 8 of 12").

Choice, in order:
1. an explicit layer (a command-line or config override);
2. the spec's ``retrieval.layers`` mapping of official choices by depth, e.g. Tatoeba
   ``{"12": 8, "24": 14}`` and BUCC ``{"12": 8, "24": 20}``;
3. the spec's ``retrieval.layer_rule`` for other depths:
   - ``two_thirds``: round(2/3 * n_layers) (12 -> 8, 6 -> 4, 24 -> 16). It reproduces the official
     12-layer choice but not the 24-layer ones (14 for Tatoeba, 20 for BUCC); the mapping wins
     wherever it has an entry, so the rule only decides depths the mapping lacks.
   - ``last``: n_layers.
   - ``middle``: n_layers // 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xbench.errors import UserError

if TYPE_CHECKING:  # torch is imported inside the pooling functions, never at module import
    import torch

LAYER_RULES = ("two_thirds", "last", "middle")
POOLINGS = ("mean", "cls")
DEFAULT_RULE = "two_thirds"


@dataclass(frozen=True)
class LayerChoice:
    """The hidden layer used and why; ``describe()`` is the line printed and recorded."""

    layer: int
    n_layers: int
    source: str  # "override", "official mapping" or "rule <name>"

    def describe(self) -> str:
        return f"hidden layer {self.layer} of {self.n_layers} ({self.source})"


def rule_layer(n_layers: int, rule: str = DEFAULT_RULE) -> int:
    """The layer a named rule picks for a model with ``n_layers`` transformer layers."""
    if n_layers < 1:
        raise UserError(f"retrieval: a model with {n_layers} layers has no hidden layer to pool")
    if rule == "two_thirds":
        return max(1, round(2 * n_layers / 3))
    if rule == "last":
        return n_layers
    if rule == "middle":
        return max(1, n_layers // 2)
    raise UserError(f"retrieval: unknown layer rule {rule!r} (field retrieval.layer_rule); "
                    f"use one of {', '.join(LAYER_RULES)}")


def choose_layer(n_layers: int, mapping: Mapping[str | int, int] | None = None,
                 rule: str | None = None, override: int | None = None) -> LayerChoice:
    """Pick the layer for a model of ``n_layers``: override, else ``mapping[n_layers]``, else ``rule``."""
    if override is not None:
        if not 0 <= override <= n_layers:
            raise layer_override_error(override, n_layers)
        return LayerChoice(override, n_layers, "override")
    official = {int(depth): layer for depth, layer in (mapping or {}).items()}
    if n_layers in official:
        layer = official[n_layers]
        if not 0 <= layer <= n_layers:
            raise UserError(f"retrieval.layers maps depth {n_layers} to layer {layer}, which does not "
                            f"exist (fix the spec: use 0..{n_layers})")
        return LayerChoice(layer, n_layers, "official mapping")
    rule = rule or DEFAULT_RULE
    return LayerChoice(rule_layer(n_layers, rule), n_layers, f"rule {rule}")


def layer_override_error(override: int, n_layers: int, model: str = "the model") -> UserError:
    return UserError(f"--retrieval-layer {override}: {model} has {n_layers} hidden layers, so the layers to pool "
                     f"are 0..{n_layers} (0 = the embedding output, {n_layers} = the last layer) (fix: give "
                     f"--retrieval-layer 0..{n_layers}, or drop it for the spec's choice)")


def check_layer_override(override: int | None, model_path: str, specs, model: str | None = None) -> None:
    """``--retrieval-layer N`` against the model's depth, read from its config before anything loads
    (else the run would read data and load the model first). A depth that cannot be read without
    loading (a hub id not cached) is left to ``choose_layer``."""
    if override is None or not any("retrieval" in spec.doc for spec in specs):
        return
    n_layers = model_depth(model_path)
    if n_layers is not None and not 0 <= override <= n_layers:
        raise layer_override_error(override, n_layers, f"model {model or model_path}")


def model_depth(model_path: str) -> int | None:
    """The number of transformer layers a checkpoint's config names (None when unknown)."""
    import json
    from pathlib import Path

    config = Path(model_path) / "config.json"
    try:
        if config.is_file():
            doc = json.loads(config.read_text(encoding="utf-8"))
        else:
            from transformers import AutoConfig

            doc = AutoConfig.from_pretrained(model_path, local_files_only=True).to_dict()
    except Exception:  # unreadable here: the model's own loading reports it
        return None
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        if isinstance(doc.get(key), int):
            return doc[key]
    return None


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str = "mean") -> torch.Tensor:
    """Sentence vectors [batch, hidden] from one layer's states [batch, tokens, hidden].

    ``mean`` averages over the attention mask, special tokens ([CLS], [SEP]) included, as XTREME
    does; ``cls`` takes the first token. The result is float32 whatever the model's dtype.
    """
    import torch

    if pooling == "cls":
        return hidden[:, 0].float()
    if pooling != "mean":
        raise UserError(f"retrieval: unknown pooling {pooling!r} (field retrieval.pooling); "
                        f"use one of {', '.join(POOLINGS)}")
    mask = attention_mask.to(hidden.device, torch.float32).unsqueeze(-1)
    summed = (hidden.float() * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1.0)


def l2_normalize(vectors: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Rows scaled to unit L2 norm (all-zero rows stay zero)."""
    import torch

    return vectors / torch.linalg.vector_norm(vectors, dim=-1, keepdim=True).clamp(min=eps)


def as_unit_rows(vectors: torch.Tensor, tolerance: float = 1e-4) -> torch.Tensor:
    """``vectors`` as float32 unit rows: returned as is when they already are (no copy of a large
    corpus), else an L2-normalised float32 copy."""
    import torch

    if vectors.dtype == torch.float32 and vectors.numel():
        norms = torch.linalg.vector_norm(vectors, dim=-1)
        if bool(((norms - 1).abs() <= tolerance).all()):
            return vectors
    return l2_normalize(vectors.to(torch.float32))

"""The causal-LM model adapter: any local Hugging Face causal language model folder (GPT-2, Llama, …).

A causal LM is evaluated *prompted*: no head is trained; each item of a task becomes a context and one
continuation per answer, scored by log-likelihood (``xbench.prompting``). The adapter is chosen
automatically for checkpoints whose ``config.json`` names a ``*ForCausalLM`` / ``*LMHeadModel``
architecture, or with ``--adapter causal-lm``.
"""

from __future__ import annotations

from xbench.models.hf import HFAdapter


class CausalLMAdapter(HFAdapter):
    name = "causal-lm"
    prompted = True  # cells are scored by xbench.prompting, not by a trained head

    def load_model(self, path: str, auto_class: str = "AutoModelForCausalLM", **_head_kwargs):
        """The LM itself, in fp32 (autocast lowers precision on GPUs); a task type's head class and
        label arguments do not apply to prompted evaluation. Loaded under the same rules as
        ``HFAdapter`` (no model code unless ``trust_remote_code``, no pickles unless ``allow_pickle``)."""
        import torch
        from transformers import AutoModelForCausalLM

        return self.from_pretrained(AutoModelForCausalLM, path, dtype=torch.float32)

    def evaluate_cell(self, task_type, model, examples, engine, cell, settings):
        from xbench.prompting.evaluate import evaluate_prompted

        return evaluate_prompted(task_type, model, examples, engine, cell, settings)

    def cell_flags(self, settings) -> list[str]:
        """Flags of every prompted cell: not the fine-tuning protocol of XTREME."""
        return [f"prompted_{settings.num_fewshot}shot"]

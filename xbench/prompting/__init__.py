"""Prompted evaluation of causal language models: a spec's ``prompts:`` turn each item into a context
and one continuation per answer; the answer with the highest log-likelihood wins (``accuracy``), or
the highest per-character log-likelihood (``accuracy_norm``, lm-evaluation-harness's ``acc_norm``).

- ``templates``: the placeholder language of prompt templates (``{field|filter}``), data not code;
- ``prompt``: a spec's prompt for one language, rendered into requests (with seeded k-shot examples);
- ``loglik``: scoring continuations with a causal LM, each item's shared prefix computed once;
- ``evaluate``: one cell, scored, with per-item records.
"""

SCORER_VERSION = 1  # part of every prompted cell's key: bump when scoring changes for the same inputs

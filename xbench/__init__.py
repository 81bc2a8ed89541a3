"""xbench: a plugin-based benchmark registry for zero-shot cross-lingual transfer.

Importing this package is cheap: it must not import torch or transformers, so that listing and
validating tasks stays fast. Heavy modules are imported where they are used.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `xbench.evaluate` is xbench.api.evaluate itself (its signature and docstring are generated from
    # `xbench eval`'s options), loaded on first use: xbench.api imports click, not torch.
    if name == "evaluate":
        from xbench.api import evaluate

        return evaluate
    raise AttributeError(f"module 'xbench' has no attribute {name!r}")

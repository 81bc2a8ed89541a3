"""Prompt templates: text with ``{name}`` or ``{name|filter|filter}`` placeholders.

A name is a slot the task type provides for an item (``context``, ``question``, ``text_a``, …) or for
one answer (``choice``, ``word``); filters are the fixed text transforms below, applied left to
right. ``{{`` and ``}}`` are literal braces. Templates are data: nothing in them is evaluated.
"""

from __future__ import annotations

import re

from xbench.errors import UserError

_DETOKENIZE = ((" n't", "n't"), (" )", ")"), ("( ", "("), ('" ', '"'), (' "', '"'))


def _detokenize(text: str) -> str:
    # undo the space-separated tokenisation of some corpora (PAWS-X): "do n't ( a ) ." -> "don't (a)."
    for old, new in _DETOKENIZE:
        text = text.replace(old, new)
    return re.sub(r" (['.,])", r"\1", text)


FILTERS = {
    "strip": str.strip,
    "lower": str.lower,
    "lower_first": lambda s: s[:1].lower() + s[1:],
    "upper_first": lambda s: s[:1].upper() + s[1:],
    "drop_last_char": lambda s: s[:-1],  # e.g. a premise's final period before a connective
    "drop_final_punct": lambda s: s[:-1] if s.endswith((".", ",", ";")) else s,
    "detokenize": _detokenize,
}

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def placeholders(template: str) -> list[tuple[str, list[str]]]:
    """The (name, filters) of every placeholder, in order."""
    out = []
    for m in _PLACEHOLDER.finditer(template):
        if m.group(1) is not None:
            name, *filters = [p.strip() for p in m.group(1).split("|")]
            out.append((name, filters))
    return out


def unbalanced(template: str) -> bool:
    """Whether a brace is left that is neither a placeholder nor an escaped ``{{``/``}}``."""
    rest = _PLACEHOLDER.sub("", template)
    return "{" in rest or "}" in rest


def render(template: str, slots: dict, where: str = "prompt") -> str:
    """The template with every placeholder replaced by its slot's text, filtered."""

    def one(m: re.Match) -> str:
        if m.group(1) is None:
            return m.group(0)[0]
        name, *filters = [p.strip() for p in m.group(1).split("|")]
        if name not in slots or slots[name] is None:
            raise UserError(f"{where}: template {template!r} uses '{{{name}}}', which this item does not have "
                            f"(available: {', '.join(sorted(k for k, v in slots.items() if v is not None))}) "
                            "(fix: the spec's prompts: section)")
        text = str(slots[name])
        for f in filters:
            try:
                text = FILTERS[f](text)
            except KeyError:
                raise UserError(f"{where}: unknown filter '{f}' in {template!r} (filters: {', '.join(FILTERS)})") from None
        return text

    return _PLACEHOLDER.sub(one, template)

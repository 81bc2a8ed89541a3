"""Input perturbations for robustness experiments (``xbench eval --perturb NAME[:STRENGTH][,KEY=VALUE]``).

Built-ins (registered by ``xbench.registry.builtin`` through the ``xbench_perturbations`` hook, as a
plugin registers its own): ``typo``, ``keyboard``, ``char_delete``, ``word_drop``, ``word_swap``
(``text``), ``code_switch`` (``code_switch``) and ``choice_swap`` (``choices``). The object API is in
``base``; parsing in ``parse``; per-item seeding in ``seeding``; the engine's entry points in ``apply``.
"""

from xbench.perturbations.base import ChoicePerturbation, Perturbation, TextPerturbation, perturb_fields
from xbench.perturbations.parse import parse_perturbation

__all__ = ["ChoicePerturbation", "Perturbation", "TextPerturbation", "parse_perturbation", "perturb_fields"]

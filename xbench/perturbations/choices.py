"""``choice_swap``: permute a multiple-choice item's answer choices (the label follows its choice)."""

from __future__ import annotations

from math import factorial

from xbench.perturbations.base import ChoicePerturbation


class ChoiceSwap(ChoicePerturbation):
    """With probability ``strength`` per item, its choices are shown in another order, drawn uniformly
    among the orders other than the original one."""

    name = "choice_swap"
    default_strength = 1.0

    def permutation(self, n, rng):
        if n < 2 or rng.random() >= self.strength:
            return list(range(n))
        return nth_permutation(rng.randrange(1, factorial(n)), n)  # rank 0 is the original order


def nth_permutation(rank: int, n: int) -> list[int]:
    """The permutation of range(n) with this lexicographic rank (0: the identity)."""
    items, out = list(range(n)), []
    for i in range(n, 0, -1):
        index, rank = divmod(rank, factorial(i - 1))
        out.append(items.pop(index))
    return out

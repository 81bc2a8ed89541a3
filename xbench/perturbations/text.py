"""The built-in text perturbations: character noise (``typo``, ``keyboard``, ``char_delete``) and
word order noise (``word_drop``, ``word_swap``). Strength is a probability per word, letter,
character or adjacent pair, as each class says; strength 0 changes nothing."""

from __future__ import annotations

from xbench.perturbations.base import TextPerturbation

# QWERTY rows and how far each row is shifted right of the one above (in key widths)
QWERTY_ROWS = (("qwertyuiop", 0.0), ("asdfghjkl", 0.25), ("zxcvbnm", 0.75))


def keyboard_neighbours() -> dict[str, str]:
    """Each letter's neighbours: the keys beside it and those less than a key width away in the rows
    above and below."""
    keys = [(ch, r, offset + i) for r, (row, offset) in enumerate(QWERTY_ROWS) for i, ch in enumerate(row)]
    out = {}
    for ch, r, x in keys:
        out[ch] = "".join(other for other, r2, x2 in keys
                          if other != ch and ((r2 == r and abs(x2 - x) == 1) or (abs(r2 - r) == 1 and abs(x2 - x) < 1)))
    return out


NEIGHBOURS = keyboard_neighbours()


class Typo(TextPerturbation):
    """With probability ``strength`` per word of at least 2 characters, one edit inside it: swap two
    adjacent characters, drop one, insert a copy of one of its characters, or replace one by another
    of its characters (so the script stays the word's own)."""

    name = "typo"
    default_strength = 0.1

    def word(self, word, rng, language):
        if len(word) < 2 or rng.random() >= self.strength:
            return word
        pos = rng.randrange(len(word) - 1)
        op = rng.choice(("swap", "drop", "insert", "replace"))
        if op == "swap":
            return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2:]
        if op == "drop":
            return word[:pos] + word[pos + 1:]
        if op == "insert":
            return word[:pos] + rng.choice(word) + word[pos:]
        others = [c for c in word if c != word[pos]]
        return word[:pos] + (rng.choice(others) if others else word[pos]) + word[pos + 1:]


class Keyboard(TextPerturbation):
    """With probability ``strength`` per letter of the QWERTY layout (a–z, either case), that letter is
    replaced by one of its keyboard neighbours (case kept). Other characters — digits, punctuation,
    accented and non-Latin letters — are never changed."""

    name = "keyboard"
    default_strength = 0.05

    def word(self, word, rng, language):
        out = []
        for ch in word:
            near = NEIGHBOURS.get(ch.lower())
            if near and rng.random() < self.strength:
                new = rng.choice(near)
                ch = new.upper() if ch.isupper() else new
            out.append(ch)
        return "".join(out)


class CharDelete(TextPerturbation):
    """Each character is deleted with probability ``strength``; a word keeps at least one character
    (its first, when every one was drawn)."""

    name = "char_delete"
    default_strength = 0.05

    def word(self, word, rng, language):
        kept = "".join(ch for ch in word if rng.random() >= self.strength)
        return kept or word[:1]


class WordDrop(TextPerturbation):
    """Each word is dropped with probability ``strength``; at least one word (the first) is kept."""

    name = "word_drop"
    default_strength = 0.1

    def words(self, words, rng, language):
        kept = [(i, w) for i, w in enumerate(words) if rng.random() >= self.strength]
        return kept or [(0, w) for w in words[:1]]


class WordSwap(TextPerturbation):
    """Each adjacent word pair is swapped with probability ``strength``, left to right; a word moves at
    most once."""

    name = "word_swap"
    default_strength = 0.1

    def words(self, words, rng, language):
        out = list(enumerate(words))
        i = 0
        while i < len(out) - 1:
            if rng.random() < self.strength:
                out[i], out[i + 1] = out[i + 1], out[i]
                i += 2
            else:
                i += 1
        return out

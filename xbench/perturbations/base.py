"""The perturbation object: a name, a strength in [0, 1], ``key=value`` options, and methods on texts.

Two kinds, told apart by ``acts_on`` (task types declare which kinds they handle, ``TaskType.perturbable``):

* ``TextPerturbation`` (``acts_on = "words"``): ``words(words, rng, language)`` returns the new words,
  each with the position of the input word it comes from (so token tagging can move or drop a word's
  label with it); ``text(text, rng, language)`` applies it to running text split at whitespace. A
  character-level perturbation only overrides ``word(word, rng, language)``.
* ``ChoicePerturbation`` (``acts_on = "choices"``): ``permutation(n, rng)`` reorders an item's answer
  choices (multiple choice only).

Words are whitespace-separated: in scripts written without spaces (zh, ja, th) a "word" is a whole run
of text between spaces.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from pathlib import Path

from xbench.errors import UserError
from xbench.spec.suggest import did_you_mean

_SPACE = re.compile(r"(\s+)")


class Perturbation:
    """Subclasses set ``name`` (the registered name), ``default_strength`` and, if they
    take options, ``options`` (option → default; ``None``: required) and ``path_options`` (the options
    naming a file or folder: results are keyed by its content, never its path)."""

    name = ""
    default_strength = 0.1
    acts_on = ""
    options: dict[str, str | None] = {}
    path_options: tuple[str, ...] = ()
    version = 1  # bump when the same inputs, strength, options and rng give another output

    def __init__(self, strength: float | None = None, options: dict[str, str] | None = None):
        strength = self.default_strength if strength is None else strength
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not math.isfinite(strength) \
                or not 0.0 <= strength <= 1.0:
            raise UserError(f"strength {strength!r} is not a number in [0, 1] (fix: give a probability, "
                            f"e.g. {self.name}:{self.default_strength})")
        self.strength = float(strength)
        given = dict(options or {})
        unknown = [k for k in given if k not in self.options]
        if unknown:
            allowed = f"takes the options {', '.join(sorted(self.options))}" if self.options else "takes no options"
            raise UserError(f"unknown option '{unknown[0]}'{did_you_mean(unknown[0], self.options)} "
                            f"(fix: {self.name} {allowed})")
        missing = [k for k, default in self.options.items() if default is None and k not in given]
        if missing:
            raise UserError(f"option '{missing[0]}' is required (fix: e.g. {self.name}:{self.default_strength},"
                            f"{missing[0]}=...)")
        self.values = {k: str(given.get(k, default)) for k, default in self.options.items()}
        for key in self.path_options:
            self.values[key] = str(Path(self.values[key]).expanduser().resolve())
        self._content = None

    # ---- identity ---------------------------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The canonical text: ``name:strength`` and every option, sorted (what run configs record)."""
        return f"{self.name}:{self.strength!r}" + "".join(f",{k}={v}" for k, v in sorted(self.values.items()))

    @property
    def flag(self) -> str:
        return f"perturbed:{self.name}:{self.strength!r}"

    @property
    def slug(self) -> str:
        """A folder name: ``name-strength``, plus a hash of the options when there are any."""
        extra = f"-{hashlib.sha256(self.spec.encode()).hexdigest()[:8]}" if self.values else ""
        return f"{self.name}-{self.strength!r}{extra}"

    def seed_material(self) -> list:
        """What every item's rng is derived from: name, strength and the options other than paths (a
        lexicon moved to another folder gives the same noise)."""
        return [self.name, self.strength, sorted((k, v) for k, v in self.values.items() if k not in self.path_options)]

    def identity(self) -> dict:
        """What a perturbed cell depends on: the seed material, the version and the content of the
        files that path options name (hashed once per object)."""
        if self._content is None:
            self._content = {k: content_hash(Path(self.values[k])) for k in self.path_options}
        return {"perturbation": self.seed_material(), "version": self.version, "files": self._content}

    def record(self) -> dict:
        """What a cell's ``info["perturbation"]`` holds about this perturbation."""
        return {"spec": self.spec, "name": self.name, "strength": self.strength, "options": dict(self.values)}

    # ---- checks made before anything is trained ---------------------------------------------------
    def check_language(self, language: str) -> None:
        """Raise ``UserError`` when the perturbation cannot perturb text of ``language`` (default: any)."""


class TextPerturbation(Perturbation):
    acts_on = "words"

    def word(self, word: str, rng: random.Random, language: str) -> str:
        """One word, perturbed (character-level perturbations override this)."""
        raise NotImplementedError(f"perturbation {self.name} defines neither word() nor words()")

    def words(self, words: list[str], rng: random.Random, language: str) -> list[tuple[int, str]]:
        """The perturbed words, each as (position of the input word it comes from, new word). A new word
        is one non-empty token without whitespace. Default: every word through ``word()``, in place."""
        return [(i, self.word(w, rng, language)) for i, w in enumerate(words)]

    def text(self, text: str, rng: random.Random, language: str) -> str:
        """Running text: its words through ``words()``. The whitespace between words is kept when the
        number of words is; after a word is dropped the words are joined by single spaces."""
        parts = _SPACE.split(text)
        slots = [i for i in range(0, len(parts), 2) if parts[i]]
        words = [parts[i] for i in slots]
        if not words:
            return text
        new = [w for _, w in self.words(words, rng, language)]
        if new == words:
            return text
        if len(new) == len(words):
            for slot, word in zip(slots, new):
                parts[slot] = word
            return "".join(parts)
        lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        return lead + " ".join(new) + trail


class ChoicePerturbation(Perturbation):
    acts_on = "choices"

    def permutation(self, n: int, rng: random.Random) -> list[int]:
        """The new order of ``n`` choices: position j shows the original choice ``permutation[j]``."""
        raise NotImplementedError(f"perturbation {self.name} defines no permutation()")


def perturb_fields(example: dict, columns, perturbation: TextPerturbation, rng: random.Random,
                   language: str) -> tuple[dict, dict]:
    """(the example with its non-empty text ``columns`` perturbed, the changed columns' new values)."""
    new, changed = dict(example), {}
    for column in columns:
        text = example.get(column)
        if isinstance(text, str) and text:
            out = perturbation.text(text, rng, language)
            if out != text:
                new[column] = changed[column] = out
    return new, changed


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a folder's ``*.txt`` files (names and contents, sorted by name)."""
    digest = hashlib.sha256()
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    for f in files:
        digest.update(f.name.encode() + b"\0" if path.is_dir() else b"")
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()

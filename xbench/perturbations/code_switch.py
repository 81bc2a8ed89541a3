"""``code_switch``: replace words by a translation from a bilingual lexicon (MUSE dictionary format).

Options: ``lexicon=PATH`` (required) and ``to=LANG`` (default ``en``), e.g.
``code_switch:0.3,lexicon=dictionaries/`` or ``code_switch:0.3,lexicon=de-en.txt``.

* ``PATH`` a file: its pairs are used for every text, whatever its language.
* ``PATH`` a folder: text in language L uses ``PATH/L-TO.txt``; text already in ``TO`` is left as is
  (there is nothing to switch it into). A language with no such file is an error, raised before
  anything is trained.

A lexicon file holds one ``source target`` pair per line, separated by whitespace (MUSE's
``de-en.txt`` etc.); a source word listed several times has several translations, one drawn per
replacement. With probability ``strength``, each word found in the lexicon (as is, else lower-cased;
punctuation around it kept) is replaced by a translation, capitalised when the word was.
"""

from __future__ import annotations

import re
from pathlib import Path

from xbench.errors import UserError
from xbench.perturbations.base import TextPerturbation

_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


def read_lexicon(path: Path) -> dict[str, tuple[str, ...]]:
    """source word → its translations, in file order (each once)."""
    found: dict[str, list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start}) (fix: save the lexicon as "
                        "UTF-8)") from None
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise UserError(f"{path}:{number}: expected one 'source target' pair, got {len(parts)} fields "
                            f"({line.strip()[:60]!r}) (fix: one pair of words per line, as in MUSE's dictionaries)")
        targets = found.setdefault(parts[0], [])
        if parts[1] not in targets:
            targets.append(parts[1])
    return {k: tuple(v) for k, v in found.items()}


class CodeSwitch(TextPerturbation):
    name = "code_switch"
    default_strength = 0.3
    options = {"lexicon": None, "to": "en"}
    path_options = ("lexicon",)

    def __init__(self, strength=None, options=None):
        super().__init__(strength, options)
        self.path = Path(self.values["lexicon"])
        if not self.path.exists():
            raise UserError(f"lexicon {self.path} does not exist (fix: lexicon=FILE with one 'source target' pair "
                            "per line, or lexicon=FOLDER holding <lang>-<to>.txt files)")
        self.to = self.values["to"]
        self._lexicons: dict[str, dict | None] = {}

    def lexicon_file(self, language: str) -> Path | None:
        """The file used for text in ``language`` (None: the text is left as is)."""
        if self.path.is_file():
            return self.path
        if language == self.to:
            return None
        return self.path / f"{language}-{self.to}.txt"

    def check_language(self, language):
        f = self.lexicon_file(language)
        if f is not None and not f.is_file():
            raise UserError(f"code_switch: no lexicon for language '{language}': {f} does not exist (fix: add it, "
                            f"one 'source target' pair per line as in MUSE's {language}-{self.to}.txt, or leave "
                            f"'{language}' out of --languages)")

    def lexicon(self, language: str) -> dict | None:
        if language not in self._lexicons:
            self.check_language(language)
            f = self.lexicon_file(language)
            self._lexicons[language] = read_lexicon(f) if f is not None else None
        return self._lexicons[language]

    def word(self, word, rng, language):
        lexicon = self.lexicon(language)
        if not lexicon:
            return word
        lead, core, trail = _EDGES.match(word).groups()
        translations = lexicon.get(core) or lexicon.get(core.lower())
        if not translations or rng.random() >= self.strength:
            return word
        new = rng.choice(translations)
        if core[:1].isupper():
            new = new[:1].upper() + new[1:]
        return lead + new + trail

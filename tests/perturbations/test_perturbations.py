"""Each perturbation on synthetic text: deterministic per seed, strength 0 changes nothing, what it
may change, option parsing and validation, and a plugin's perturbation registered through the hook."""

import random
import types

import pytest

from xbench.errors import UserError
from xbench.perturbations import TextPerturbation, parse_perturbation
from xbench.perturbations.choices import nth_permutation
from xbench.perturbations.seeding import item_rng
from xbench.perturbations.text import NEIGHBOURS
from xbench.registry import Perturbation as PerturbationDescriptor, Registry, hookimpl

TEXT = "The quick brown fox jumps over the lazy dog near the old river bank, said Mary."
TEXT_NAMES = ("typo", "keyboard", "char_delete", "word_drop", "word_swap")


def rng(seed=0):
    return random.Random(seed)


@pytest.fixture()
def lexicons(tmp_path):
    folder = tmp_path / "muse"
    folder.mkdir()
    (folder / "de-en.txt").write_text("hund dog\nhund hound\nkatze cat\nhaus house\n", encoding="utf-8")
    (folder / "fr-en.txt").write_text("chien dog\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", TEXT_NAMES)
def test_text_perturbations_are_deterministic_per_seed_and_strength_zero_is_identity(name):
    p = parse_perturbation(f"{name}:0.5")
    first = [p.text(TEXT, rng(s), "en") for s in range(5)]
    assert first == [p.text(TEXT, rng(s), "en") for s in range(5)]
    assert any(t != TEXT for t in first) and len(set(first)) > 1  # it does something, and the seed matters
    zero = parse_perturbation(f"{name}:0")
    assert all(zero.text(TEXT, rng(s), "en") == TEXT for s in range(20))
    assert zero.text("  two\tspaces  ", rng(), "en") == "  two\tspaces  "


def test_typo_keeps_the_word_count_and_edits_inside_words():
    p = parse_perturbation("typo:1.0")
    out = p.text(TEXT, rng(3), "en").split(" ")
    words = TEXT.split(" ")
    assert len(out) == len(words)
    assert all(abs(len(a) - len(b)) <= 1 for a, b in zip(out, words))
    assert all(a == b for a, b in zip(out, words) if len(b) < 2)  # one-character words are left alone


def test_keyboard_uses_qwerty_neighbours_and_leaves_other_letters():
    assert set(NEIGHBOURS["s"]) == set("awedxz") and set(NEIGHBOURS["q"]) == set("wa")
    assert set(NEIGHBOURS["p"]) == set("ol") and set(NEIGHBOURS["m"]) == set("njk")
    p = parse_perturbation("keyboard:1.0")
    out = p.word("Kat", rng(1), "en")
    assert out[0].isupper() and out[0].lower() in NEIGHBOURS["k"]
    assert all(new in NEIGHBOURS[old] for old, new in zip("at", out[1:]))
    for text in ("éàü Привет 東京 123 !?", "ذهب الولد"):
        assert p.text(text, rng(1), "xx") == text  # nothing outside the layout changes


def test_char_delete_keeps_one_character_per_word():
    p = parse_perturbation("char_delete:1.0")
    assert p.text("abc de f", rng(), "en") == "a d f"
    out = parse_perturbation("char_delete:0.5").text(TEXT, rng(2), "en")
    assert len(out.split(" ")) == len(TEXT.split(" ")) and len(out) < len(TEXT)


def test_word_drop_and_swap_move_whole_words():
    words = TEXT.split()
    drop = parse_perturbation("word_drop:0.5").words(words, rng(4), "en")
    assert 0 < len(drop) < len(words) and all(words[i] == w for i, w in drop)
    assert [i for i, _ in drop] == sorted(i for i, _ in drop)
    assert parse_perturbation("word_drop:1.0").words(words, rng(), "en") == [(0, words[0])]  # one word is kept
    swap = parse_perturbation("word_swap:1.0").words(words, rng(), "en")
    assert sorted(i for i, _ in swap) == list(range(len(words))) and all(words[i] == w for i, w in swap)
    assert [i for i, _ in swap][:4] == [1, 0, 3, 2]  # each word moves at most once


def test_code_switch_replaces_lexicon_words_and_keeps_case_and_punctuation(lexicons):
    p = parse_perturbation(f"code_switch:1.0,lexicon={lexicons}")
    assert p.text("Der Hund und die katze, im Haus.", rng(0), "de") in {
        "Der Dog und die cat, im House.", "Der Hound und die cat, im House."}
    assert {p.word("Hund", rng(s), "de") for s in range(30)} == {"Dog", "Hound"}  # one translation drawn
    assert p.text("the dog", rng(), "en") == "the dog"  # already in the target language
    assert parse_perturbation(f"code_switch:0,lexicon={lexicons}").text("Hund", rng(), "de") == "Hund"


def test_code_switch_lexicon_file_serves_every_language(lexicons):
    p = parse_perturbation(f"code_switch:1.0,lexicon={lexicons / 'fr-en.txt'}")
    assert p.text("le chien", rng(), "sw") == "le dog"
    p.check_language("anything")


def test_code_switch_errors_name_the_missing_lexicon_and_bad_lines(lexicons):
    p = parse_perturbation(f"code_switch:0.3,lexicon={lexicons}")
    with pytest.raises(UserError, match=r"no lexicon for language 'sw'.*sw-en\.txt does not exist"):
        p.check_language("sw")
    p.check_language("en")  # nothing to switch: no lexicon needed
    p.check_language("fr")
    (lexicons / "et-en.txt").write_text("koer dog\nthree fields here\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"et-en\.txt:2: expected one 'source target' pair, got 3 fields"):
        p.text("koer", rng(), "et")
    with pytest.raises(UserError, match="option 'lexicon' is required"):
        parse_perturbation("code_switch:0.3")
    to_de = parse_perturbation(f"code_switch:0.3,lexicon={lexicons},to=de")
    with pytest.raises(UserError, match="en-de.txt"):
        to_de.check_language("en")


def test_choice_swap_permutes_with_the_strength_as_probability():
    p = parse_perturbation("choice_swap:1.0")
    perms = [p.permutation(3, rng(s)) for s in range(200)]
    assert all(sorted(x) == [0, 1, 2] and x != [0, 1, 2] for x in perms)
    assert len({tuple(x) for x in perms}) == 5  # every other order of three, uniformly drawn
    assert parse_perturbation("choice_swap:0").permutation(4, rng()) == [0, 1, 2, 3]
    assert p.permutation(1, rng()) == [0]
    half = sum(parse_perturbation("choice_swap:0.5").permutation(2, rng(s)) == [1, 0] for s in range(400))
    assert 150 < half < 250
    assert [nth_permutation(k, 3) for k in range(6)] == [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]


def test_canonical_text_flag_and_defaults(lexicons):
    assert parse_perturbation("typo").spec == "typo:0.1"
    assert parse_perturbation(" typo : 0.25 ").spec == "typo:0.25"
    assert parse_perturbation("choice_swap:1").flag == "perturbed:choice_swap:1.0"
    a = parse_perturbation(f"code_switch:0.3,lexicon={lexicons}")
    b = parse_perturbation(f"code_switch:0.3,to=en,lexicon={lexicons}/")
    assert a.spec == b.spec == f"code_switch:0.3,lexicon={lexicons},to=en"
    assert a.slug.startswith("code_switch-0.3-") and "/" not in a.slug


@pytest.mark.parametrize("text, message", [
    ("typoo:0.1", "unknown perturbation 'typoo' (did you mean 'typo'?)"),
    ("typo:1.5", "strength '1.5' is not a number in [0, 1]"),
    ("typo:-0.1", "strength '-0.1' is not a number in [0, 1]"),
    ("typo:nan", "strength 'nan' is not a number in [0, 1]"),
    ("typo:abc", "strength 'abc' is not a number in [0, 1]"),
    ("typo:", "strength '' is not a number in [0, 1]"),
    ("typo:0.1,rate=2", "unknown option 'rate' (fix: typo takes no options)"),
    ("typo:0.1,oops", "'oops' is not KEY=VALUE"),
    ("code_switch:0.3,lexicn=x", "unknown option 'lexicn' (did you mean 'lexicon'?)"),
])
def test_bad_perturbations_are_one_line_errors_naming_the_option(text, message):
    with pytest.raises(UserError) as err:
        parse_perturbation(text)
    line = str(err.value)
    assert line.startswith(f"--perturb {text}: ") and message in line and "\n" not in line and "fix:" in line


def test_strength_is_validated_when_built_directly():
    from xbench.perturbations.text import Typo

    with pytest.raises(UserError, match=r"strength 2 is not a number in \[0, 1\]"):
        Typo(2)
    assert Typo().strength == 0.1


def test_item_rng_is_a_stable_hash_of_its_inputs():
    p = parse_perturbation("typo:0.1")
    draw = item_rng(p, 1, "panx", "de", "7").random()
    assert draw == item_rng(p, 1, "panx", "de", 7).random()
    assert draw == 0.9591711373527709  # fixed by sha256, not by the process (Python's hash() is salted)
    others = [item_rng(p, 2, "panx", "de", 7), item_rng(p, 1, "xnli", "de", 7), item_rng(p, 1, "panx", "fr", 7),
              item_rng(p, 1, "panx", "de", 8), item_rng(parse_perturbation("typo:0.2"), 1, "panx", "de", 7),
              item_rng(parse_perturbation("keyboard:0.1"), 1, "panx", "de", 7)]
    assert all(o.random() != draw for o in others)


class Shout(TextPerturbation):
    name = "shout"
    default_strength = 0.5

    def word(self, word, rng, language):
        return word.upper() if rng.random() < self.strength else word


def test_a_plugin_registers_its_perturbation_through_the_hook():
    import importlib.metadata as md

    plugin = types.ModuleType("shout_plugin")
    plugin.xbench_perturbations = hookimpl(lambda: [PerturbationDescriptor("shout", Shout, "Upper-case words.")])
    builtin = md.EntryPoint(name="builtin", value="xbench.registry.builtin", group="xbench")
    registry = Registry(entry_points=[builtin])
    registry.register(plugin, "shout_plugin")
    p = parse_perturbation("shout:1", registry)
    assert p.text("a b", rng(), "en") == "A B" and p.spec == "shout:1.0"
    assert parse_perturbation("shout", registry).strength == 0.5
    registry.register(types.SimpleNamespace(xbench_perturbations=hookimpl(
        lambda: [PerturbationDescriptor("loud", Shout)])), "misnamed")
    with pytest.raises(UserError, match="whose `name` is 'loud'"):
        parse_perturbation("loud", registry)

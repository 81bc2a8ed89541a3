"""README.md, "Perturbations": the built-ins and their defaults, checked against the code."""

from __future__ import annotations

import json

import pytest

from helpers.readme import run
from xbench.errors import UserError



def test_the_builtin_perturbations_and_their_default_strengths(tmp_path):
    """Perturbations (README 288-299): the seven built-ins `xbench plugins --kind perturbations`
    lists, each with the default strength of the table; `code_switch` needs `lexicon=PATH` and
    defaults to `to=en`."""
    from xbench.perturbations.parse import parse_perturbation

    listed = {r["name"] for r in json.loads(run("plugins", "--kind", "perturbations", "--format", "json"))}
    table = {"typo": 0.1, "keyboard": 0.05, "char_delete": 0.05, "word_drop": 0.1, "word_swap": 0.1,
             "code_switch": 0.3, "choice_swap": 1.0}
    assert set(table) <= listed
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("hund dog\n", encoding="utf-8")
    for name, default in table.items():
        text = f"{name},lexicon={lexicon}" if name == "code_switch" else name
        assert parse_perturbation(text).strength == default, name
    assert parse_perturbation(f"code_switch,lexicon={lexicon}").spec.endswith(",to=en")
    with pytest.raises(UserError, match="lexicon"):
        parse_perturbation("code_switch:0.3")


def _text(spec: str, text: str, lang: str, seed: int = 0) -> str:
    import random

    from xbench.perturbations.parse import parse_perturbation

    return parse_perturbation(spec).text(text, random.Random(seed), lang)


ZH, JA = "我掏空了口袋所以我找到了一件武器。", "私は学生です"
TH_TWO = ("สิ่งของถูกห่อไว้ในพลาสติก", "มันบอบบาง")


@pytest.mark.parametrize("seed", range(5))
def test_word_perturbations_act_on_whole_runs_between_spaces_in_zh_ja_th(seed):
    """Perturbations (README 347-348): "Words are whitespace-separated, so in scripts written without
    spaces (zh, ja, th) a word-level perturbation acts on whole runs of text between spaces": a Chinese
    sentence without spaces is one word (word_drop keeps it whole: at least one word is kept); of two
    Thai runs one is dropped whole, or the two change places; a typo edits inside the single run —
    where English words are each dropped or swapped."""
    assert _text("word_drop:1.0", ZH, "zh", seed) == ZH
    assert _text("word_drop:1.0", " ".join(TH_TWO), "th", seed) in TH_TWO
    assert _text("word_swap:1.0", " ".join(TH_TWO), "th", seed) == " ".join(TH_TWO[::-1])
    assert _text("word_drop:1.0", "the cat sat on it", "en", seed) in {"the", "cat", "sat", "on", "it"}
    typo = _text("typo:1.0", JA, "ja", seed)
    assert typo != JA and abs(len(typo) - len(JA)) <= 1 and " " not in typo
    assert set(typo) <= set(JA)  # one edit with the run's own characters, inside the run


def _items(folder, split: str) -> dict:
    path = folder / "seed-1" / "items" / "xcopa" / f"{split}-et.jsonl"
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


@pytest.mark.integration
def test_prompted_few_shot_examples_from_the_evaluated_split_are_perturbed(tiny_lm, shared_data, tmp_path):
    """Perturbations (README 376): "Prompted few-shot examples drawn from the evaluated split itself
    are the perturbed ones" — XCOPA draws its shots from `validation`: evaluating validation under
    typo:1.0, each shot in a prompt is the shot item's perturbed premise; evaluating test, the shots
    come from the clean validation split."""
    from click.testing import CliRunner

    from xbench.cli import cli
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    out = tmp_path / "run"
    for split in ("dev", "test"):
        result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_lm), "--tasks", "xcopa", "--languages", "et",
                                          "--split", split, "--limit", "6", "--num-fewshot", "2", "--perturb", "typo:1.0",
                                          "--data-dir", str(shared_data), "--output", str(out)])
        assert result.exit_code == 0, result.output
    perturbed = out / "perturbed" / "typo-1.0"
    clean = {ex["id"]: ex for ex in load_split(Catalog(get_registry()).task("xcopa"), "validation", "et",
                                               data_dir=shared_data).dataset.to_list()}
    same = _items(perturbed, "validation")
    for record in same.values():
        assert len(record["shots"]) == 2 and record["id"] not in record["shots"]
        for shot in record["shots"]:
            new = same[shot]["perturbed"]["context"]
            assert new != clean[shot]["context"]
            assert new.strip()[:-1] in record["prompt"] and clean[shot]["context"].strip()[:-1] not in record["prompt"]
    for record in _items(perturbed, "test").values():
        assert len(record["shots"]) == 2 and record["perturbed"]  # the item itself is perturbed …
        for shot in record["shots"]:  # … its shots, from another split, are not
            assert clean[shot]["context"].strip()[:-1] in record["prompt"]

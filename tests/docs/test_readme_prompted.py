"""README.md, "Prompted evaluation of causal LMs": prompt filters, PAWS-X's skipped pairs and the
items file, checked against the code (a tiny random GPT-2, ``tests/docs/conftest.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.errors import UserError



@pytest.mark.parametrize("name,text,expected", [
    ("strip", "  a b ", "a b"), ("lower", "AbC", "abc"), ("lower_first", "ABc", "aBc"),
    ("upper_first", "abc", "Abc"), ("drop_last_char", "Thai", "Tha"), ("drop_final_punct", "end.", "end"),
    ("detokenize", "a , b .", "a, b."),
])
def test_the_prompt_filters_the_readme_names(name, text, expected):
    """Task specs, `prompts` (README 578): placeholders `{slot|filter|…}` with the filters strip, lower,
    lower_first, upper_first, drop_last_char, drop_final_punct, detokenize."""
    from xbench.prompting.templates import render

    assert render(f"{{s|{name}}}", {"s": text}) == expected


def test_an_unknown_prompt_filter_is_an_error():
    from xbench.prompting.templates import render

    with pytest.raises(UserError, match="unknown filter 'shout'"):
        render("{s|shout}", {"s": "x"})


def _pawsx_root(shared: Path, root: Path, rows: list[str]) -> Path:
    """The shared collection's layout (its marker files) holding only a few German PAWS-X dev rows."""
    import shutil

    (root / "copa_en" / "datasets").mkdir(parents=True)
    shutil.copy(shared / "SOURCES.md", root / "SOURCES.md")
    shutil.copy(shared / "copa_en" / "datasets" / "copa-test.xml", root / "copa_en" / "datasets" / "copa-test.xml")
    (root / "pawsx" / "hf_parquet_export").mkdir(parents=True)
    (root / "pawsx" / "dev-de.tsv").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return root


@pytest.mark.integration
def test_pawsx_prompts_drop_pairs_with_an_empty_sentence_counted_and_flagged(tiny_lm, shared_data, tmp_path):
    """Prompted evaluation (README 250-251): like lm-eval, PAWS-X drops pairs with an empty sentence,
    counted and flagged `prompt_skipped=N`; the other items are scored."""
    real = (shared_data / "pawsx" / "dev-de.tsv").read_text(encoding="utf-8").splitlines()[:5]
    first, _, label = real[1].split("\t")
    root = _pawsx_root(shared_data, tmp_path / "data", [real[0], f"{first}\t\t{label}", *real[2:]])
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_lm), "--tasks", "pawsx", "--split", "dev",
                                      "--languages", "de", "--data-dir", str(root), "--output", str(out)])
    assert result.exit_code == 0, result.output
    (cell,) = json.loads((out / "results.json").read_text(encoding="utf-8"))["cells"]
    assert cell["status"] == "ok" and "prompt_skipped=1" in cell["flags"], cell["flags"]
    assert cell["info"]["prompt_skipped"] == 1
    records = [json.loads(line) for line in
               (out / "seed-1" / "items" / "pawsx" / "validation-de.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 5 and sum("skipped" in r for r in records) == 1
    scored = [r for r in records if "prediction" in r]
    assert len(scored) == 4
    # Prompted evaluation (README 240-241): per item the prompt and, per answer, its continuation,
    # log-likelihood, token count and whether it is the greedy continuation
    for r in scored:
        assert isinstance(r["prompt"], str) and len(r["choices"]) == 2
        assert all({"continuation", "loglikelihood", "tokens", "greedy"} <= set(c) and isinstance(c["greedy"], bool)
                   for c in r["choices"])


# ---- copa and siqa against lm-evaluation-harness's own task definitions -------------------------

def _lm_eval_tasks() -> Path:
    import lm_eval

    assert lm_eval.__version__ == "0.4.13", lm_eval.__version__  # the version the README names
    return Path(lm_eval.__file__).parent / "tasks"


def _lm_eval_copa(doc: dict) -> tuple[str, list[str], int]:
    """(context, continuations, gold) as lm-eval 0.4.13's task `copa` builds them (its utils.py, run as is;
    target_delimiter: lm-eval's default, one space)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lm_eval_copa_utils", _lm_eval_tasks() / "super_glue" / "copa" / "utils.py")
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    return utils.doc_to_text(doc), [" " + c for c in utils.doc_to_choice(doc)], doc["label"]


def _lm_eval_siqa(doc: dict) -> tuple[str, list[str], int]:
    """The same for `social_iqa`, its siqa.yaml templates rendered by lm-eval's own Jinja helper."""
    import ast

    import yaml
    from lm_eval.utils import apply_template

    config = yaml.safe_load((_lm_eval_tasks() / "siqa" / "siqa.yaml").read_text(encoding="utf-8"))
    choices = ast.literal_eval(apply_template(config["doc_to_choice"], doc))
    delimiter = config.get("target_delimiter", " ")
    return apply_template(config["doc_to_text"], doc), [delimiter + c for c in choices], \
        int(apply_template(config["doc_to_target"], doc))


def _raw_siqa(shared: Path, n: int) -> list[dict]:
    rows = [json.loads(line) for line in (shared / "siqa" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:n]]
    labels = (shared / "siqa" / "dev-labels.lst").read_text(encoding="utf-8").split()[:n]
    return [{**row, "label": label} for row, label in zip(rows, labels)]  # lm-eval's rows: label "1".."3"


@pytest.mark.integration
@pytest.mark.parametrize("task,split", [("copa", "validation"), ("siqa", "validation")])
def test_copa_and_siqa_prompts_are_lm_eval_s(shared_data, task, split):
    """Prompted evaluation (README 284-286): "The prompts of `xcopa`, `xnli`, `pawsx`, `copa` and `siqa`
    reproduce lm-evaluation-harness 0.4.13's tasks of those names (… `copa`, `social_iqa`)" — on the first
    60 shared items of each, xbench's context and every continuation equal what lm-eval's own task
    definition builds from the same raw rows (COPA's doubled space before each answer included)."""
    from xbench.data import load_split
    from xbench.prompting.prompt import build_requests, prompt_for
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    n = 60
    spec = Catalog(get_registry()).task(task)
    tt = get_registry().get("task_types", spec.type).load()(spec.for_language("en"), tokenizer=None)
    examples = load_split(spec, split, "en", data_dir=shared_data).dataset.to_list()[:n]
    if task == "copa":
        path = shared_data / "copa_en" / "superglue_COPA" / "val-en.jsonl"
        raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:n]]
        lm_eval = _lm_eval_copa
    else:
        raw, lm_eval = _raw_siqa(shared_data, n), _lm_eval_siqa
    requests, skipped = build_requests(tt, prompt_for(spec.for_language("en"), "en"), examples,
                                       tt.references(examples), key=task)
    assert not skipped and len(requests) == len(raw) == n
    for req, doc in zip(requests, raw):
        context, continuations, gold = lm_eval(doc)
        assert (req.context, req.continuations, req.gold) == (context, continuations, gold)
    assert requests[0].continuations[0].startswith("  " if task == "copa" else " ")


# ---- XCOPA's question word comes from the aligned English item ----------------------------------

@pytest.mark.integration
def test_xcopa_prompts_use_the_english_question_word(tiny_lm, shared_data, tmp_path):
    """Prompted evaluation (README 288-291): lm-eval reads XCOPA's published `question` field; "xbench
    uses the English question word (`options.question_from_english`) for the connective". Thai test
    item 0 is published as `effect`, its English COPA item is `cause`: the prompt ends in เพราะ (because),
    not ดังนั้น (therefore), and so does every item whose English question is `cause`."""
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    out, n = tmp_path / "run", 8
    result = CliRunner().invoke(cli, ["eval", "--model", str(tiny_lm), "--tasks", "xcopa", "--languages", "th",
                                      "--limit", str(n), "--data-dir", str(shared_data), "--output", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in
               (out / "seed-1" / "items" / "xcopa" / "test-th.jsonl").read_text(encoding="utf-8").splitlines()]
    catalog = Catalog(get_registry())
    published = load_split(catalog.task("xcopa"), "test", "th", data_dir=shared_data).dataset.to_list()[:n]
    english = load_split(catalog.task("copa"), "test", "en", data_dir=shared_data).dataset.to_list()[:n]
    assert (published[0]["question"], english[0]["question"]) == ("effect", "cause")
    assert sum(p["question"] != e["question"] for p, e in zip(published, english)) >= 3  # the claim bites here
    words = {"cause": "เพราะ", "effect": "ดังนั้น"}
    assert [r["prompt"].rsplit(" ", 1)[-1] for r in records] == [words[e["question"]] for e in english]


# ---- out of memory: the batch is split, the scores do not change --------------------------------

OOM_ITEMS = [[("The cat sleeps in the house", " because the dog runs"), ("The cat sleeps in the house", " so it rains")],
             [("", " the cat, right? Yes, the dog"), ("", " the cat, right? No, the dog")],
             [("Das Paket war ", "in Folie"), ("Das Paket war ", "klein.")],
             [("the red dog", " runs"), ("the red dog", " sleeps")],
             [("A long day of rain ended", " at last"), ("A long day of rain ended", " too soon")]]


def _scorer(model_dir, batch_size, fail_above=None, seen=None):
    """A scorer whose forward raises CUDA's out-of-memory error for batches of more than ``fail_above`` rows."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xbench.prompting.loglik import LoglikScorer

    scorer = LoglikScorer(AutoModelForCausalLM.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir),
                          device=torch.device("cpu"), batch_size=batch_size)
    forward = scorer._forward

    def limited(ids, mask, pos):
        if seen is not None:
            seen.append(ids.shape[0])
        if fail_above is not None and ids.shape[0] > fail_above:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(ids, mask, pos)

    scorer._forward = limited
    return scorer


def test_prompted_scoring_halves_its_batch_on_out_of_memory_and_scores_the_same(tiny_lm):
    """Prompted evaluation, Speed (README 300-302): "rows are … batched by a token budget (`--batch-size
    auto`; halved on GPU out-of-memory; `--batch-size N` = N items)" — a forward that runs out of memory
    above 2 rows makes the batches shrink until they fit, and every score equals the unconstrained run's
    (within float32 rounding);
    with a fixed `--batch-size N` the error is not hidden."""
    import torch

    want = _scorer(tiny_lm, "auto").score(OOM_ITEMS)
    seen = []
    got = _scorer(tiny_lm, "auto", fail_above=2, seen=seen).score(OOM_ITEMS)
    assert [[(s.tokens, s.greedy) for s in item] for item in got] == [[(s.tokens, s.greedy) for s in item] for item in want]
    # the same rows in smaller batches: equal up to float32 rounding of other padded shapes
    assert [s.loglikelihood for item in got for s in item] == \
        pytest.approx([s.loglikelihood for item in want for s in item], abs=1e-5)
    assert max(seen) > 2 and seen[-1] <= 2  # it did run out, and went on with smaller batches
    with pytest.raises(torch.cuda.OutOfMemoryError):
        _scorer(tiny_lm, 4, fail_above=2).score(OOM_ITEMS)

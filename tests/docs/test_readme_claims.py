"""README.md's statements about behaviour, checked against the code.

Each test names the README section (and line, as of this writing) whose claim it exercises. The
ledger of every claim, with the test or check behind it, is kept by the lead; this file holds the
checks that had none. Commands run through ``click.testing.CliRunner`` on ``xbench.cli.cli`` or in a
subprocess (for what a fresh interpreter imports); nothing here trains a model.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from xbench.cli import cli
from xbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# ---- the command lines the README shows ---------------------------------------------------------

def _readme_commands() -> tuple[list, list]:
    """(line, command) of every ``xbench …`` line in a code block, and of every inline `xbench …` span."""
    blocks, inline, in_code = [], [], False
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            blocks += [(number, part.strip()) for part in line.split("&&") if part.strip().startswith("xbench ")]
        else:
            inline += [(number, span) for span in re.findall(r"`(xbench [^`]*)`", line)]
    return blocks, inline


BLOCK_COMMANDS, INLINE_COMMANDS = _readme_commands()


def _resolve(args: list[str]):
    """The command ``args`` name (root options, then subcommands) and the tokens left for it."""
    command, rest = cli, list(args)
    while rest and rest[0].startswith("--") and isinstance(command, click.Group) and command is cli:
        assert any(rest[0] in p.opts for p in cli.params), f"xbench has no option {rest[0]}"
        rest.pop(0)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        assert sub is not None, f"`{command.name}` has no subcommand {rest[0]!r}"
        command, rest = sub, rest[1:]
    return command, rest


def test_the_readme_shows_commands():
    """Guards the two tests below against an extraction that finds nothing."""
    assert len(BLOCK_COMMANDS) >= 30 and len(INLINE_COMMANDS) >= 10


@pytest.mark.parametrize("line,command", BLOCK_COMMANDS, ids=[f"README:{n}" for n, _ in BLOCK_COMMANDS])
def test_every_command_line_of_the_readme_code_blocks_parses(line, command, monkeypatch):
    """Every `xbench …` line in a README code block (Tasks and benchmarks, Languages, Evaluating a
    model, Prompted evaluation, Perturbations, Intermediate-task training, Analysis, Reports, Ray):
    its subcommand exists and click accepts every option and value as written (choices, numbers)."""
    monkeypatch.chdir(REPO)  # the README's relative paths are relative to the checkout
    args = shlex.split(command, comments=True)[1:]
    target, rest = _resolve(args)
    try:
        target.make_context(target.name, rest, parent=cli.make_context("xbench", [], resilient_parsing=True))
    except click.UsageError as err:
        pytest.fail(f"README line {line}: `{command}` does not parse: {err.format_message()}")


@pytest.mark.parametrize("line,command", INLINE_COMMANDS, ids=[f"README:{n}" for n, _ in INLINE_COMMANDS])
def test_every_inline_xbench_command_names_existing_commands_and_options(line, command):
    """Inline `xbench …` mentions in the README prose (e.g. `xbench plugins --kind perturbations`,
    `xbench --debug …`, `xbench leaderboard --experiment NAME`): the subcommands and options exist."""
    args = [a for a in shlex.split(command.replace("…", "")) if a][1:]
    target, rest = _resolve(args)
    names = {opt for p in target.params for opt in (*p.opts, *p.secondary_opts)}
    for token in rest:
        if token.startswith("--"):
            assert token.split("=")[0] in names, f"README line {line}: `xbench {target.name}` has no option {token}"


# (README line, command path, option, the default the README states or None)
PROSE_OPTIONS = [
    (93, "eval", "--head-task", None),
    (107, "eval", "--allow-train-on-eval", None),
    (111, "eval", "--output", None),
    (130, "eval", "--executor", "local"),
    (132, "eval", "--overwrite", None),
    (133, "eval", "--checkpoint-every", None),
    (151, "eval", "--no-finetune", None),
    (152, "eval", "--adapter", "auto"),
    (152, "eval", "--retrieval-layer", None),
    (153, "eval", "--limit", None),
    (153, "eval", "--train-limit", None),
    (153, "eval", "--epochs", None),
    (159, "leaderboard", "--all-runs", None),
    (161, "leaderboard", "--uncertainty", "auto"),
    (161, "leaderboard", "--experiment", None),
    (217, "eval", "--trust-remote-code", None),
    (217, "train", "--trust-remote-code", None),
    (220, "eval", "--allow-pickle", None),
    (220, "train", "--allow-pickle", None),
    (242, "eval", "--num-fewshot", 0),
    (264, "eval", "--batch-size", "auto"),
    (270, "eval", "--device", "auto"),
    (270, "eval", "--precision", "auto"),
    (286, "eval", "--perturb", None),
    (366, "train", "--max-steps", None),
    (367, "train", "--sampler", None),
    (372, "train", "--checkpoint-every", None),
    (411, "run", "--dry-run", None),
    (443, "analyze gains", "--store", None),
    (445, "analyze gains", "--no-plots", None),
    (451, "analyze gains", "--baseline", None),
    (452, "analyze gains", "--compare", None),
    (455, "analyze gains", "--correction", "holm"),
    (465, "analyze correlate", "--permutations", None),
    (466, "analyze correlate", "--control", None),
    (469, "analyze correlate", "--source", "en"),
    (474, "analyze typology", "--candidates", None),
    (478, "analyze scaling", "--models", None),
    (489, "analyze consistency", "--pivot", None),
    (506, "report", "--store", None),
    (525, "report", "--baseline", None),
    (556, "data check", "--model", None),
    (586, "", "--strict-plugins", None),
    (585, "", "--debug", None),
    (661, "run", "--executor", None),
    (661, "run", "--address", None),
    (664, "eval", "--address", None),
]


@pytest.mark.parametrize("line,path,option,default", PROSE_OPTIONS,
                         ids=[f"README:{n}:{p or 'xbench'}:{o}" for n, p, o, _ in PROSE_OPTIONS])
def test_options_named_in_the_readme_prose_exist_with_their_stated_defaults(line, path, option, default):
    """Options the README prose names (`--head-task`, `--overwrite`, `--all-runs`, `--strict-plugins`…)
    exist on the command it names, with the default it states (`--adapter` auto, `--device` auto…)."""
    command, _ = _resolve(path.split())
    params = [p for p in command.params if option in (*p.opts, *p.secondary_opts)]
    assert params, f"README line {line}: `xbench {path}` has no option {option}"
    if default is not None:
        assert params[0].default == default, (line, option, params[0].default)


ANALYZE_RESAMPLING = ["gains", "transfer-gap", "correlate", "scaling", "robustness"]


@pytest.mark.parametrize("name", ANALYZE_RESAMPLING)
def test_analyze_resampling_defaults(name):
    """Analysis (README ~495): `--resamples` (1000), `--confidence` (0.95) and `--stat-seed` (12345)
    set the resampling."""
    defaults = {p.name: p.default for p in cli.commands["analyze"].commands[name].params}
    assert (defaults["resamples"], defaults["confidence"], defaults["stat_seed"]) == (1000, 0.95, 12345)


@pytest.mark.parametrize("name", sorted(["gains", "transfer-gap", "correlate", "typology", "scaling",
                                         "robustness", "consistency"]))
def test_analyze_commands_write_plots_to_xbench_analysis_by_default_and_take_every_format(name):
    """Analysis (README ~444): every `xbench analyze` command takes `--format table|md|csv|latex|json`
    and `--plot-dir` (default `xbench-analysis/`); `--no-plots` skips the plots."""
    command = cli.commands["analyze"].commands[name]
    options = {p.name: p for p in command.params}
    assert options["plot_dir"].default == "xbench-analysis"
    assert "no_plots" in options
    assert tuple(options["fmt"].type.choices) == ("table", "md", "csv", "latex", "json")


def test_analyze_correlate_y_is_gain_or_score_and_correction_is_holm_bh_or_none():
    """Analysis (README 455, 464): `--correction holm|bh|none`, `correlate --x VAR --y gain|score`."""
    gains = {p.name: p for p in cli.commands["analyze"].commands["gains"].params}
    assert tuple(gains["correction"].type.choices) == ("holm", "bh", "none")
    correlate = {p.name: p for p in cli.commands["analyze"].commands["correlate"].params}
    assert tuple(correlate["y"].type.choices) == ("gain", "score")
    result = CliRunner().invoke(cli, ["analyze", "gains", "--correction", "bonferroni", "--experiment", "x"])
    assert result.exit_code == 2 and result.output.count("xbench: error:") == 1


# ---- listing ------------------------------------------------------------------------------------

FORMATS = ["table", "md", "csv", "latex", "json"]
LISTINGS = [["tasks", "list"], ["plugins"], ["languages"], ["leaderboard"], ["data", "layouts"]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("listing", LISTINGS, ids=[" ".join(c) for c in LISTINGS])
def test_every_listing_command_takes_every_format(listing, fmt):
    """Tasks and benchmarks (README 36): "Every listing command takes `--format
    table|md|csv|latex|json`" — here tasks list, plugins, languages, leaderboard (an empty store) and
    data layouts. (`tasks show` prints a spec, `--format yaml|json`.)"""
    out = run(*listing, "--format", fmt)
    if listing != ["leaderboard"]:  # an empty store prints a notice (also under --format json)
        assert out.strip()
        if fmt == "json":
            json.loads(out)


HEAVY_PROBE = """
import sys
from xbench.cli import cli
for args in {commands!r}:
    try:
        cli(args, standalone_mode=False)
    except SystemExit:
        pass
print("HEAVY", sorted(m for m in ("torch", "transformers", "datasets") if m in sys.modules), file=sys.stderr)
"""


def test_listing_never_imports_torch_or_transformers(isolated_home):
    """Tasks and benchmarks (README 36-37): "Listing never imports torch or transformers" — the
    listings tests/cli/test_tasks_list.py does not cover: tasks show, a group listing in md,
    languages (table and by task), leaderboard, data layouts, plugins by kind."""
    commands = [["tasks", "show", "xtreme/tatoeba"], ["tasks", "list", "--group", "xtreme-r", "--format", "md"],
                ["languages"], ["languages", "--task", "xtreme-r/xcopa", "--format", "md"], ["leaderboard"],
                ["data", "layouts"], ["plugins", "--kind", "perturbations"]]
    proc = subprocess.run([sys.executable, "-c", HEAVY_PROBE.format(commands=commands)], capture_output=True,
                          text=True, cwd=str(REPO), env={**os.environ, "XBENCH_HOME": str(isolated_home)})
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]


def test_benchmarks_have_the_readme_task_and_language_counts():
    """Introduction (README 18): XTREME (9 tasks, 40 languages), XTREME-R (10 tasks, 50 languages); the
    intermediate tasks are the twelve English ones named there. Addressing (README 41): a group name
    alone means all its tasks with its languages."""
    counts = {}
    for group in ("xtreme", "xtreme-r", "intermediate"):
        rows = json.loads(run("tasks", "list", "--group", group, "--format", "json"))
        counts[group] = (len(rows), len({lang for r in rows for lang in r["languages"]}))
    assert counts == {"xtreme": (9, 40), "xtreme-r": (10, 50), "intermediate": (12, 1)}
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    selections = Catalog(get_registry()).select("xtreme")
    assert len(selections) == 9 and all(s.address.startswith("xtreme/") for s in selections)
    panx = next(s for s in selections if s.task.name == "panx")
    assert len(panx.languages) == 40


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


def test_the_registered_task_types_are_those_of_the_spec_table():
    """Task specs (README 568): `type` is a registered task type: sequence_classification,
    multiple_choice, token_tagging, extractive_qa, bitext_retrieval, dual_encoder_retrieval."""
    listed = {r["name"] for r in json.loads(run("plugins", "--kind", "task_types", "--format", "json"))}
    assert {"sequence_classification", "multiple_choice", "token_tagging", "extractive_qa",
            "bitext_retrieval", "dual_encoder_retrieval"} <= listed


def test_the_executors_are_local_and_ray():
    """Reuse (README 130): `--executor local|ray`."""
    listed = {r["name"] for r in json.loads(run("plugins", "--kind", "executors", "--format", "json"))}
    assert {"local", "ray"} <= listed


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


@pytest.mark.parametrize("task,depth,layer", [("tatoeba", 12, 8), ("tatoeba", 24, 14), ("bucc2018", 12, 8),
                                              ("bucc2018", 24, 20), ("tatoeba", 6, 4), ("bucc2018", 18, 12)])
def test_retrieval_layers_of_the_shipped_specs(task, depth, layer):
    """Retrieval (README 192-194): the spec's official layer for the model depth (Tatoeba: 8 of 12,
    14 of 24; BUCC: 8 of 12, 20 of 24), otherwise round(2/3 · layers); `--retrieval-layer` overrides."""
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    spec = Catalog(get_registry()).task(task)
    lang = next(lang for lang in spec.languages if lang != "en")
    tt_cls = get_registry().get("task_types", spec.type).load()
    tt = tt_cls(spec.for_language(lang), tokenizer=None)
    model = SimpleNamespace(config=SimpleNamespace(num_hidden_layers=depth))
    assert tt.layer(model).layer == layer
    tt.retrieval = {**tt.retrieval, "layer_override": 3}
    assert tt.layer(model).layer == 3


# ---- where things live --------------------------------------------------------------------------

def test_the_spec_index_cache_lives_under_xbench_home(isolated_home, monkeypatch, tmp_path):
    """Task specs, Speed (README 588-589): listing is served from `$XBENCH_HOME/cache/spec-index.json`,
    default `~/.cache/xbench`."""
    run("tasks", "list", "--format", "csv")
    assert json.loads((isolated_home / "cache" / "spec-index.json").read_text(encoding="utf-8"))
    from xbench.paths import xbench_home

    monkeypatch.delenv("XBENCH_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert xbench_home() == tmp_path / ".cache" / "xbench"


SPEC = """\
name: {name}
version: 1
description: d
citation: c
license: unknown
type: sequence_classification
languages: [en, de]
data:
  format: tsv
  splits: {{test: {{}}}}
fields: {{text_a: s1, label: l}}
labels: [a, b]
metrics: [accuracy]
"""


def test_xbench_task_path_takes_several_folders(tmp_path, monkeypatch):
    """Task specs (README 592-593): extra spec folders in `XBENCH_TASK_PATH`, `os.pathsep`-separated."""
    from xbench.registry import reset_registry

    folders = [tmp_path / "one", tmp_path / "two"]
    for i, folder in enumerate(folders):
        folder.mkdir()
        (folder / f"readme_task_{i}.yaml").write_text(SPEC.format(name=f"readme_task_{i}"), encoding="utf-8")
    monkeypatch.setenv("XBENCH_TASK_PATH", os.pathsep.join(map(str, folders)))
    reset_registry()
    names = {r["name"] for r in json.loads(run("tasks", "list", "--format", "json"))}
    assert {"readme_task_0", "readme_task_1"} <= names


def _broken_plugin(site: Path) -> dict:
    """An installed distribution whose `xbench` entry point names a module that does not exist."""
    dist = site / "readme_broken_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: readme-broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[xbench]\nreadme_broken = readme_no_such_module_xyz\n")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path}


def test_a_broken_plugin_is_reported_by_name_and_strict_plugins_makes_it_an_error(tmp_path, isolated_home):
    """Task specs, Errors (README 585-586): a plugin that fails to import is reported by name and
    everything else keeps working (`--strict-plugins` makes it an error: one line, exit code 2)."""
    env = {**_broken_plugin(tmp_path / "site"), "XBENCH_HOME": str(isolated_home)}
    lenient = subprocess.run([sys.executable, "-m", "xbench", "plugins", "--kind", "metrics", "--format", "csv"],
                             capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert lenient.returncode == 0, lenient.stderr
    assert "accuracy" in lenient.stdout
    assert "readme_broken" in lenient.stderr and "Traceback" not in lenient.stderr
    strict = subprocess.run([sys.executable, "-m", "xbench", "--strict-plugins", "plugins"],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert strict.returncode == 2, (strict.stdout, strict.stderr)
    lines = [ln for ln in strict.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("xbench: error:") and "readme_broken" in lines[0], strict.stderr


def test_the_default_run_folder_is_runs_model():
    """Evaluating a model, Outputs (README 111): `--output`, default `runs/<model>`."""
    from xbench.evaluation.config import default_output

    assert default_output("minilm-l6") == Path("runs") / "minilm-l6"
    assert default_output("./my-checkpoint") == Path("runs") / "my-checkpoint"
    help_text = run("eval", "--help")
    assert "runs/<model>" in help_text


EXPERIMENT = """\
experiment: readme-keys
models: [minilm-l6]
intermediate:
  none: none
  siqa: {{tasks: [siqa], sampler: uniform, max_steps: 5, limit: 10, learning_rate: 1.0e-5, batch_size: 2, grad_accum: 1}}
intermediate_training: {{sampler: proportional, max_steps: 3, limit: 8, learning_rate: 2.0e-5, batch_size: 4, grad_accum: 2}}
targets:
  - xcopa: {{languages: [et, ht], split: test, train_stages: "copa:train", limit: 5, train_limit: 6, epochs: 1}}
  - xtreme/tatoeba
seeds: [1, 2]
limit: 4
train_limit: 8
epochs: 1
perturbations: [typo:0.1, choice_swap:1.0]
executor: local
resources: {{cpus: 1}}
batch_size: 8
device: cpu
precision: fp32
"""


def test_an_experiment_file_takes_every_key_of_the_readme_table(tmp_path):
    """Experiment files (README 386-396): experiment, models, intermediate (`none` or {tasks, sampler,
    max_steps, limit, learning_rate, batch_size, grad_accum}), intermediate_training, targets (NAME,
    GROUP/NAME, or {ADDRESS: {languages, split, train_stages, limit, train_limit, epochs}}), seeds,
    limit, train_limit, epochs, perturbations, executor, resources, batch_size, device, precision."""
    from xbench.experiment.spec import load_experiment

    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(), encoding="utf-8")
    exp = load_experiment(path)
    assert [c.name for c in exp.intermediates] == ["none", "siqa"]
    assert [t.address for t in exp.targets] == ["xcopa", "xtreme/tatoeba"]
    assert exp.seeds == [1, 2]
    swap = next(p for p in exp.perturbations if p.spec.startswith("choice_swap"))
    assert swap.targets == ["xcopa"] and swap.skipped == ["xtreme/tatoeba"]  # README 408-409
    path.write_text(EXPERIMENT.format() + "colour: blue\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"exp\.yaml:\d+"):
        load_experiment(path)


# ---- the real model -----------------------------------------------------------------------------

@pytest.mark.integration
def test_minilm_l6_is_the_22m_parameter_six_layer_english_minilm():
    """First lines (README 10) and Plugins (README 604-605): `minilm-l6` is the real English
    all-MiniLM-L6-v2, 22M parameters, from an installed package (loads offline)."""
    from transformers import AutoModel

    from xbench.models.aliases import resolve_model
    from xbench.registry import get_registry

    path = resolve_model("minilm-l6", get_registry())
    model = AutoModel.from_pretrained(str(path))
    n = sum(p.numel() for p in model.parameters())
    assert 22_000_000 <= n < 23_000_000 and model.config.num_hidden_layers == 6


# ---- prompted evaluation ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    from helpers.tiny_causal_lm import make_tiny_causal_lm

    return make_tiny_causal_lm(tmp_path_factory.mktemp("tiny_gpt2"))


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


# ---- training defaults --------------------------------------------------------------------------

def test_train_max_steps_defaults_to_one_pass_over_the_items():
    """`xbench train` (README 365-366): `--max-steps` optimiser steps (default: one pass over the
    items) — the items of every task, in steps of batch size × gradient accumulation."""
    from xbench.train.multitask import default_steps
    from xbench.train.recipe import Recipe

    assert default_steps({"siqa": 100, "copa": 28}, Recipe(batch_size=8, grad_accum=2)) == 8  # 128 / 16
    assert default_steps({"siqa": 129}, Recipe(batch_size=8, grad_accum=2)) == 9  # a last partial step
    assert default_steps({"tiny": 1}, Recipe(batch_size=8, grad_accum=4)) == 1


@pytest.mark.parametrize("task", ["xnli", "panx", "xquad"])
def test_the_base_or_large_recipe_is_chosen_by_model_size(task):
    """Task specs, `recipes` (README 576): fine-tuning hyperparameters by name; `base`/`large` chosen by
    model size (a 24-layer model gets `large`, a 6- or 12-layer one `base`) — on the shipped specs."""
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog
    from xbench.train.recipe import pick_recipe

    doc = Catalog(get_registry()).task(task).doc
    assert {"base", "large"} <= set(doc["recipes"])
    assert pick_recipe(doc, 6).name == pick_recipe(doc, 12).name == "base"
    assert pick_recipe(doc, 24).name == "large"
    assert pick_recipe(doc, 24).learning_rate == doc["recipes"]["large"]["learning_rate"]


def test_tasks_and_groups_share_one_namespace_and_underscore_files_are_fragments(tmp_path, monkeypatch):
    """Addressing (README 41-42): tasks and groups share one namespace — a task named like the
    `xtreme` group is a duplicate naming both files (skipped with one warning on the task path);
    Task specs, `include` (README 581): files named `_*.yaml` are include-only fragments."""
    from xbench.registry import reset_registry

    (tmp_path / "xtreme.yaml").write_text(SPEC.format(name="xtreme"), encoding="utf-8")
    (tmp_path / "_fragment.yaml").write_text(SPEC.format(name="readme_fragment"), encoding="utf-8")
    (tmp_path / "readme_user.yaml").write_text("include: _fragment.yaml\nname: readme_user\n", encoding="utf-8")
    monkeypatch.setenv("XBENCH_TASK_PATH", str(tmp_path))
    reset_registry()
    result = CliRunner().invoke(cli, ["tasks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    names = {r["name"] for r in json.loads(result.stdout)}
    assert "readme_user" in names and "readme_fragment" not in names and "xtreme" not in names
    (warning,) = [ln for ln in result.stderr.splitlines() if "duplicate name 'xtreme'" in ln]
    assert str(tmp_path / "xtreme.yaml") in warning and "groups/xtreme.yaml" in warning
    shown = CliRunner().invoke(cli, ["tasks", "show", "xtreme"])
    assert shown.exit_code == 0 and shown.stdout.startswith("group: xtreme")


@pytest.mark.parametrize("group", ["xtreme", "xtreme-r"])
def test_groups_score_qa_by_em_and_f1_in_four_categories_and_average_over_tasks(group):
    """Groups (README 44-48): a group lists its tasks, the metrics of each task score (QA:
    `[exact_match, f1]`), its categories (classification, structured prediction, QA, retrieval) and
    the aggregation (the unweighted mean over tasks); Metrics (README 189-190): XTREME-R's overall
    score uses the same XTREME task-mean rule."""
    doc = json.loads(run("tasks", "show", group, "--format", "json"))
    scores = {t["task"]: t.get("score") for t in doc["tasks"]}
    assert {t for t, s in scores.items() if s} == {"xquad", "mlqa", "tydiqa"}
    assert all(s == ["exact_match", "f1"] for s in scores.values() if s)
    assert set(doc["categories"]) == {"classification", "structured_prediction", "question_answering", "retrieval"}
    assert sorted(t for ts in doc["categories"].values() for t in ts) == sorted(scores)
    assert doc["aggregation"] == "mean_over_tasks"


# ---- numbers the README quotes from the shared data ---------------------------------------------

@pytest.mark.integration
def test_xcopa_question_words_that_disagree_with_english_copa(shared_data):
    """Prompted evaluation (README 251-253) and Data (README 555): XCOPA's published `question` field
    disagrees with the aligned English item for 346 test items (th 250, tr 51, sw 37, id 4, it 4) —
    as `xbench data check` reports them."""
    rows = json.loads(run("data", "check", "--data-dir", str(shared_data), "--tasks", "xcopa", "--split", "test",
                          "--format", "json"))
    counts = {r["lang"]: p["count"] for r in rows for p in r["problems"] if p["kind"] == "parallel_mismatch"}
    assert counts == {"th": 250, "tr": 51, "sw": 37, "id": 4, "it": 4}
    assert sum(counts.values()) == 346


@pytest.mark.integration
def test_nine_of_the_500_estonian_xcopa_test_items_are_changed(shared_data):
    """`robustness` (README 486-488): the `changed` subsets are small — 9 of 500 XCOPA et test items."""
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    spec = Catalog(get_registry()).task("xcopa")
    rows = load_split(spec, "test", "et", data_dir=shared_data).dataset.to_list()
    assert len(rows) == 500 and sum("changed" in r["subsets"] for r in rows) == 9


def test_training_stages_of_xcopa_and_panx():
    """Evaluating a model (README 88-89) and Task specs (README 573): the spec's English training
    stages — xcopa = SIQA then COPA; panx = PAN-X English train; each reports its `test` split."""
    xcopa = json.loads(run("tasks", "show", "xcopa", "--format", "json"))
    panx = json.loads(run("tasks", "show", "panx", "--format", "json"))
    assert [(s["task"], s["split"]) for s in xcopa["train_stages"]] == [("siqa", "train"), ("copa", "train")]
    assert [(s["task"], s["split"]) for s in panx["train_stages"]] == [("panx", "train")]
    assert xcopa["eval_splits"] == panx["eval_splits"] == ["test"]

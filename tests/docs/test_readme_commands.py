"""README.md's command lines and the options its prose names, checked against the CLI: every
`xbench …` line parses, every named option exists with the default the README states. Nothing here
runs a command; click only parses."""

from __future__ import annotations

import re
import shlex

import click
import pytest
from click.testing import CliRunner

from helpers.readme import README, REPO
from xbench.cli import cli



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

"""``xbench leaderboard``: the task × language table and benchmark scores over stored runs."""

from __future__ import annotations

import click

from xbench.cli.output import format_option, uncertainty_option
from xbench.errors import UserError


@click.command()
@click.option("--group", "group_name", metavar="GROUP", help="Only cells addressed under this benchmark (GROUP/TASK).")
@click.option("--model", metavar="MODEL", help="Only this model (as given to `xbench eval --model`).")
@click.option("--all-runs", is_flag=True,
              help="One table section per recorded run (and configuration) instead of each model's latest cells.")
@click.option("--store", "store_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Results store to read  [default: $XBENCH_HOME/results.sqlite].")
@click.option("--experiment", metavar="NAME", help="The paper-style table of an experiment (`xbench run`): rows = "
              "intermediate configurations (per perturbation), columns = targets, the mean over seeds and the "
              "gain over `none`.")
@format_option
@uncertainty_option
def leaderboard(group_name, model, all_runs, store_file, experiment, fmt, uncertainty):
    """Show the leaderboard of recorded runs: per model and configuration, the latest result of each
    task and language.

    Each row names its model and configuration ("tiny (retrieval layer 4, train_limit=5000)"); cells
    of different configurations never share a row or a benchmark score. Values are shown ×100 (one
    decimal) with their uncertainty (--uncertainty; the footnotes say what the interval is);
    `--format json` keeps fractions. A benchmark score is "n/a" when any of its tasks or languages is
    missing. Cells evaluated on another split than the spec's, or with comparability flags, are
    marked "*" and explained below the table.

    \b
    Examples:
      xbench leaderboard
      xbench leaderboard --group xtreme --format md
      xbench leaderboard --model minilm-l6 --format csv
      xbench leaderboard --all-runs --format json
      xbench leaderboard --experiment phang2020-mini
      xbench leaderboard --uncertainty ci --format md
    """
    from xbench.results.store import ResultsStore
    from xbench.results.table import render_table

    store = ResultsStore(store_file)
    store.require_results()  # an absent or empty store is an error, and stays as it is
    if experiment:
        from xbench.results.experiment_table import experiment_table

        click.echo(experiment_table(experiment, fmt, store_file, uncertainty=uncertainty))
        return

    check_filters(store, group_name, model)
    sections = store.leaderboard(group_name, model, all_runs)
    if not sections and group_name and model:  # each filter matches stored runs, but not together
        raise UserError(f"--group {group_name} --model {model}: no results of model '{model}' under group "
                        f"'{group_name}' in {store.path} (fix: drop one of the filters; `xbench leaderboard "
                        f"--model {model}` shows what that model has)")
    if not sections:  # runs without cells, or every cell left out (warned above)
        raise UserError(f"no cells to show in {store.path} (fix: rerun `xbench eval` for the runs the warnings "
                        "above name, or --store FILE of another store)")
    click.echo(render_table(sections, fmt, uncertainty))


def check_filters(store, group: str | None, model: str | None) -> None:
    """A filter that matches nothing stored is an error naming what the store has (an empty table
    would read as "no results", and a typo would go unnoticed)."""
    from xbench.spec.suggest import did_you_mean

    have = store.stored()
    if model and model not in have["models"]:
        raise UserError(f"--model {model}: no runs of this model in {store.path}{did_you_mean(model, have['models'])} "
                        f"(fix: give the model as it was given to `xbench eval --model`; stored: "
                        f"{_listing(have['models'])})")
    if group and group not in have["groups"]:
        from xbench.registry import get_registry
        from xbench.spec.catalog import Catalog

        known = sorted(Catalog(get_registry()).groups)
        if group in known:
            what = f"no results under group '{group}' in {store.path}"
        else:
            what = f"unknown group '{group}'{did_you_mean(group, [*have['groups'], *known])}"
        fix = (f"use a group with stored results: {_listing(have['groups'])}; or drop --group" if have["groups"] else
               "drop --group: no stored run was evaluated under a group, as with --tasks xtreme or xtreme/TASK")
        raise UserError(f"--group {group}: {what} (fix: {fix})")


def _listing(names: list[str], most: int = 12) -> str:
    return ", ".join(names[:most]) + (f" +{len(names) - most} more" if len(names) > most else "")

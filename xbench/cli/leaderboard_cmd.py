"""``xbench leaderboard``: the task × language table and benchmark scores over stored runs."""

from __future__ import annotations

import click

from xbench.cli.output import format_option, uncertainty_option


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

    if experiment:
        from xbench.results.experiment_table import experiment_table

        click.echo(experiment_table(experiment, fmt, store_file, uncertainty=uncertainty))
        return

    store = ResultsStore(store_file)
    sections = store.leaderboard(group_name, model, all_runs)
    if not sections:
        wanted = " and ".join(filter(None, [f"group '{group_name}'" if group_name else "",
                                            f"model '{model}'" if model else ""]))
        where = f" for {wanted}" if wanted else ""
        # the notice is for a person: on stderr, so that machine-readable output stays parseable
        click.echo(f"No results recorded{where} in {store.path}. Run `xbench eval --model MODEL --tasks TASKS` "
                   "first; each finished run is recorded there.", err=fmt != "table")
        if fmt == "json":
            click.echo(render_table([], fmt, uncertainty))  # the same object, with no rows
        return
    click.echo(render_table(sections, fmt, uncertainty))

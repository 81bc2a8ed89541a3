"""``xbench report``: one self-contained HTML page of runs (tables, figures, flags, configurations)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from xbench.errors import UserError


def _generated() -> str:
    """When the page was made, in UTC; SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UserError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds") from None
    return moment.isoformat(timespec="seconds")


@click.command("report")
@click.argument("sources", nargs=-1, metavar="[RUNS]...")
@click.option("--experiment", metavar="NAME", help="Every run recorded under this experiment (`xbench run`).")
@click.option("--store", "store_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Results store to read  [default: $XBENCH_HOME/results.sqlite].")
@click.option("--html", "html_out", required=True, type=click.Path(), metavar="OUT.html",
              help="The page to write (replaced atomically when it exists).")
@click.option("--title", default="xbench report", show_default=True, help="The page title.")
@click.option("--baseline", metavar="CONFIG", help="Configuration the gains section compares against  "
              "[default: none in an experiment, else the first run].")
def report_cmd(sources, experiment, store_file, html_out, title, baseline):
    """Write one HTML page about RUNS (run folders or stored run ids) and/or --experiment NAME.

    The page holds the leaderboard (one sortable row per run: benchmark scores, task means and every
    task × language value ×100 with its uncertainty), when runs are configurations of one model (an
    experiment) the gains over the baseline with paired tests (as `xbench analyze gains`), a heatmap, per-language bars with 95% intervals,
    each run's full table, every flag with its meaning, the missing cells with their reasons, and each
    run's configuration and environment. It loads nothing from the network: styles, the sorting script
    and the figures are all inside the file.

    \b
    Examples:
      xbench report runs/minilm-l6 --html report.html
      xbench report --experiment phang2020-mini --html phang.html --title "Phang et al. 2020, mini"
    """
    from xbench.analysis.sources import load_runs
    from xbench.paths import write_atomic
    from xbench.report.build import build_report, report_counts
    from xbench.report.gains_section import gains_sections

    out = Path(html_out)
    if out.is_dir():
        raise UserError(f"{out}: is a folder; give the file to write, e.g. {out / 'report.html'}")
    if not sources and not experiment:
        raise UserError("nothing to report: give run folders, run ids or --experiment NAME")
    runs = load_runs(list(sources), experiment, store_file)
    from xbench.analysis.common import check_names

    check_names(runs, baseline=baseline)  # also when the page has no gains section to use it in
    report = build_report(runs, title, gains_sections(runs, baseline), generated=_generated())
    try:
        write_atomic(out, report.to_html())
    except OSError as err:
        raise UserError(f"{out}: cannot write the report ({err.strerror or err})") from None
    counts = report_counts(report, runs)
    click.echo(f"wrote {out}: {counts['runs']} run{'s' * (counts['runs'] != 1)}, {counts['cells']} cells, "
               f"{counts['figures']} figure{'s' * (counts['figures'] != 1)}")

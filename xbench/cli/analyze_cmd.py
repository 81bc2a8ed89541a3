"""``xbench analyze``: the research questions over stored results — gains with paired tests, transfer
gaps, correlations with language variables, typological distances, scaling, robustness, consistency.

Each subcommand reads runs (run folders, stored run ids, or ``--experiment NAME``), prints a table and
writes its plots (PNG and SVG) to ``--plot-dir``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from xbench.cli.output import format_option, render
from xbench.metrics.bootstrap_settings import DEFAULT_SETTINGS


def _sources(f):
    f = click.argument("sources", nargs=-1, metavar="[RUNS]...")(f)
    f = click.option("--experiment", metavar="NAME", help="Every run recorded under this experiment (`xbench run`).")(f)
    f = click.option("--store", "store_file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Results store to read  [default: $XBENCH_HOME/results.sqlite].")(f)
    return f


def _stats(f):
    f = click.option("--resamples", default=DEFAULT_SETTINGS.resamples, show_default=True, type=click.IntRange(min=1),
                     help="Bootstrap resamples of every interval and bootstrap test.")(f)
    f = click.option("--confidence", default=DEFAULT_SETTINGS.confidence, show_default=True, type=click.FloatRange(0, 1, min_open=True,
                     max_open=True), help="Confidence level of the intervals.")(f)
    f = click.option("--stat-seed", default=DEFAULT_SETTINGS.seed, show_default=True, type=int,
                     help="Seed of the resampling (same seed, same intervals).")(f)
    return f


def _plots(f):
    f = click.option("--plot-dir", type=click.Path(file_okay=False), default="xbench-analysis", show_default=True,
                     help="Folder the plots are written to (PNG and SVG).")(f)
    f = click.option("--no-plots", is_flag=True, help="Print the table only.")(f)
    return f


def _settings(resamples, confidence, stat_seed, correction="holm"):
    from xbench.analysis.common import StatSettings

    return StatSettings(resamples, confidence, stat_seed, correction)


def _runs(sources, experiment, store_file, **named):
    """The runs, after checking that the options naming things among them (``check_names``) name
    ones that are there. A default (``--baseline none``) is only checked where the user gave it."""
    from xbench.analysis.common import check_names
    from xbench.analysis.sources import load_runs

    runs = load_runs(list(sources), experiment, store_file)
    ctx = click.get_current_context(silent=True)
    if ctx is not None and named.get("baseline") is not None:
        given = ctx.get_parameter_source("baseline")
        if given is click.core.ParameterSource.DEFAULT:
            named.pop("baseline")
    check_names(runs, **named)
    return runs


def _emit(fmt: str, tables: list[tuple[str, list[dict]]], payload: dict, plots: list[Path], note: str = "") -> None:
    if fmt == "json":
        click.echo(json.dumps({**payload, "plots": [str(p) for p in plots]}, indent=2, ensure_ascii=False))
        return
    for title, rows in tables:
        if not rows:
            continue
        if title:
            click.echo(f"\n{title}")
        click.echo(render(rows, list(dict.fromkeys(k for r in rows for k in r)), fmt))
    if note:
        click.echo(f"\n{note}")
    if plots:
        click.echo("\nplots: " + ", ".join(str(p) for p in plots))


def _stat_note(settings, extra: str = "") -> str:
    return (f"Values ×100. Intervals: {round(100 * settings.confidence)}% percentile bootstrap over items, "
            f"{settings.n_resamples} resamples, seed {settings.seed}." + (f" {extra}" if extra else ""))


@click.group()
def analyze():
    """Answer the research questions over stored results (tables, paired tests, plots).

    \b
    Examples:
      xbench analyze gains --experiment phang2020-mini
      xbench analyze transfer-gap --experiment phang2020-mini
      xbench analyze correlate --experiment phang2020-mini --x cc100 --y gain --task xcopa
      xbench analyze typology --target sw --candidates en,de,fr,ar,hi
      xbench analyze scaling --experiment scale
      xbench analyze robustness runs/clean runs/typo
      xbench analyze consistency --experiment phang2020-mini
    """


@analyze.command("gains")
@_sources
@click.option("--baseline", metavar="CONFIG", help="Configuration compared against  [default: none, or the first run].")
@click.option("--compare", "configs", multiple=True, metavar="CONFIG", help="Only these configurations (repeatable).")
@click.option("--metric", metavar="NAME", help="Metric compared  [default: each task's primary metric].")
@click.option("--correction", type=click.Choice(["holm", "bh", "none"]), default="holm", show_default=True,
              help="Multiple-comparison correction across the languages of each task.")
@_stats
@_plots
@format_option
def gains_cmd(sources, experiment, store_file, baseline, configs, metric, correction, resamples, confidence,
              stat_seed, plot_dir, no_plots, fmt):
    """Per task × language gain of each configuration over a baseline, with paired tests.

    The interval is a paired bootstrap over the items both runs evaluated; the test is the exact
    McNemar test for one seed of accuracy, the paired bootstrap otherwise; p-values corrected across
    languages. "*" marks a corrected p below 1 − confidence.
    """
    from xbench.analysis.gains import compute_gains, gain_plots, gain_rows, task_rows

    settings = _settings(resamples, confidence, stat_seed, correction)
    runs = _runs(sources, experiment, store_file, baseline=baseline, configs=configs, metric=metric)
    result = compute_gains(runs, baseline, list(configs) or None, metric, settings)
    plots = [] if no_plots else gain_plots(result, Path(plot_dir))
    note = _stat_note(settings, f"p corrected across languages per task ({correction}); "
                                "(ref) = reference language, outside the task average and the correction.")
    _emit(fmt, [("Gains per task and language", gain_rows(result)),
                ("Mean gain over languages (significant languages after correction)", task_rows(result))],
          result.to_dict(), plots, note)


@analyze.command("transfer-gap")
@_sources
@click.option("--baseline", metavar="CONFIG", help="Configuration the gap change is measured against  [default: none].")
@click.option("--metric", metavar="NAME", help="Metric  [default: each task's primary metric].")
@_stats
@_plots
@format_option
def transfer_gap_cmd(sources, experiment, store_file, baseline, metric, resamples, confidence, stat_seed, plot_dir,
                     no_plots, fmt):
    """English score minus the mean of the other languages, per configuration and task, with intervals."""
    from xbench.analysis.common import plot_series, series_name
    from xbench.analysis.plots import grouped_bars
    from xbench.analysis.transfer_gap import compute_gaps, gap_rows

    settings = _settings(resamples, confidence, stat_seed)
    gaps = compute_gaps(_runs(sources, experiment, store_file, baseline=baseline, metric=metric), metric, baseline,
                        settings)
    plots = []
    if gaps and not no_plots:
        tasks = sorted({g.address for g in gaps})
        several = len({g.model for g in gaps}) > 1  # one series per model too, not the last model's only
        series, lows, highs = plot_series(gaps, tasks,
                                          lambda g: series_name(g.model, g.config, g.perturbation, several),
                                          lambda g: g.address, "gap")
        plots = grouped_bars(Path(plot_dir) / "transfer-gap", tasks, series, lows, highs,
                             ylabel="English − mean of other languages (×100)", title="Cross-lingual transfer gap")
    note = _stat_note(settings, "Languages resampled independently." if gaps else "")
    if not gaps:
        note = "No task has both English and another language among these runs: no transfer gap to compute."
    _emit(fmt, [("Transfer gap", gap_rows(gaps, settings))],
          {"settings": settings.to_dict(), "gaps": [g.to_dict() for g in gaps]}, plots, note)


@analyze.command("correlate")
@_sources
@click.option("--x", "x", required=True, metavar="VAR",
              help="Language variable: cc100 (log10 CC-100 GiB) or a distance from --source: syntactic, featural, "
                   "phonological, inventory, genetic, geographic.")
@click.option("--y", "y", type=click.Choice(["gain", "score"]), default="gain", show_default=True,
              help="gain: configuration minus baseline per language; score: the configuration's score.")
@click.option("--control", metavar="VAR", help="Partial correlation controlling this language variable.")
@click.option("--task", "tasks", multiple=True, metavar="ADDRESS", help="Only these tasks (repeatable).")
@click.option("--baseline", metavar="CONFIG", help="Baseline of the gains  [default: none, or the first run].")
@click.option("--source", default="en", show_default=True, help="Source language of the distances (left out).")
@click.option("--permutations", default=10000, show_default=True, type=click.IntRange(min=1),
              help="Permutations of the permutation test.")
@click.option("--metric", metavar="NAME", help="Metric  [default: each task's primary metric].")
@_stats
@_plots
@format_option
def correlate_cmd(sources, experiment, store_file, x, y, control, tasks, baseline, source, permutations, metric,
                  resamples, confidence, stat_seed, plot_dir, no_plots, fmt):
    """Pearson and Spearman correlation of gains (or scores) with a language variable, over languages.

    Each coefficient gets a permutation p-value and a bootstrap interval resampling languages.
    Languages without a value (not in CC-100, no URIEL data) are listed, shown apart in the scatter,
    and excluded from the fit.
    """
    from xbench.analysis.gains import slug
    from xbench.analysis.correlate import correlate, correlation_rows, gain_points, score_points, x_variables
    from xbench.analysis.gains import compute_gains
    from xbench.errors import UserError

    settings = _settings(resamples, confidence, stat_seed)
    for var in filter(None, (x, control)):
        if var not in x_variables():
            from xbench.spec.suggest import did_you_mean

            raise UserError(f"unknown language variable '{var}'{did_you_mean(var, x_variables())}; "
                            f"choose one of {', '.join(x_variables())}")
    runs = _runs(sources, experiment, store_file, baseline=baseline, tasks=tasks, metric=metric)
    points = gain_points(compute_gains(runs, baseline, metric=metric, settings=settings)) if y == "gain" \
        else score_points(runs, metric)
    if tasks:
        points = {k: v for k, v in points.items() if k[1] in tasks}
    if not points:
        raise UserError(f"no {y} values to correlate" + (f" for task(s) {', '.join(tasks)}" if tasks else "")
                        + ("; gains need a baseline configuration and another one" if y == "gain" else ""))
    results = correlate(points, x, y, source, control, settings, permutations)
    plots = []
    if not no_plots:
        from xbench.analysis.plots import scatter_fit

        xlabel = x_variables()[x]
        for r in results:
            plots += scatter_fit(Path(plot_dir) / f"correlate-{slug(r.x)}-{slug(r.y)}-{slug(r.config)}-"
                                 f"{slug(r.address)}", [p["x"] for p in r.points],
                                 [100 * p["y"] for p in r.points], [p["language"] for p in r.points],
                                 [not p["included"] for p in r.points], xlabel=xlabel, ylabel=f"{y} (×100)",
                                 title=f"{r.address} · {r.config}: {y} vs {x} (n={r.n}, r={r.pearson['r']:+.2f}, "
                                       f"ρ={r.spearman['r']:+.2f})",
                                 excluded_label="no value: excluded from the fit",
                                 strip_label="not in CC-100" if x == "cc100" else "no URIEL data")
    note = (f"Permutation p-values ({permutations} permutations, two-sided); {round(100 * confidence)}% "
            f"bootstrap intervals resampling languages ({resamples} resamples, seed {stat_seed}).")
    _emit(fmt, [("Correlation over languages", correlation_rows(results))],
          {"settings": settings.to_dict(), "correlations": [r.to_dict() for r in results]}, plots, note)


@analyze.command("typology")
@_sources
@click.option("--target", required=True, metavar="LANG", help="The target language.")
@click.option("--candidates", metavar="LANG,LANG", help="Candidate source languages  [default: the languages of "
              "the runs' intermediate tasks].")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="Distance kinds (repeatable)  [default: all].")
@_plots
@format_option
def typology_cmd(sources, experiment, store_file, target, candidates, kinds, plot_dir, no_plots, fmt):
    """Typological distances from candidate source / intermediate-task languages to a target, ranked.

    With runs (or --experiment), each candidate's configurations and their observed gain on the
    target are shown beside the ranking.
    """
    from xbench.analysis.gains import slug
    from xbench.analysis.typology_rank import attach_gains, candidate_rows, intermediate_language, rank_candidates
    from xbench.errors import UserError

    runs = _runs(sources, experiment, store_file) if (sources or experiment) else []
    if candidates:
        wanted = [c.strip() for c in candidates.split(",") if c.strip()]
    else:
        wanted = sorted({intermediate_language(s) for r in runs for s in r.config.get("intermediate_tasks") or []})
        if not wanted:
            raise UserError("no candidate languages: give --candidates LANG,LANG (or runs with intermediate tasks)")
    ranked = rank_candidates(target, wanted, list(kinds) or None)
    if runs:
        attach_gains(ranked, runs, target)
    plots = []
    if not no_plots:
        from xbench.analysis.plots import grouped_bars

        names = list(ranked[0].distances)
        series = {}
        for kind in names:
            values = [c.distances[kind] for c in ranked]
            top = max((v for v in values if v is not None), default=0) or 1.0
            series[kind] = [None if v is None else v / top for v in values]
        plots = grouped_bars(Path(plot_dir) / f"typology-{slug(target)}", [c.language for c in ranked], series, None,
                             None, ylabel="distance / largest among candidates", title=f"Distance to {target}")
    _emit(fmt, [(f"Candidates for target {target}, closest first (mean rank over distance kinds)",
                 candidate_rows(ranked))],
          {"target": target, "candidates": [c.to_dict() for c in ranked]}, plots,
          "Distances: cosine over URIEL kNN-imputed vectors (lang2vec); geographic in km (great circle).")


@analyze.command("scaling")
@_sources
@click.option("--baseline", default="none", show_default=True, metavar="CONFIG", help="Configuration of the gain.")
@click.option("--models", metavar="M,M", help="Models, smallest first  [default: the order of the runs].")
@click.option("--metric", metavar="NAME", help="Metric  [default: each task's primary metric].")
@_stats
@_plots
@format_option
def scaling_cmd(sources, experiment, store_file, baseline, models, metric, resamples, confidence, stat_seed, plot_dir,
                no_plots, fmt):
    """Gain per model size and the interaction gain(larger) − gain(first model), with intervals."""
    from xbench.analysis.common import plot_series
    from xbench.analysis.gains import slug
    from xbench.analysis.scaling import compute_scaling, scaling_rows

    settings = _settings(resamples, confidence, stat_seed)
    order = [m.strip() for m in models.split(",")] if models else None
    runs = _runs(sources, experiment, store_file, baseline=baseline, models=order or (), metric=metric)
    points = compute_scaling(runs, baseline, order, metric, settings)
    plots = []
    if points and not no_plots:
        from xbench.analysis.plots import scaling_lines

        sizes = list(dict.fromkeys(p.model for p in points))
        for address in sorted({p.address for p in points}):
            mine = [p for p in points if p.address == address]
            series, lows, highs = plot_series(mine, sizes, lambda p: p.config, lambda p: p.model, "gain")
            plots += scaling_lines(Path(plot_dir) / f"scaling-{slug(address)}", sizes, series, lows, highs,
                                   xlabel="model (smallest first)", ylabel=f"gain over {baseline} (×100)",
                                   title=f"{address}: gain by model size")
    _emit(fmt, [("Gain per model and the interaction with scale", scaling_rows(points, settings))],
          {"settings": settings.to_dict(), "points": [p.to_dict() for p in points]}, plots,
          _stat_note(settings, "Gains are means over each task's languages; languages resampled independently."))


@analyze.command("robustness")
@_sources
@click.option("--baseline", default="none", show_default=True, metavar="CONFIG",
              help="Configuration the drops of the others are compared with.")
@click.option("--metric", metavar="NAME", help="Metric  [default: each task's primary metric].")
@_stats
@_plots
@format_option
def robustness_cmd(sources, experiment, store_file, baseline, metric, resamples, confidence, stat_seed, plot_dir,
                   no_plots, fmt):
    """Clean vs perturbed: absolute and relative drop, prediction flip rate, per perturbation and configuration.

    Tasks whose spec names item subsets (XCOPA: `changed`, the culturally adapted items) also get the
    drop from the other items to the subset in each clean run: a natural domain shift.
    """
    from xbench.analysis.common import plot_series, series_name
    from xbench.analysis.gains import slug
    from xbench.analysis.robustness import (compute_drops, compute_subset_shifts, drop_rows, has_perturbed,
                                            subset_rows, task_drop_rows)

    settings = _settings(resamples, confidence, stat_seed)
    runs = _runs(sources, experiment, store_file, baseline=baseline, metric=metric)
    shifts = compute_subset_shifts(runs, metric, settings)
    drops, tasks = compute_drops(runs, metric, baseline, settings) if has_perturbed(runs) or not shifts else ([], [])
    plots = []
    if drops and not no_plots:
        from xbench.analysis.plots import grouped_bars

        for address in sorted({d.address for d in drops}):
            mine = [d for d in drops if d.address == address]
            languages = sorted({d.language for d in mine})
            several = len({d.model for d in mine}) > 1  # one series per model too, not the last model's only
            series, lows, highs = plot_series(mine, languages,
                                              lambda d: series_name(d.model, d.config, d.perturbation, several),
                                              lambda d: d.language, "drop")
            plots += grouped_bars(Path(plot_dir) / f"robustness-{slug(address)}", languages, series, lows, highs,
                                  ylabel="clean − perturbed (×100)", title=f"{address}: drop under perturbation")
    _emit(fmt, [("Drop per task and language", drop_rows(drops, settings)),
                ("Mean drop over languages", task_drop_rows(tasks, settings, baseline)),
                ("Item subsets (clean runs): others minus the subset", subset_rows(shifts, settings))],
          {"settings": settings.to_dict(), "drops": [d.to_dict() for d in drops], "tasks": [t.to_dict() for t in tasks],
           "subsets": [x.to_dict() for x in shifts]},
          plots, _stat_note(settings, "Flip rate: share of items whose prediction changed (mean over seeds)."
                            + (" Subset intervals on a handful of items (n in / out) are not to be trusted."
                               if shifts else "")))


@analyze.command("consistency")
@_sources
@click.option("--pivot", metavar="LANG", help="Language every other is compared with  [default: en, else the first].")
@click.option("--task", "tasks", multiple=True, metavar="ADDRESS", help="Only these tasks (repeatable).")
@_plots
@format_option
def consistency_cmd(sources, experiment, store_file, pivot, tasks, plot_dir, no_plots, fmt):
    """Cross-lingual agreement of predictions on parallel items (XCOPA, XNLI, PAWS-X, XQuAD, MLQA)."""
    from xbench.analysis.common import series_name
    from xbench.analysis.gains import slug
    from xbench.analysis.consistency import agreement_rows, compute_consistency, summary_rows

    runs = _runs(sources, experiment, store_file, tasks=tasks, languages=[pivot] if pivot else [])
    rows, summaries = compute_consistency(runs, pivot, list(tasks) or None)
    plots = []
    if rows and not no_plots:
        from xbench.analysis.plots import grouped_bars

        for address in sorted({r.address for r in rows}):
            mine = [r for r in rows if r.address == address]
            languages = sorted({r.language for r in mine})
            series = {}
            several = len({r.model for r in mine}) > 1  # one series per run, not one per configuration name
            for r in mine:
                name = series_name(r.model, r.config, r.perturbation, several)
                series.setdefault(name, [None] * len(languages))[languages.index(r.language)] = 100 * (
                    r.agreement if r.agreement is not None else r.correctness_agreement)
            plots += grouped_bars(Path(plot_dir) / f"consistency-{slug(address)}", languages, series, None, None,
                                  ylabel=f"agreement with {mine[0].pivot} (%)",
                                  title=f"{address}: cross-lingual agreement")
    _emit(fmt, [("Agreement with the pivot language", agreement_rows(rows)),
                ("Items predicted identically in every language", summary_rows(summaries))],
          {"agreements": [r.to_dict() for r in rows], "tasks": [s.to_dict() for s in summaries]}, plots,
          "Same prediction: label tasks only; same correctness: both right or both wrong (span answers: exact).")

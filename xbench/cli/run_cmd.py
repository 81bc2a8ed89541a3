"""``xbench run EXPERIMENT.yaml``: the whole grid of an experiment file, resumable, on any executor."""

from __future__ import annotations

from pathlib import Path

import click

from xbench.errors import UserError


@click.command("run")
@click.argument("experiment_file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan (trainings, evaluations, what is done) and stop.")
@click.option("--executor", "executor_name", help="local (default) or ray; overrides the file's `executor:`.")
@click.option("--address", help="Ray cluster address (auto: the cluster started with `ray start --head`).")
@click.option("--output", type=click.Path(path_type=Path), help="Experiment folder (default runs/<experiment>).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Local data root (default $XBENCH_DATA_DIR, else the hub).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]))
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16", "fp16"]))
@click.option("--progress/--no-progress", default=False, show_default=True, help="Per-job progress bars.")
@click.option("--format", "fmt", type=click.Choice(["table", "md", "csv", "latex", "json"]), default="table",
              show_default=True, help="Format of the printed paper-style table.")
@click.pass_context
def run_cmd(ctx, experiment_file, dry_run, executor_name, address, output, data_dir, device, precision, progress, fmt):
    """Run an experiment: intermediate training once per (model, configuration, seed), then every
    target's phase 3 and zero-shot evaluation; a rerun does only what is missing.

    \b
    Examples:
      xbench run examples/phang2020-mini.yaml --data-dir ../shared/data --dry-run
      xbench run examples/phang2020-mini.yaml --data-dir ../shared/data
      xbench run examples/phang2020-mini.yaml --executor ray --address auto
    """
    from xbench.cli import registry_for
    from xbench.executors import get_executor
    from xbench.experiment.plan import RunSettings, build_plan
    from xbench.experiment.run import describe, run_experiment
    from xbench.experiment.spec import load_experiment
    from xbench.results.experiment_table import experiment_table

    registry = registry_for(ctx)
    exp = load_experiment(experiment_file, registry)
    from xbench.paths import data_dir_option

    data_dir = data_dir_option(data_dir)
    output = output or Path("runs") / exp.name
    if output.exists() and not output.is_dir():
        raise UserError(f"--output {output}: is a file, not a folder (fix: give a new or existing folder)")
    settings = RunSettings(output=output.resolve(), data_dir=data_dir.resolve() if data_dir else None,
                           device=device or exp.setting("device", "auto"),
                           precision=precision or exp.setting("precision", "auto"),
                           batch_size=exp.setting("batch_size", "auto"), progress=progress)
    if dry_run:
        for line in describe(build_plan(exp, settings, registry), registry):
            click.echo(line)
        return
    name = executor_name or exp.setting("executor") or "local"
    options = {"address": address} if address else {}
    if address and name != "ray":
        raise UserError(f"--address is an option of the ray executor, not of '{name}' (fix: add --executor ray)")
    executor = get_executor(name, registry, **options)
    run_experiment(exp, settings, executor, registry, log=lambda line: click.echo(line, err=True))
    click.echo(experiment_table(exp.name, fmt=fmt))

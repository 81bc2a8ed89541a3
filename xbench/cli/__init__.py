"""The ``xbench`` command line. Commands are thin: parse options, call the library, print.

User errors (``xbench.errors.UserError``) print one line and exit with code 2; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import os

import click

from xbench.errors import UserError


class XbenchGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as err:
            if ctx.params.get("debug") or os.environ.get("XBENCH_DEBUG"):
                raise
            click.echo(f"xbench: error: {err}", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=XbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("--strict-plugins", is_flag=True, help="Fail when any plugin cannot be loaded or registered.")
@click.version_option(package_name="xbench")
@click.pass_context
def cli(ctx: click.Context, debug: bool, strict_plugins: bool):
    """xbench: zero-shot cross-lingual transfer benchmarks (XTREME, XTREME-R, XCOPA, intermediate tasks).

    \b
    Examples:
      xbench tasks list --group xtreme
      xbench tasks show xtreme/tatoeba
      xbench tasks validate my_task.yaml
      xbench plugins
    """
    ctx.obj = {"debug": debug, "strict_plugins": strict_plugins}


def registry_for(ctx: click.Context):
    """The plugin registry, with load failures reported once as warnings (or errors when strict)."""
    from xbench.registry import get_registry

    registry = get_registry(strict=ctx.find_root().obj["strict_plugins"])
    if not getattr(registry, "_warned", False):
        for failure in registry.failures:
            click.echo(f"xbench: warning: {failure} (other plugins still work; --strict-plugins makes this an error)",
                       err=True)
        registry._warned = True
    return registry


def main() -> None:
    cli(prog_name="xbench")


def _register() -> None:
    from xbench.cli.eval_cmd import eval_cmd
    from xbench.cli.plugins_cmd import plugins
    from xbench.cli.tasks_cmd import tasks

    cli.add_command(tasks)
    cli.add_command(plugins)
    from xbench.cli.data_cmd import data; cli.add_command(data)  # noqa: E702
    from xbench.cli.leaderboard_cmd import leaderboard; cli.add_command(leaderboard)  # noqa: E702
    cli.add_command(eval_cmd)
    from xbench.cli.train_cmd import train_cmd; cli.add_command(train_cmd)  # noqa: E702
    from xbench.cli.run_cmd import run_cmd; cli.add_command(run_cmd)  # noqa: E702
    from xbench.cli.analyze_cmd import analyze; cli.add_command(analyze)  # noqa: E702
    from xbench.cli.languages_cmd import languages; cli.add_command(languages)  # noqa: E702
    from xbench.cli.report_cmd import report_cmd; cli.add_command(report_cmd)  # noqa: E702


_register()

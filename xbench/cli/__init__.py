"""The ``xbench`` command line. Commands are thin: parse options, call the library, print.

User errors (``xbench.errors.UserError``) print one line and exit with code 2; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from xbench.errors import UserError


class XbenchGroup(click.Group):
    def invoke(self, ctx: click.Context):
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]  # the command line below this group
        try:
            return super().invoke(ctx)
        except (UserError, click.UsageError, OSError) as err:
            if ctx.params.get("debug") or os.environ.get("XBENCH_DEBUG"):
                import traceback

                traceback.print_exc()  # the trace, and still the user-error exit code
                ctx.exit(2)
            if isinstance(err, UserError):
                message = str(err)
            elif isinstance(err, click.UsageError):
                message = usage_error_line(err)
            else:
                message = filesystem_error_line(err, args)
            click.echo(f"xbench: error: {message}", err=True)
            ctx.exit(2)


def usage_error_line(err: click.UsageError) -> str:
    """Click's own parsing errors (unknown option, bad choice) as one line with the command's --help."""
    command = err.ctx.command_path.replace("cli", "xbench", 1) if err.ctx else "xbench"
    return f"{command}: {err.format_message()} (fix: see `{command} --help`)"


def filesystem_error_line(err: OSError, args: list[str]) -> str:
    """A file that cannot be written or read (not writable, a file where a folder should be, disk
    full): the path, the option that named it, and what to do. Under $XBENCH_HOME the fix is
    another XBENCH_HOME."""
    from xbench.paths import xbench_home

    path = str(err.filename or "?")
    what = (err.strerror or str(err)).lower()
    option = _option_naming(path, args)
    if option:
        return (f"{option[0]} {option[1]}: cannot use {path}: {what} (fix: give {option[0]} a writable folder, "
                "not a file, whose parent folders exist)")
    home = xbench_home()
    if _inside(path, home):
        return f"XBENCH_HOME={home}: cannot use {path}: {what} (fix: set XBENCH_HOME to a writable folder)"
    return (f"cannot use {path}: {what} (fix: check that it names a writable folder, not a file, and that its "
            "parent folders exist; --debug shows where)")


def _inside(path: str, folder) -> bool:
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError):
        return False


def _option_naming(path: str, args: list[str]) -> tuple[str, str] | None:
    """(option, value) of the command line whose value is ``path``, a folder holding it, or a path
    inside it (a parent folder that could not be made); the most specific one."""
    found = []
    for i, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        name, eq, value = arg.partition("=")
        if not eq:
            if i + 1 >= len(args):
                continue
            value = args[i + 1]
        if value and not value.startswith("-") and ("/" in value or value == path) \
                and (_inside(path, value) or _inside(value, path)):
            found.append((len(str(Path(value).resolve())), name, value))
    return max(found)[1:] if found else None


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
    from xbench.data.skips import reset_warnings

    reset_warnings()  # each invocation warns about its cells' skipped rows afresh (also in one process: tests)


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
    from xbench.gcpause import skip_exit_collections

    try:
        cli(prog_name="xbench")
    finally:  # click ends with sys.exit: this runs on the way out
        skip_exit_collections()


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

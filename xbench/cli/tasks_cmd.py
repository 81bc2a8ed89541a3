"""``xbench tasks``: list, show and validate task and group specs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from xbench.cli.output import format_option, render
from xbench.errors import UserError


def _catalog(ctx, extra_files=(), warn=True, asked: str | None = None):
    """The catalog; with ``warn``, one warning line per skipped spec file — except the error of the
    spec ``asked`` for by name, which the command raises as its one error line."""
    from xbench.cli import registry_for
    from xbench.spec.catalog import Catalog

    catalog = Catalog(registry_for(ctx), extra_files=list(extra_files))
    if warn:  # one line per skipped spec file: its first problem, and where to see them all
        raised = [catalog.failed.get(part) for part in (asked or "").split("/") if part]
        by_source: dict[str, list] = {}
        for err in (e for e in catalog.errors if not any(e is r for r in raised)):
            by_source.setdefault(getattr(err, "source", None) or err.file, []).append(err)
        for source, errs in by_source.items():
            more = f" (+{len(errs) - 1} more: `xbench tasks validate {source}`)" if len(errs) > 1 else ""
            where = "" if errs[0].file == source else f" {source}"  # the problem may be in an included file
            click.echo(f"xbench: warning: skipped invalid spec{where}: {errs[0]}{more}", err=True)
    return catalog


@click.group()
def tasks():
    """List, show and validate task specs."""


@tasks.command("list")
@click.option("--group", "group_name", metavar="GROUP", help="Only this benchmark's tasks, with its languages.")
@format_option
@click.pass_context
def list_tasks(ctx, group_name, fmt):
    """List tasks (and groups) with their languages.

    \b
    Examples:
      xbench tasks list
      xbench tasks list --group xtreme-r --format md
      xbench tasks list --group xtreme --format json
    """
    catalog = _catalog(ctx)
    member_of: dict[str, list[str]] = {}
    for g in sorted(catalog.groups.values(), key=lambda g: g.name):
        for e in g.entries:
            member_of.setdefault(e.task, []).append(g.name)
    if group_name:
        selections = catalog.select(catalog.group(group_name).name)
    else:
        selections = [s for name in sorted(catalog.tasks) for s in catalog.select(name)]
    rows = []
    for sel in selections:
        t = sel.task
        rows.append({"name": t.name, "type": t.type, "version": t.version, "n_languages": len(sel.languages),
                     "languages": sel.languages, "groups": member_of.get(t.name, []),
                     "metric": sel.score or [t.primary_metric], "license": t["license"], "plugin": t.plugin})
    click.echo(render(rows, ["name", "type", "n_languages", "languages", "groups", "metric", "plugin"], fmt,
                      wrap={"languages": 50}))
    if not group_name and fmt in ("table", "md"):
        grows = [{"group": g.name, "tasks": len(g.entries), "description": g["description"]}
                 for g in sorted(catalog.groups.values(), key=lambda g: g.name)]
        click.echo("\n" + render(grows, ["group", "tasks", "description"], fmt, wrap={"description": 70}))


@tasks.command("show")
@click.argument("address")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.pass_context
def show_task(ctx, address, fmt):
    """Show the resolved spec of a task (NAME or GROUP/NAME) or of a group.

    With GROUP/NAME, `languages` is the benchmark's list for that task.

    \b
    Examples:
      xbench tasks show xcopa
      xbench tasks show xtreme/tatoeba --format json
      xbench tasks show xtreme
    """
    catalog = _catalog(ctx, asked=address)
    if address in catalog.groups and "/" not in address:
        group = catalog.groups[address]
        doc = {**group.doc, "_file": str(group.file), "_plugin": group.plugin}
    else:
        sel = catalog.select(address)[0]
        doc = dict(sel.task.doc)
        doc["languages"] = sel.languages
        doc["_address"] = sel.address
        doc["_file"] = str(sel.task.file)
        doc["_plugin"] = sel.task.plugin
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        import yaml

        click.echo(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100).rstrip())


@tasks.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def validate_specs(ctx, paths):
    """Validate task or group spec files (or folders of them) against the schema and the registry.

    Each problem is printed as one line: file:line, field, what is wrong, how to fix it.
    Exits 2 when any spec is invalid.

    \b
    Examples:
      xbench tasks validate tasks/
      xbench tasks validate my_plugin/tasks/my_task.yaml
    """
    from xbench.spec.catalog import find_spec_files

    files = []
    for p in paths:
        if p.is_dir():
            files += find_spec_files(p)
        elif p.is_file():
            files.append(p.resolve())
        else:
            raise UserError(f"{p}: no such file or folder (fix: give a spec file (.yaml) or a folder of them)")
    catalog = _catalog(ctx, extra_files=files, warn=False)
    wanted = {str(Path(f).resolve()) for f in files}
    errors = [e for e in catalog.errors if getattr(e, "source", None) in wanted]
    for err in errors:
        click.echo(f"xbench: error: {err}", err=True)
    if errors and ctx.find_root().obj["debug"]:  # where each problem was found
        import traceback

        for err in errors:
            click.echo("".join(traceback.format_exception(err)).rstrip(), err=True)
    if errors:
        ctx.exit(2)
    click.echo(f"ok: {len(files)} spec file(s) valid")

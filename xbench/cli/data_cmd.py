"""``xbench data``: check local benchmark data (found or missing, counts, labels, flags, problems)."""

from __future__ import annotations

from dataclasses import asdict

import click

from xbench.cli.output import format_option, render
from xbench.errors import UserError


@click.group()
def data():
    """Check benchmark data in a local directory (the shared collection, XTREME's download/, originals)."""


@data.command("check")
@click.option("--tasks", "addresses", metavar="TASKS",
              help="Tasks or groups, comma-separated (NAME, GROUP or GROUP/NAME). Default: every task.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data root (default: $XBENCH_DATA_DIR).")
@click.option("--layout", help="Layout of the data root (default: detected; see `xbench data layouts`).")
@click.option("--split", "splits", multiple=True, help="Only this split (repeatable).")
@click.option("--languages", help="Only these languages, comma-separated.")
@click.option("--model", help="Also measure this tokenizer (local folder or alias): unknown-token rate, fertility.")
@click.option("--missing/--no-missing", "show_missing", default=True, show_default=True,
              help="List cells that have no data.")
@format_option
@click.pass_context
def check_cmd(ctx, addresses, data_dir, layout, splits, languages, model, show_missing, fmt):
    """Per task/split/language: found or missing, rows, label distribution, comparability flags, problems.

    Problems: malformed rows (file:line), empty fields, duplicate ids, labels outside the spec, length
    outliers, answers off their offsets, untranslated PAWS-X "NS" rows, sizes that differ from the
    spec, and items of parallel datasets that disagree with their English source (XCOPA vs COPA).

    \b
    Examples:
      xbench data check --data-dir ../shared/data
      xbench data check --tasks xcopa,pawsx --data-dir ../shared/data --format md
      xbench data check --tasks xtreme --model minilm-l6 --languages de,zh
    """
    from xbench.cli import registry_for
    from xbench.cli.tasks_cmd import _catalog
    from xbench.data.api import data_dir_from_env
    from xbench.data.check.runner import check
    from xbench.data.flags import describe

    root = data_dir_from_env(data_dir)
    if root is None:
        raise UserError("data check reads a local data directory (fix: pass --data-dir DIR or set XBENCH_DATA_DIR)")
    catalog = _catalog(ctx)
    selections = catalog.select_many(addresses) if addresses else [s for n in sorted(catalog.tasks)
                                                                    for s in catalog.select(n)]
    tokenizer = None
    if model:
        from xbench.data.check.tokstats import load_tokenizer

        tokenizer = load_tokenizer(model, registry_for(ctx))
    langs = [x.strip() for x in languages.split(",")] if languages else None
    known_langs = {lang for sel in selections for lang in sel.languages}
    known_splits = {split for sel in selections for split in sel.task.splits}
    for name, wanted, known in (("language", langs or [], known_langs), ("split", splits, known_splits)):
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise UserError(f"no selected task has the {name}(s) {', '.join(unknown)} "
                            f"(fix: use one of {', '.join(sorted(known))})")
    reports, layout_name, layout_root = check(selections, root, layout=layout, splits=list(splits) or None,
                                              languages=langs, tokenizer=tokenizer)
    shown = [r for r in reports if show_missing or r.found or r.problems]
    if fmt == "json":
        click.echo(render([{**r.as_row(), "problems": [asdict(p) for p in r.problems]} for r in shown], [], "json"))
        return _fail_on_errors(reports, layout_root)
    columns = ["task", "split", "lang", "found", "rows", "expected", "labels", "flags", "problems"]
    if tokenizer is not None:
        columns += ["unk_rate", "fertility"]
    click.echo(render([r.as_row() for r in shown], columns, fmt, wrap={"labels": 34, "flags": 30, "problems": 40}))
    if fmt not in ("table", "md"):
        return _fail_on_errors(reports, layout_root)
    lines = [f"{'error: ' if p.error else ''}{r.task}/{r.split}/{r.language}: [{p.kind}] {p.line()}"
             for r in shown for p in r.problems]
    if lines:
        click.echo("\nProblems:\n" + "\n".join(f"  {line}" for line in lines))
    missing: dict[tuple, list] = {}
    for r in shown:
        if not r.found and r.missing:
            missing.setdefault((r.task, r.split, r.missing), []).append(r)
    if missing:
        click.echo("\nMissing:")
        for (task, split, note), cells in missing.items():
            tried = f" (e.g. tried {cells[0].files[0]})" if cells[0].files else ""
            click.echo(f"  {task}/{split} ({' '.join(c.language for c in cells)}): {note}{tried}")
    used = sorted({f for r in shown for f in r.flags})
    if used:
        click.echo("\nFlags:\n" + "\n".join(f"  {f}: {describe(f)}" for f in used))
    found = sum(r.found for r in reports)
    with_problems = sum(1 for r in reports if r.problems)
    click.echo(f"\n{len(reports)} cells: {found} found, {len(reports) - found} missing, {with_problems} with "
               f"problems (layout '{layout_name}' at {layout_root})")
    _fail_on_errors(reports, layout_root)


def _fail_on_errors(reports, root) -> None:
    """After the report: exit 2 with one summary line when a problem is an error (data `xbench eval`
    refuses or reads with rows left out); notes on data used as published keep exit 0."""
    errors = [(r, p) for r in reports for p in r.problems if p.error]
    if not errors:
        return
    cells = len({id(r) for r, _ in errors})
    r, p = errors[0]
    at = f" at {p.where[0]}" if p.where else ""
    raise UserError(f"{root}: data check: {len(errors)} problem{'s' if len(errors) > 1 else ''} in {cells} "
                    f"cell{'s' if cells > 1 else ''} (the first: {r.task}/{r.split}/{r.language} [{p.kind}]{at}); "
                    "`xbench eval` refuses such data or reads it with rows left out (fix: repair what the report "
                    "above lists as errors, then check again)")


@data.command("layouts")
@format_option
@click.pass_context
def layouts_cmd(ctx, fmt):
    """List the registered data layouts and the marker paths that identify them."""
    from xbench.cli import registry_for
    from xbench.data.manifest import registered_layouts

    rows = []
    for m in registered_layouts(registry_for(ctx)):
        detect = m.doc.get("detect") or {}
        rows.append({"layout": m.name, "priority": m.priority, "tasks": len(m.doc.get("tasks") or {}),
                     "markers": [*detect.get("all", []), *(f"any of: {' '.join(detect['any'])}"
                                                          for _ in [0] if detect.get("any"))],
                     "description": m.doc.get("description", ""), "manifest": str(m.file)})
    click.echo(render(rows, ["layout", "priority", "tasks", "markers", "description"], fmt,
                      wrap={"markers": 60, "description": 40}))

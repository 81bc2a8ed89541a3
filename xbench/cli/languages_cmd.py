"""``xbench languages``: language metadata, CC-100 sizes and typological distances to a target."""

from __future__ import annotations

import click

from xbench.cli.output import format_option, render
from xbench.errors import UserError
from xbench.languages.typology import DISTANCE_KINDS, KIND_DESCRIPTIONS

UNSEEN = "not in CC-100"
HUMAN_FORMATS = ("table", "md", "latex")
COLUMNS = ["code", "iso639_3", "uriel", "name", "family", "script", "cc100_tokens_M", "cc100_GiB"]


def _column(kind: str) -> str:
    return "geographic_km" if kind == "geographic" else kind


def _row(lang, human: bool) -> dict:
    row = {"code": lang.code, "iso639_3": lang.iso639_3, "uriel": lang.uriel, "name": lang.name,
           "family": lang.family, "genus": lang.genus, "script": lang.script,
           "latitude": lang.latitude, "longitude": lang.longitude, "in_cc100": lang.in_cc100,
           "cc100_tokens_M": lang.cc100_tokens_millions, "cc100_GiB": lang.cc100_gib}
    if human and not lang.in_cc100:
        row["cc100_tokens_M"] = UNSEEN
    return row


def _shown(kind: str, value: float) -> str:
    return f"{value:.0f}" if kind == "geographic" else f"{value:.3f}"


@click.command()
@click.option("--task", "addresses", multiple=True, metavar="ADDRESS",
              help="Only the languages of this task or benchmark (NAME, GROUP or GROUP/NAME); repeatable.")
@click.option("--distance-to", "target", metavar="LANG",
              help="Add the distance of every language to LANG (ISO 639-1 or 639-3) and sort by it.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(DISTANCE_KINDS),
              help="Distance kind for --distance-to; repeatable  [default: all].")
@format_option
@click.pass_context
def languages(ctx, addresses, target, kinds, fmt):
    """List languages: codes, family, script, CC-100 pretraining size and, with --distance-to,
    typological distances.

    CC-100 sizes are the XLM-R paper's (tokens in millions, GiB); languages without CC-100 data are
    marked "not in CC-100". Distances (URIEL via lang2vec, needs `pip install 'xbench[analysis]'`;
    loading URIEL takes a few seconds):

    \b
      syntactic, phonological, inventory: cosine distance of URIEL kNN-imputed features
      featural:   cosine distance of the three together
      genetic:    1 - Jaccard similarity of the Glottolog family-tree nodes
      geographic: great-circle distance in km

    Rows are sorted by the first distance kind when --distance-to is given.

    \b
    Examples:
      xbench languages
      xbench languages --task xtreme-r/xcopa --format md
      xbench languages --task xcopa --distance-to en --kind syntactic --kind genetic
      xbench languages --distance-to sw --format json
    """
    from xbench.languages.metadata import all_languages, languages_of_task
    from xbench.languages.typology import distances_from

    if kinds and not target:
        raise UserError("--kind needs --distance-to LANG (the language to measure distances to)")
    if addresses:
        from xbench.cli import registry_for
        from xbench.spec.catalog import Catalog

        catalog = Catalog(registry_for(ctx))
        langs = {}
        for address in addresses:
            langs.update({lang.code: lang for lang in languages_of_task(address, catalog)})
        langs = list(langs.values())
    else:
        langs = list(all_languages())
    human = fmt in HUMAN_FORMATS
    rows = [_row(lang, human) for lang in langs]
    columns = list(COLUMNS) if fmt != "csv" else [*COLUMNS, "in_cc100"]
    kinds = list(kinds or DISTANCE_KINDS)
    if target:
        found = distances_from(target, [lang.code for lang in langs], kinds)
        for row in rows:
            for kind in kinds:
                value = found[row["code"]][kind]
                row[_column(kind)] = _shown(kind, value) if human else value
        rows.sort(key=lambda r: found[r["code"]][kinds[0]])
        columns += [_column(k) for k in kinds]
    click.echo(render(rows, columns, fmt))
    if fmt in ("table", "md"):
        notes = [f"{lang.code}: {lang.cc100_note}" for lang in langs if lang.cc100_note]
        if target:
            notes += [f"{_column(k)}: {KIND_DESCRIPTIONS[k]}" for k in kinds]
        if notes:
            click.echo("\n" + "\n".join(notes))

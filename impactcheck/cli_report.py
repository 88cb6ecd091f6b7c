"""`impactcheck report --year 2026 [--municipality SLUG] [--vorlage VORLAGE.docx] -o bericht.docx`: the
yearly monitoring report to the council as a Word document (impactcheck/report/). Bad input (an unknown
municipality, no climate target or a bad one, a template that is no Word file, an output that cannot
be written) is exit status 2 with one German line on stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from impactcheck.cli import BadInput, _is_folder, _no_folder, _write_all, cli, unknown_municipality
from impactcheck.core.i18n import N_, Message, translated

YEARS = (2000, 2100)


@cli.command("report")
@click.option("--year", "year", type=int, required=True, help="Berichtsjahr, z. B. 2026")
@click.option("--municipality", "slug", metavar="SLUG", help="Kommune (Standard: die der Installation)")
@click.option(
    "--vorlage",
    "template",
    type=click.Path(path_type=Path),
    help="Word-Vorlage (.docx); Standard: RULES_DIR/kommunen/SLUG/bericht-vorlage.docx, sonst die mitgelieferte",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Ausgabedatei (.docx)")
def report_cmd(year: int, slug: str | None, template: Path | None, output: Path) -> None:
    """Den Klimacheck-Bericht eines Jahres für den Rat als Word-Datei erstellen."""
    from sqlalchemy import select

    from impactcheck.cli_server import _config, open_existing_database
    from impactcheck.report import build_report
    from impactcheck.store.models import Municipality
    from impactcheck.store.municipalities import timezone_of

    if not YEARS[0] <= year <= YEARS[1]:
        raise BadInput(
            Message(
                N_("--year: {year} ist kein Berichtsjahr ({first}–{last})"), year=year, first=YEARS[0], last=YEARS[1]
            )
        )
    if output.is_dir():
        raise BadInput(_is_folder(output))
    if not output.parent.is_dir():
        raise BadInput(_no_folder(output))
    if template is not None and not template.is_file():
        raise BadInput(Message(N_("--vorlage: {file} gibt es nicht"), file=str(template)))
    config = _config()
    database = open_existing_database(config)  # no migration, nothing created but the target's record
    try:
        with database.session() as s:
            slug = (slug or config["MUNICIPALITY_SLUG"]).strip()
            municipality = s.scalar(select(Municipality).where(Municipality.slug == slug))
            if municipality is None:
                raise BadInput(unknown_municipality(s, slug))
            data = build_report(
                s,
                municipality,
                year,
                template=template,
                rules_dir=Path(config["RULES_DIR"]),
                timezone=timezone_of(municipality, config),
            )
            s.commit()  # the climate target's text, as the figures used it (store/targets.record)
            name = municipality.name
    finally:
        database.dispose()
    _write_all([(output, data)])
    click.echo(
        translated(Message(N_("{file}: Klimacheck-Bericht {year} für {name}"), file=str(output), year=year, name=name))
    )

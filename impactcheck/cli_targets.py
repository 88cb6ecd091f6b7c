"""`impactcheck targets check [FILE | --municipality SLUG]`: check a municipality's climate target file.

Like `rules check`: without Flask or a database; OK on stdout, or exit status 2 and one line on stderr
naming file, line and the problem in plain German.
"""

from __future__ import annotations

from pathlib import Path

import click

from impactcheck.cli import BadInput, _rules_dir, cli


@cli.group()
def targets() -> None:
    """Klimaziele der Kommunen (Basisjahr, Emissionen je Sektor, Zielpfad) prüfen."""


@targets.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--municipality", "slug", default=None, metavar="SLUG", help="Kürzel der Kommune")
def targets_check(file: Path | None, slug: str | None) -> None:
    """Eine Klimaziel-Datei prüfen (ohne Angabe: die aller Kommunen im Regelordner RULES_DIR)."""
    from impactcheck.store import municipalities as municipal
    from impactcheck.store import targets as t

    rules_dir = _rules_dir()
    if file is not None and slug is not None:
        raise BadInput("Bitte entweder eine Datei oder --municipality angeben, nicht beides.")
    if slug is not None:
        if municipal.slug_problem(slug):
            raise BadInput(municipal.slug_problem(slug))
        file = t.target_file(slug, rules_dir)
        if not file.is_file():
            raise BadInput(f"{file}: Die Kommune „{slug}“ hat noch keine Klimaziel-Datei.")
        files = [file]
    elif file is not None:
        files = [file]
    else:
        files = [
            p for folder in municipal.own_folders(rules_dir) if (p := t.target_file(folder.name, rules_dir)).is_file()
        ]
        if not files:
            raise BadInput(
                f"{rules_dir}: keine Klimaziel-Datei gefunden (erwartet: kommunen/<kürzel>/ziele/{t.TARGET_FILE})"
            )
    for path in files:
        try:
            target = t.load_target(path, rules_dir=rules_dir)  # a file elsewhere: the installation's rule sets
        except t.TargetFileError as exc:
            raise BadInput(str(exc)) from None
        click.echo(f"OK  {path}  ({target.title}, Version {target.version}, {_path_words(target)})")


def _path_words(target) -> str:
    if target.path_kind == "yearly_percent":
        return f"−{target.percent_per_year:g} % von {target.base_year} je Jahr, klimaneutral {target.neutrality_year}"
    if target.path_kind == "linear":
        return f"Gerade von {target.base_year} bis zur Klimaneutralität {target.neutrality_year}"
    budget = f"{target.budget_t:,.0f}".replace(",", ".")
    return f"Restbudget {budget} t CO2e ab {target.start_year}, klimaneutral {target.neutrality_year}"

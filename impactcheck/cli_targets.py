"""`impactcheck targets check [FILE | --municipality SLUG]`: check a municipality's climate target file.

Like `rules check`: without Flask or a database; OK on stdout, or exit status 2 and one line on stderr
naming file, line and the problem in plain German.
"""

from __future__ import annotations

from pathlib import Path

import click

from impactcheck.cli import LANG_OPTION, BadInput, _rules_dir, _speaking, cli
from impactcheck.core.i18n import N_, Message, Number, translated


@cli.group()
def targets() -> None:
    """Klimaziele der Kommunen (Basisjahr, Emissionen je Sektor, Zielpfad) prüfen."""


@targets.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--municipality", "slug", default=None, metavar="SLUG", help="Kürzel der Kommune")
@LANG_OPTION
@_speaking
def targets_check(file: Path | None, slug: str | None, lang: str) -> None:
    """Eine Klimaziel-Datei prüfen (ohne Angabe: die aller Kommunen im Regelordner RULES_DIR)."""
    from impactcheck.store import municipalities as municipal
    from impactcheck.store import targets as t

    rules_dir = _rules_dir()
    if file is not None and slug is not None:
        raise BadInput(N_("Bitte entweder eine Datei oder --municipality angeben, nicht beides."))
    if slug is not None:
        if municipal.slug_problem(slug):
            raise BadInput(municipal.slug_problem(slug))
        file = t.target_file(slug, rules_dir)
        if not file.is_file():
            raise BadInput(
                Message(N_("{file}: Die Kommune „{slug}“ hat noch keine Klimaziel-Datei."), file=str(file), slug=slug)
            )
        files = [file]
    elif file is not None:
        files = [file]
    else:
        files = [
            p for folder in municipal.own_folders(rules_dir) if (p := t.target_file(folder.name, rules_dir)).is_file()
        ]
        if not files:
            raise BadInput(
                Message(
                    N_("{folder}: keine Klimaziel-Datei gefunden (erwartet: kommunen/<kürzel>/ziele/{file})"),
                    folder=str(rules_dir),
                    file=t.TARGET_FILE,
                )
            )
    for path in files:
        try:
            target = t.load_target(path, rules_dir=rules_dir)  # a file elsewhere: the installation's rule sets
        except t.TargetFileError as exc:
            raise BadInput(exc.one_line()) from None  # in --lang
        about = Message(
            N_("{title}, Version {version}, {path}"),
            title=target.title,
            version=target.version,
            path=_path_words(target),
        )
        click.echo(f"OK  {path}  ({translated(about)})")


def _path_words(target) -> Message:
    """The target's path in words (years as they are, amounts the reader's way)."""
    if target.path_kind == "yearly_percent":
        return Message(
            N_("−{percent} % von {base} je Jahr, klimaneutral {neutral}"),
            percent=Number(target.percent_per_year),
            base=target.base_year,
            neutral=target.neutrality_year,
        )
    if target.path_kind == "linear":
        return Message(
            N_("Gerade von {base} bis zur Klimaneutralität {neutral}"),
            base=target.base_year,
            neutral=target.neutrality_year,
        )
    return Message(
        N_("Restbudget {budget} t CO2e ab {start}, klimaneutral {neutral}"),
        budget=Number(round(target.budget_t)),
        start=target.start_year,
        neutral=target.neutrality_year,
    )

"""The `impactcheck` console script.

Commands import what they need when they run, so `assess` and `rules check` start without Flask or
SQLAlchemy. Exit status: 0 success, 2 bad input (one line on stderr), 1 anything else.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from impactcheck.core.errors import InputError


class BadInput(click.ClickException):
    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Klimacheck für Beschlussvorlagen."""


# --- rules ------------------------------------------------------------------------------------


@cli.group()
def rules() -> None:
    """Regelwerke prüfen."""


@rules.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def rules_check(paths: tuple[Path, ...]) -> None:
    """Regeldateien prüfen (ohne PATH: alle in rules/, samt Beispielen)."""
    from impactcheck.core import registry
    from impactcheck.core.examples import check_examples
    from impactcheck.core.loader import check_file

    files = list(paths)
    with_examples = not files
    if not files:
        directory = registry.rules_dir()
        files = registry.factor_files(directory) + registry.ruleset_files(directory)
        if not files:
            raise BadInput(f"{directory}: keine Regeldateien gefunden")
    problems = []
    for path in files:
        found = check_file(path)
        problems += found
        if not found:
            click.echo(f"OK  {path}")
    if with_examples:
        for line, found in check_examples(registry.rules_dir()):
            problems += found
            if not found:
                click.echo(f"OK  {line}")
    for p in problems:
        click.echo(str(p), err=True)
    if len(problems) > 1:
        click.echo(f"{len(problems)} Probleme gefunden.", err=True)
    if problems:
        sys.exit(2)


# --- assess -----------------------------------------------------------------------------------


@cli.command()
@click.option("--rules", "rules_ref", required=True, metavar="ID_OR_PATH", help="Regelwerk-ID oder Pfad")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.argument("answers", type=click.Path(path_type=Path))
def assess(rules_ref: str, fmt: str, answers: Path) -> None:
    """Eine Antwortdatei (YAML oder JSON) ohne Web-Oberfläche bewerten."""
    from impactcheck.core.answers import evaluate_submission, load_submission
    from impactcheck.core.registry import resolve_ruleset

    ruleset = resolve_ruleset(rules_ref)
    submission = load_submission(answers)
    result = evaluate_submission(ruleset, submission)
    if fmt == "text":
        from impactcheck.core.textreport import render_text

        click.echo(render_text(result), nl=False)
    else:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


# --- docx -------------------------------------------------------------------------------------


@cli.group()
def docx() -> None:
    """Word-Dateien: den Klimacheck in eine Beschlussvorlage einfügen."""


@docx.command("insert")
@click.option("--rules", "rules_ref", metavar="ID_OR_PATH", help="Regelwerk-ID oder Pfad (mit --answers)")
@click.option("--answers", type=click.Path(path_type=Path), help="Antwortdatei (YAML oder JSON)")
@click.option("--check", "check_id", metavar="ID", help="ein gespeicherter Klimacheck der Web-Anwendung")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Ausgabedatei (.docx)")
@click.option(
    "--annex",
    type=click.Choice(["none", "end", "separate"]),
    default="none",
    show_default=True,
    help="Anlage mit allen Fragen und Antworten: keine, am Dokumentende oder als eigene Datei",
)
@click.option("--annex-output", type=click.Path(path_type=Path), help="Datei der Anlage (Standard: OUT-anhang.docx)")
@click.option("--author", help="Name der bearbeitenden Person für die Referenzzeile")
@click.option("--no-chart", is_flag=True, help="ohne Diagramm")
@click.argument("source", metavar="IN.docx", type=click.Path(path_type=Path))
def docx_insert(
    rules_ref: str | None,
    answers: Path | None,
    check_id: str | None,
    output: Path,
    annex: str,
    annex_output: Path | None,
    author: str | None,
    no_chart: bool,
    source: Path,
) -> None:
    """Den Klimacheck-Abschnitt in IN.docx einfügen (oder ersetzen) und als OUT.docx speichern."""
    from impactcheck.core.verification import Reference
    from impactcheck.word import insert_section

    if check_id is not None and (rules_ref or answers):
        raise BadInput("entweder --check oder --rules mit --answers angeben, nicht beides")
    if check_id is None and not (rules_ref and answers):
        raise BadInput("--rules und --answers angeben (oder --check ID)")
    if annex_output is not None and annex != "separate":
        raise BadInput("--annex-output gilt nur mit --annex separate")
    if annex == "separate" and annex_output is None:
        annex_output = output.with_name(f"{output.stem}-anhang.docx")
    for target in (output, annex_output):
        if target is None:
            continue
        if _same_file(target, source):
            raise BadInput(f"{target}: die Ausgabe darf die Eingabedatei nicht überschreiben")
        if not target.parent.is_dir():
            raise BadInput(f"{target}: Ordner {target.parent} existiert nicht")
    if check_id is not None:
        result, reference = _result_for_check(check_id)
        if author:
            reference = Reference(check_id=reference.check_id, author=author, date=reference.date)
    else:
        from impactcheck.core.answers import evaluate_submission, load_submission
        from impactcheck.core.registry import resolve_ruleset

        result = evaluate_submission(resolve_ruleset(rules_ref), load_submission(answers))
        reference = Reference(check_id=None, author=author)
    outcome = insert_section(source, result, reference, annex=annex, chart=not no_chart, limits=_word_limits())
    files = [(output, outcome.docx)]
    if outcome.annex_docx is not None and annex_output is not None:
        files.append((annex_output, outcome.annex_docx))
    _write_all(files)
    places = {
        "content_control": "im Inhaltssteuerelement „klimacheck“",
        "bookmark": "nach der Textmarke „klimacheck“",
        "placeholder": "anstelle des Platzhalters {{klimacheck}}",
        "heading": "nach dem Abschnitt „Finanzielle Auswirkungen“",
        "end": "am Ende des Dokuments",
    }
    click.echo(f"{output}: Klimacheck {places[outcome.anchor_kind]} eingefügt (Prüfcode {outcome.verification_code})")
    for note in outcome.notes:  # what was dropped because Word would fetch it on opening
        click.echo(f"{output}: {note}")
    if len(files) > 1:
        click.echo(f"{annex_output}: Anlage mit allen Fragen und Antworten")


def _word_limits():
    """The limits the installation configured for Word files (settings.py), the same the web app applies."""
    from impactcheck import settings
    from impactcheck.word import Limits

    return Limits.from_config(settings.load())


def _result_for_check(check_id: str):
    """The stored Result and reference line of check "12" or "12-3" from the web app's database.

    Only this path loads SQLAlchemy; --rules/--answers stay without it.
    """
    from impactcheck.cli_server import _config, open_existing_database
    from impactcheck.store.queries import stored_result

    config = _config()
    database = open_existing_database(config)  # read only: no migration, nothing created
    try:
        with database.session() as s:
            return stored_result(s, check_id, config["TIMEZONE"])
    finally:
        database.dispose()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _write_all(files: list[tuple[Path, bytes]]) -> None:
    """Write each file to a temporary file beside it, then rename: never a half-written output."""
    import tempfile

    temps: list[tuple[str, Path]] = []
    try:
        for target, data in files:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            temps.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temps:
            os.replace(tmp, target)
    except OSError as exc:
        where = temps[-1][1] if temps else files[0][0]
        raise BadInput(f"{where}: nicht schreibbar ({exc.strerror or exc})") from None
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


# --- server, database, users (their own module; imported here so they register) ---------------

import impactcheck.cli_server  # noqa: E402,F401

# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="impactcheck", standalone_mode=False)
    except InputError as exc:
        _fail(exc.one_line(), 2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("abgebrochen", 1)
    except click.ClickException as exc:
        # Usage errors are bad input too: one line, exit 2.
        code = 2 if isinstance(exc, click.UsageError | BadInput) else exc.exit_code
        _fail(_one_line(exc.format_message()), code)
    except KeyboardInterrupt:
        _fail("abgebrochen", 1)
    except Exception as exc:
        if os.environ.get("IMPACTCHECK_DEBUG"):
            raise
        _fail(f"interner Fehler: {type(exc).__name__}: {_one_line(str(exc))}", 1)
    sys.exit(0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(message: str, code: int) -> None:
    click.echo(f"impactcheck: {message}", err=True)
    sys.exit(code)

"""The `impactcheck` console script.

Commands import what they need when they run, so `assess` and `rules check` start without Flask or
SQLAlchemy. Exit status: 0 success, 2 bad input (one line on stderr), 1 anything else.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from impactcheck.core.errors import InputError
from impactcheck.core.i18n import N_, Message, Number, gettext_for, translated


class BadInput(click.ClickException):
    """Bad input: exit status 2, one line. The message (a `core.i18n.Message` or a msgid) is said in the
    command's language (`--lang`, see `_speaking`), German otherwise."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(translated(message))


# The language of what a command writes (the Word section, the text report): German or English.
LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["de", "en"]),
    default="de",
    show_default=True,
    help="Sprache der festen Texte (de oder en); Texte des Regelwerks ohne Englisch bleiben deutsch",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Klimacheck für Beschlussvorlagen."""


def _rules_dir() -> Path:
    """The installation's rules folder: RULES_DIR as every entry point reads it (settings.load)."""
    from impactcheck import settings

    return Path(settings.load()["RULES_DIR"])


@contextlib.contextmanager
def _in_language(lang: str) -> Iterator[None]:
    """Core and store messages of the command in `lang` (`--lang`). German stays exactly as it always was:
    the InputError goes on to `main`; in English it leaves translated, as bad input (exit status 2)."""
    from impactcheck.core.i18n import speaking

    with speaking(lang):
        try:
            yield
        except InputError as exc:
            if lang == "de":
                raise
            raise BadInput(exc.one_line()) from None


def _speaking(command):
    """A command that takes `--lang` runs in that language (`_in_language`): one wrapper for every such command."""

    @functools.wraps(command)
    def run(*args, lang: str, **kwargs):
        with _in_language(lang):
            return command(*args, lang=lang, **kwargs)

    return run


# --- rules ------------------------------------------------------------------------------------


@cli.group()
def rules() -> None:
    """Regelwerke prüfen."""


@rules.command("check")
@LANG_OPTION
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_speaking
def rules_check(paths: tuple[Path, ...], lang: str) -> None:
    """Regeldateien prüfen (ohne PATH: alle im Regelordner RULES_DIR, samt Beispielen)."""
    from impactcheck.core import registry
    from impactcheck.core.examples import check_examples
    from impactcheck.core.loader import check_file
    from impactcheck.store import municipalities as municipal

    files = list(paths)
    with_examples = not files
    directory = _rules_dir()
    # The shared rule sets, then each municipality's own (RULES_DIR/kommunen/<slug>/, same layout).
    folders = [directory, *municipal.own_folders(directory)] if with_examples else []
    if not files:
        for folder in folders:
            files += registry.factor_files(folder) + registry.ruleset_files(folder)
        if not files:
            raise BadInput(Message(N_("{folder}: keine Regeldateien gefunden"), folder=str(directory)))
    problems = [*municipal.own_folder_problems(directory)] if with_examples else []
    for path in files:
        notes: list = []
        found = check_file(path, notes)
        problems += found
        if not found:
            click.echo(f"OK  {path}")
            for note in notes:  # information only (English texts missing): no problem, exit status 0
                click.echo(f"    {note}")
    for folder in folders:
        for line, found in check_examples(folder):
            problems += found
            if not found:
                click.echo(f"OK  {translated(line)}")
    if with_examples:  # each municipality's climate target (kommunen/<slug>/ziele/klimaziel.yaml)
        from impactcheck.store.targets import check_all

        for path, found in check_all(directory):
            problems += found
            if not found:
                click.echo(f"OK  {path}")
    for p in problems:
        click.echo(str(p), err=True)
    if len(problems) > 1:
        click.echo(translated(Message(N_("{n} Probleme gefunden."), n=Number(len(problems)))), err=True)
    if problems:
        sys.exit(2)


# --- assess -----------------------------------------------------------------------------------


@cli.command()
@click.option("--rules", "rules_ref", required=True, metavar="ID_OR_PATH", help="Regelwerk-ID oder Pfad")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@LANG_OPTION
@click.argument("answers", type=click.Path(path_type=Path))
@_speaking
def assess(rules_ref: str, fmt: str, lang: str, answers: Path) -> None:
    """Eine Antwortdatei (YAML oder JSON) ohne Web-Oberfläche bewerten (JSON: sprachneutral, wie gespeichert)."""
    from impactcheck.core.answers import evaluate_submission, load_submission
    from impactcheck.core.registry import resolve_ruleset

    ruleset = resolve_ruleset(rules_ref, _rules_dir())
    submission = load_submission(answers)
    result = evaluate_submission(ruleset, submission)
    if fmt == "text":
        from impactcheck.core.localize import localize
        from impactcheck.core.textreport import render_text

        click.echo(render_text(localize(result, ruleset, lang)), nl=False)
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
@click.option(
    "--result",
    "result_file",
    type=click.Path(path_type=Path),
    help="ein Ergebnis als JSON, wie „impactcheck assess“ es schreibt (einmal bewerten, in mehrere Fassungen einfügen)",
)
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
@LANG_OPTION
@click.argument("source", metavar="IN.docx", type=click.Path(path_type=Path))
@_speaking
def docx_insert(
    rules_ref: str | None,
    answers: Path | None,
    check_id: str | None,
    result_file: Path | None,
    output: Path,
    annex: str,
    annex_output: Path | None,
    author: str | None,
    no_chart: bool,
    lang: str,
    source: Path,
) -> None:
    """Den Klimacheck-Abschnitt in IN.docx einfügen (oder ersetzen) und als OUT.docx speichern."""
    from impactcheck.core.verification import Reference
    from impactcheck.word import insert_section

    sources = (check_id is not None) + (result_file is not None) + bool(rules_ref or answers)
    if sources > 1:
        raise BadInput(N_("entweder --check, --result oder --rules mit --answers angeben, nicht mehrere"))
    if sources == 0 or ((rules_ref or answers) and not (rules_ref and answers)):
        raise BadInput(N_("--rules und --answers angeben (oder --check ID oder --result DATEI)"))
    if annex_output is not None and annex != "separate":
        raise BadInput(N_("--annex-output gilt nur mit --annex separate"))
    if annex == "separate" and annex_output is None:
        annex_output = output.with_name(f"{output.stem}-anhang.docx")
    for target in (output, annex_output):
        if target is None:
            continue
        if _same_file(target, source):
            raise BadInput(
                Message(N_("{file}: die Ausgabe darf die Eingabedatei nicht überschreiben"), file=str(target))
            )
        if not target.parent.is_dir():
            raise BadInput(_no_folder(target))
    if check_id is not None:
        result, reference = _result_for_check(check_id, lang)
        if author:
            reference = Reference(check_id=reference.check_id, author=author, date=reference.date)
    elif result_file is not None:
        result = _result_from_file(result_file, lang)
        reference = Reference(check_id=None, author=author)
    else:
        from impactcheck.core.answers import evaluate_submission, load_submission
        from impactcheck.core.localize import localize
        from impactcheck.core.registry import resolve_ruleset

        ruleset = resolve_ruleset(rules_ref, _rules_dir())
        result = localize(evaluate_submission(ruleset, load_submission(answers)), ruleset, lang)
        reference = Reference(check_id=None, author=author)
    outcome = insert_section(source, result, reference, annex=annex, chart=not no_chart, limits=_word_limits())
    files = [(output, outcome.docx)]
    if outcome.annex_docx is not None and annex_output is not None:
        files.append((annex_output, outcome.annex_docx))
    _write_all(files)
    places = {
        "content_control": N_("im Inhaltssteuerelement „klimacheck“"),
        "bookmark": N_("nach der Textmarke „klimacheck“"),
        "placeholder": N_("anstelle des Platzhalters {{klimacheck}}"),
        "heading": N_("nach dem Abschnitt „Finanzielle Auswirkungen“"),
        "end": N_("am Ende des Dokuments"),
    }
    inserted = Message(
        N_("{file}: Klimacheck {place} eingefügt (Prüfcode {code})"),
        file=str(output),
        place=Message(places[outcome.anchor_kind]),
        code=outcome.verification_code,
    )
    click.echo(translated(inserted))
    for note in outcome.notes:  # what was dropped because Word would fetch it on opening (a Message, in --lang)
        click.echo(f"{output}: {translated(note)}")
    if len(files) > 1:
        click.echo(translated(Message(N_("{file}: Anlage mit allen Fragen und Antworten"), file=str(annex_output))))


def _no_folder(target: Path) -> Message:
    return Message(N_("{file}: Ordner {folder} existiert nicht"), file=str(target), folder=str(target.parent))


def _not_writable(target: Path, exc: OSError) -> Message:
    return Message(N_("{file}: nicht schreibbar ({reason})"), file=str(target), reason=exc.strerror or str(exc))


def _word_limits():
    """The limits the installation configured for Word files (settings.py), the same the web app applies."""
    from impactcheck import settings
    from impactcheck.word import Limits

    return Limits.from_config(settings.load())


def _result_for_check(check_id: str, lang: str = "de"):
    """The stored Result (in `lang`) and reference line of check "12" or "12-3" from the web app's database.

    Only this path loads SQLAlchemy; --rules/--answers stay without it.
    """
    from impactcheck.cli_server import _config, open_existing_database
    from impactcheck.core.registry import RulesetCache
    from impactcheck.store.municipalities import timezone_of_check
    from impactcheck.store.queries import stored_result

    config = _config()
    database = open_existing_database(config)  # read only: no migration, nothing created
    try:
        with database.session() as s:
            timezone = timezone_of_check(s, check_id, config)
            return stored_result(s, check_id, timezone, locale=lang, rulesets=RulesetCache(_rules_dir()).get)
    finally:
        database.dispose()


def _result_from_file(path: Path, lang: str = "de"):
    """The Result in a JSON file that `assess` wrote (language-neutral), in `lang`. No rule set is loaded
    for German; another language takes its texts from the rule set of the same id, where there is one."""
    from impactcheck.core.errors import Problem
    from impactcheck.core.result import result_from_dict

    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(N_("Datei nicht gefunden"), name)) from None
    except OSError as exc:  # a folder, no permission, …
        raise InputError(
            Problem(Message(N_("Datei nicht lesbar ({detail})"), detail=exc.strerror or exc), name)
        ) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))  # as `assess` writes it (json.loads would guess UTF-16 too)
    except UnicodeDecodeError:
        raise InputError(Problem(N_("keine UTF-8-Textdatei"), name)) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(Message(N_("kein gültiges JSON ({detail})"), detail=exc.msg), name, exc.lineno)
        ) from None
    except RecursionError:  # nested deeper than any result
        raise InputError(Problem(N_("kein Ergebnis, wie „impactcheck assess“ es schreibt"), name)) from None
    try:
        result = result_from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError):
        raise InputError(Problem(N_("kein Ergebnis, wie „impactcheck assess“ es schreibt"), name)) from None
    if lang == "de":
        return result
    from impactcheck.core.localize import localize
    from impactcheck.core.model import is_file_id
    from impactcheck.core.registry import RulesetCache

    ident = result.ruleset.id
    ruleset = None
    # Only a rule set id, looked up in the rules folder: a result file must never name a path to be read.
    if is_file_id(ident):
        try:
            ruleset = RulesetCache(_rules_dir()).get(ident)
        except InputError:  # none of that id here: the stored texts, with the fixed labels in `lang`
            ruleset = None
    return localize(result, ruleset, lang)


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
        raise BadInput(_not_writable(where, exc)) from None
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


# --- export -----------------------------------------------------------------------------------

# option -> URL parameter of the register (store/listing.ARGS): one parser (listing.parse_filter) decides.
_EXPORT_FILTERS = {
    "status": "status",
    "votum": "votum",
    "votum_beschlossen": "votum_beschlossen",
    "amt": "amt",
    "gremium": "gremium",
    "von": "von",
    "bis": "bis",
    "regelwerk": "regelwerk",
    "ausnahme": "ausnahme",
    "beschluss": "beschluss",
    "geaendert": "geaendert",
    "suche": "q",
    "sort": "sort",
}
_EXPORT_FLAGS = {"markiert": "markiert", "fragil": "fragil", "offen": "offen"}


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Standard: nach der Dateiendung von -o")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Ausgabedatei (.csv oder .xlsx)")
@click.option("--municipality", "slug", metavar="SLUG", help="Kommune (Standard: die der Installation)")
@click.option("--status", help="Stand: draft, submitted, approved, returned")
@click.option("--votum", help="Votum der Vorlage: negative, neutral, positive, not_relevant")
@click.option("--votum-beschlossen", "votum_beschlossen", help="Votum des Beschlossenen")
@click.option("--amt", help="Amt (genau wie gespeichert)")
@click.option("--gremium", help="Gremium (genau wie gespeichert)")
@click.option("--von", metavar="JJJJ-MM-TT", help="eingereicht ab diesem Tag")
@click.option("--bis", metavar="JJJJ-MM-TT", help="eingereicht bis einschließlich diesem Tag")
@click.option("--regelwerk", metavar="ID[@VERSION]", help="Regelwerk, optional mit Version")
@click.option("--ausnahme", metavar="GRUND", help="Grund des Ausstiegs in der Vorprüfung (ID)")
@click.option("--markiert", is_flag=True, help="nur markierte")
@click.option("--fragil", is_flag=True, help="nur nicht robuste Ergebnisse")
@click.option("--offen", is_flag=True, help="nur mit offenen Punkten („unbekannt“)")
@click.option("--pruefer", metavar="BENUTZERNAME", help="geprüft von diesem Konto")
@click.option("--beschluss", help="Beschluss des Rats (oder „offen“: noch keiner eingetragen)")
@click.option("--geaendert", help="wegen des Klimachecks geändert: yes, partly, no")
@click.option("--suche", metavar="TEXT", help="in Drucksachennummer und Titel")
@click.option("--sort", metavar="SCHLÜSSEL", help="Sortierung wie im Register, z. B. -datum, nummer, co2")
@click.option("--basis-url", "base_url", metavar="URL", help="Adresse der Web-Anwendung für die Spalte Link")
@LANG_OPTION
@_speaking
def export_cmd(
    fmt: str | None, output: Path, slug: str | None, pruefer: str | None, base_url: str | None, lang: str, **options
):
    """Das Register (alle Klimachecks der Kommune, gefiltert wie im Web) als CSV oder XLSX speichern."""
    from sqlalchemy import select

    from impactcheck.store import export, listing
    from impactcheck.store.models import Municipality, User

    if output.is_dir():
        raise BadInput(_is_folder(output))
    if fmt is None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise BadInput(
                Message(N_("{file}: --format csv oder xlsx angeben (oder die Endung .csv/.xlsx)"), file=str(output))
            )
    if not output.parent.is_dir():
        raise BadInput(_no_folder(output))
    if not os.access(output.parent, os.W_OK):
        raise BadInput(
            Message(N_("{file}: Ordner {folder} ist nicht beschreibbar"), file=str(output), folder=str(output.parent))
        )
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise BadInput(Message(N_("--basis-url: „{url}“ ist keine Adresse (http:// oder https://)"), url=base_url))
    args = {arg: options[name].strip() for name, arg in _EXPORT_FILTERS.items() if options[name] is not None}
    for name, arg in _EXPORT_FILTERS.items():
        if arg in args and not args[arg]:
            raise BadInput(Message(N_("{option}: leerer Wert"), option=f"--{name.replace('_', '-')}"))
    args.update({arg: "1" for name, arg in _EXPORT_FLAGS.items() if options[name]})
    from impactcheck.cli_server import _config, open_existing_database
    from impactcheck.store.municipalities import timezone_of

    config = _config()
    database = open_existing_database(config)  # read only: no migration, nothing created
    try:
        with database.session() as s:
            slug = slug or config["MUNICIPALITY_SLUG"]
            municipality = s.scalar(select(Municipality).where(Municipality.slug == slug))
            if municipality is None:
                raise BadInput(unknown_municipality(s, slug))
            timezone = _export_timezone({"TIMEZONE": timezone_of(municipality, config)})
            if pruefer is not None:
                reviewer = s.scalar(
                    select(User.id).where(User.username == pruefer.strip(), User.municipality_id == municipality.id)
                )
                if reviewer is None:
                    raise BadInput(
                        Message(N_("--pruefer: Konto „{name}“ gibt es in „{slug}“ nicht"), name=pruefer, slug=slug)
                    )
                args["pruefer"] = str(reviewer)
            flt = listing.parse_filter(args, timezone)
            _refuse_ignored(args, flt)
            query = listing.register_query(municipality.id, "climate", flt)  # the department's view: everything
            rows = export.export_rows(
                s,
                query,
                municipality_id=municipality.id,
                role="climate",
                timezone=timezone,
                link=export.check_link(base_url),
                rulesets=_export_rulesets(config, municipality.slug),
                translate=gettext_for(lang),
            )
            count = _write_export(output, fmt, rows, gettext_for(lang))
    finally:
        database.dispose()
    if count == 1:
        done = Message(N_("{file}: 1 Klimacheck exportiert ({format})"), file=str(output), format=fmt.upper())
    else:
        done = Message(
            N_("{file}: {n} Klimachecks exportiert ({format})"), file=str(output), n=Number(count), format=fmt.upper()
        )
    click.echo(translated(done))


def _is_folder(output: Path) -> Message:
    return Message(N_("{file}: ist ein Ordner, keine Datei"), file=str(output))


def unknown_municipality(s, slug: str) -> Message:
    """--municipality names none of the installation's municipalities: say which there are."""
    from sqlalchemy import select

    from impactcheck.store.models import Municipality

    known = ", ".join(s.scalars(select(Municipality.slug).order_by(Municipality.slug))) or Message(N_("keine"))
    return Message(N_("--municipality: Kommune „{slug}“ gibt es nicht; vorhanden: {known}"), slug=slug, known=known)


def _export_timezone(config) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    timezone = str(config["TIMEZONE"])
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(
            Message(N_("Einstellung TIMEZONE: Zeitzone „{timezone}“ unbekannt"), timezone=timezone)
        ) from None
    return timezone


def _refuse_ignored(args: dict[str, str], flt) -> None:
    """The register ignores a malformed URL parameter (a shared link never breaks the page) and says
    so; on the command line such a value is a typo: name the option and what it accepts."""
    from impactcheck.store import listing
    from impactcheck.store.current import CHANGED_BY_CHECK, OUTCOMES
    from impactcheck.store.roles import STATUSES

    hints = {
        "status": ", ".join(STATUSES),
        "votum": ", ".join(listing.VERDICTS),
        "votum_beschlossen": ", ".join(listing.VERDICTS),
        "von": Message(N_("ein Datum JJJJ-MM-TT")),
        "bis": Message(N_("ein Datum JJJJ-MM-TT")),
        "beschluss": ", ".join((*OUTCOMES, "offen")),
        "geaendert": ", ".join(CHANGED_BY_CHECK),
        "sort": ", ".join(f"{k}, -{k}" for k in listing.SORTS),
    }
    options = {arg: name for name, arg in {**_EXPORT_FILTERS, **_EXPORT_FLAGS}.items()}
    for attribute in listing.ignored_args(args, flt):
        arg = listing.ARGS[attribute]
        name = options.get(arg, arg)
        hint = hints.get(name)
        option, value = f"--{name.replace('_', '-')}", args.get(arg, "")
        if hint:
            raise BadInput(
                Message(
                    N_("{option}: „{value}“ ungültig; erlaubt: {allowed}"), option=option, value=value, allowed=hint
                )
            )
        raise BadInput(Message(N_("{option}: „{value}“ ungültig"), option=option, value=value))


def _export_rulesets(config, slug: str):
    """The rule sets as the municipality sees them: its own folder first, then the shared ones."""
    from impactcheck.store.municipalities import Rulesets

    return Rulesets(Path(config["RULES_DIR"])).getter(slug)


def _write_export(output: Path, fmt: str, rows, translate) -> int:
    """Stream into a temporary file beside OUTPUT, then rename: never a half-written export (header and
    sheet names through `translate`, the language of --lang)."""
    import tempfile

    from impactcheck.store import export

    try:
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    except OSError as exc:
        raise BadInput(_not_writable(output, exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write = export.write_csv if fmt == "csv" else export.write_xlsx
            count = write(rows, fh, translate=translate)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, output)  # private to its owner (mkstemp), like `docx insert`: it holds names
    except OSError as exc:
        raise BadInput(_not_writable(output, exc)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count


# --- server, database, users (their own module; imported here so they register) ---------------

import impactcheck.cli_municipalities  # noqa: E402
import impactcheck.cli_report  # noqa: E402
import impactcheck.cli_server  # noqa: E402
import impactcheck.cli_targets  # noqa: E402,F401

# --- entry point ------------------------------------------------------------------------------


def entry() -> None:
    """The process's entry point (the `impactcheck` command, `python -m impactcheck`): `main`, then a quick exit.

    At exit the interpreter runs a last garbage collection over every object the command left, some 10 ms
    for a Word insertion. gc.freeze skips it, and with it every finalizer of those objects: so only a command
    that holds nothing to release by then gets the quick exit. One that used the database (SQLAlchemy
    loaded) exits the ordinary way, so that its connections close (SQLite moves its WAL into the database
    file then); the others write their files in `with` blocks. atexit handlers run either way. Not in
    `main`: a test that calls it in its own process would keep everything it made for good.
    """
    try:
        main()
    finally:
        if "sqlalchemy" not in sys.modules:
            gc.freeze()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="impactcheck", standalone_mode=False)
    except InputError as exc:
        _fail(exc.one_line(), 2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail(translated(N_("abgebrochen"), _lang_of(argv)), 1)
    except click.ClickException as exc:
        # Usage errors are bad input too: one line, exit 2.
        code = 2 if isinstance(exc, click.UsageError | BadInput) else exc.exit_code
        _fail(_one_line(exc.format_message()), code)
    except KeyboardInterrupt:
        _fail(translated(N_("abgebrochen"), _lang_of(argv)), 1)
    except Exception as exc:
        if os.environ.get("IMPACTCHECK_DEBUG"):
            raise
        error = f"{type(exc).__name__}: {_one_line(str(exc))}"
        _fail(translated(Message(N_("interner Fehler: {error}"), error=error), _lang_of(argv)), 1)
    sys.exit(0)


def _lang_of(argv: list[str] | None) -> str:
    """The command line's --lang, for the lines `main` writes after the command has ended."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return "de"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(message: str, code: int) -> None:
    click.echo(f"impactcheck: {message}", err=True)
    sys.exit(code)

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

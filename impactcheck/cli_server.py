"""CLI commands around the server and the database: serve, db upgrade, users.

They reach the store through `bootstrap`, without the web app, except `serve` which runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from impactcheck.cli import LANG_OPTION, BadInput, _speaking, cli
from impactcheck.core.i18n import N_, Message, Number, translated
from impactcheck.store.roles import ROLES


def _say(pattern: str, /, **params) -> None:
    """One line on stdout in the command's language (`--lang`)."""
    click.echo(translated(Message(pattern, **params)))


def _unreachable(exc: Exception) -> Message:
    return Message(N_("Datenbank nicht erreichbar: {error}"), error=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")


def _config():
    from impactcheck import settings

    config = settings.load()
    settings.ensure_instance(config)
    return config


def _prepare(create_admin: bool = False):
    from impactcheck.bootstrap import prepare

    try:
        return prepare(_config(), create_admin=create_admin)
    except Exception as exc:  # an unreachable database is the operator's input: say it in one line
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            raise BadInput(_unreachable(exc)) from None
        raise


def open_existing_database(config):
    """The configured database as it is, for reading: refuses a missing or not yet migrated one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from impactcheck.store import migrate
    from impactcheck.store.db import Database

    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise BadInput(
            Message(
                N_("{file}: keine Datenbank vorhanden (erst „impactcheck serve“ oder „db upgrade“)"), file=url.database
            )
        )
    database = Database(config["DATABASE_URL"])
    try:
        current = migrate.current_revision(database.engine)
    except SQLAlchemyError as exc:
        database.dispose()
        raise BadInput(_unreachable(exc)) from None
    if current != migrate.head_revision(database.engine):
        database.dispose()
        raise BadInput(N_("die Datenbank ist nicht auf dem neuesten Stand; bitte „impactcheck db upgrade“ ausführen"))
    return database


@cli.command()
@click.option("--host", default=None, help="Adresse (Standard 127.0.0.1; 0.0.0.0 für alle)")
@click.option("--port", default=None, type=int, help="Port (Standard 8080)")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1, max=64),
    help="Arbeitsprozesse (Standard 1: waitress; mehr: gunicorn, nur Linux/Unix; Einstellung WORKERS)",
)
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(min=1, max=64),
    help="Threads je Prozess (Standard 8 bei einem Prozess, 1 je gunicorn-Prozess; Einstellung THREADS)",
)
@click.option(
    "--access-log",
    is_flag=True,
    help="mit --workers: eine Zeile je Anfrage auf die Standardausgabe (ohne Suchbegriffe)",
)
@click.option("--debug", is_flag=True, help="Flask-Entwicklungsserver mit Neuladen")
def serve(
    host: str | None, port: int | None, workers: int | None, threads: int | None, access_log: bool, debug: bool
) -> None:
    """Die Web-Anwendung starten (legt beim ersten Start Datenbank und Admin-Konto an)."""
    from impactcheck import serving

    config = _config()
    workers = workers or _count_setting(config, "WORKERS") or 1
    threads = threads or _count_setting(config, "THREADS")
    if workers > 1 and not serving.supports_workers():
        raise BadInput(N_("--workers über 1 braucht gunicorn und läuft nur unter Linux/Unix; hier: --workers 1"))
    # Migrations and the first start happen here, once, before any worker exists.
    prepared = _prepare(create_admin=True)
    host = host or config["HOST"]
    port = port or int(config["PORT"])
    if prepared.admin_password:
        click.echo("")
        click.echo("Erster Start: ein Admin-Konto wurde angelegt. Das Passwort wird nur jetzt angezeigt.")
        click.echo(f"  Benutzername: {prepared.admin_username}")
        click.echo(f"  Passwort:     {prepared.admin_password}")
        click.echo("")
    prepared.database.dispose()
    from impactcheck.app import create_app

    app = create_app()  # also with workers: a broken setting is one line here, not a crash per worker
    where = f"http://{bind_host(host)}:{port}/ (Datenbank: {_safe_url(config['DATABASE_URL'])})"
    if debug:
        click.echo(f"impactcheck läuft auf {where}")
        app.run(host=host, port=port, debug=True)
        return
    if workers == 1:
        click.echo(f"impactcheck läuft auf {where}")
        serving.run_waitress(app, host=host, port=port, threads=threads or 8)
        return
    word_seconds = float(config.get("WORD_MAX_SECONDS") or 0)
    if (threads or serving.GUNICORN_THREADS) == 1 and word_seconds >= serving.WORKER_TIMEOUT - 10:
        # A sync worker busy past gunicorn's timeout is killed: a Word file near its limit would end it.
        click.echo(
            translated(
                Message(
                    N_("Warnung: WORD_MAX_SECONDS ({n} s) liegt nahe an der Zeitgrenze eines Workers ({limit} s)"),
                    n=Number(word_seconds),
                    limit=Number(serving.WORKER_TIMEOUT),
                )
            ),
            err=True,
        )
    app.extensions["impactcheck.db"].dispose()  # no connection of the master's may reach a worker
    click.echo(f"impactcheck läuft auf {where} mit {workers} Arbeitsprozessen")
    serving.run(
        "impactcheck.app:create_app", host=host, port=port, workers=workers, threads=threads, access_log=access_log
    )


def bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _count_setting(config, key: str) -> int | None:
    value = config.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 64:
        raise BadInput(
            Message(
                N_("Einstellung {key}: eine ganze Zahl von 1 bis 64 erwartet, nicht „{value}“"), key=key, value=value
            )
        )
    return number


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@cli.group()
def db() -> None:
    """Datenbank verwalten."""


@db.command("upgrade")
@LANG_OPTION
@_speaking
def db_upgrade(lang: str) -> None:
    """Datenbank auf den neuesten Stand bringen (Migrationen anwenden)."""
    from impactcheck.store import migrate

    prepared = _prepare()
    _say(N_("Datenbank auf Stand {revision}."), revision=migrate.current_revision(prepared.database.engine))


@db.command("backup")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path), help="Sicherungsdatei")
@LANG_OPTION
@_speaking
def db_backup(output: Path, lang: str) -> None:
    """Die Datenbank im laufenden Betrieb sichern (SQLite: Online-Backup; PostgreSQL: pg_dump)."""
    from impactcheck.store import backup

    config = _config()
    open_existing_database(config).dispose()
    info = backup.backup(config["DATABASE_URL"], output)  # InputError: exit 2 with its one line (cli.main)
    if info.checks is None:
        _say(N_("Gesichert: {file}."), file=str(info.path))
    else:
        _say(N_("Gesichert: {file}, {n} Klimachecks."), file=str(info.path), n=Number(info.checks))


@db.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="ohne Rückfrage ersetzen")
@LANG_OPTION
@_speaking
def db_restore(source: Path, yes: bool, lang: str) -> None:
    """Die Datenbank durch eine Sicherung ersetzen. Den Server vorher anhalten."""
    from impactcheck.store import backup, migrate
    from impactcheck.store.db import Database

    config = _config()
    if not yes and not click.confirm(
        translated(N_("Die Datenbank wird durch die Sicherung ersetzt. Fortfahren?")), err=True
    ):
        raise BadInput(N_("abgebrochen, nichts geändert"))
    database = Database(config["DATABASE_URL"])
    head = migrate.head_revision(database.engine)
    database.dispose()
    info = backup.restore(config["DATABASE_URL"], source, head=head)  # InputError: exit 2 with its one line (cli.main)
    prepared = _prepare()  # brings an older backup up to this version's schema
    _say(
        N_("Wiederhergestellt aus {file}; Stand {revision}."),
        file=str(info.path),
        revision=migrate.current_revision(prepared.database.engine),
    )


@cli.group()
def users() -> None:
    """Benutzerkonten verwalten."""


def _read_password() -> str:
    """From standard input when it is not a terminal (scripts), else asked for twice."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise BadInput(N_("kein Passwort auf der Standardeingabe"))
        return password
    return click.prompt(
        translated(N_("Passwort")), hide_input=True, confirmation_prompt=translated(N_("Passwort wiederholen"))
    )


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--display-name", default=None, help="Voller Name (Standard: NAME)")
@click.option("--municipality", "slug", default=None, metavar="SLUG", help="Kommune (Standard: MUNICIPALITY_SLUG)")
@click.option("--installation-admin", is_flag=True, help="(mit --role admin) verwaltet auch die Kommunen")
@LANG_OPTION
@_speaking
def users_add(
    name: str, role: str, display_name: str | None, slug: str | None, installation_admin: bool, lang: str
) -> None:
    """Ein Konto anlegen; das Passwort kommt von der Standardeingabe oder wird abgefragt."""
    from impactcheck.bootstrap import default_municipality
    from impactcheck.cli_municipalities import find_municipality
    from impactcheck.store import operations as ops

    if installation_admin and role != "admin":
        raise BadInput(N_("--installation-admin gilt nur mit --role admin"))
    password = _read_password()
    prepared = _prepare()
    with prepared.database.session() as s:
        municipality = find_municipality(s, slug) if slug is not None else default_municipality(s, _config())
        user = ops.create_user(
            s, None, municipality=municipality, username=name, password=password, role=role, display_name=display_name
        )
        if installation_admin:
            ops.set_installation_admin(s, None, user, True)
        s.commit()
        place = municipality.name if slug is not None else None
    if place is None:
        _say(N_("Konto „{name}“ ({role}) angelegt."), name=name, role=role)
    else:
        _say(N_("Konto „{name}“ ({role}) in „{municipality}“ angelegt."), name=name, role=role, municipality=place)


@users.command("password")
@click.argument("name")
@LANG_OPTION
@_speaking
def users_password(name: str, lang: str) -> None:
    """Ein neues Passwort setzen (von der Standardeingabe oder abgefragt)."""
    from sqlalchemy import select

    from impactcheck.store import operations as ops
    from impactcheck.store.models import User

    password = _read_password()
    prepared = _prepare()
    with prepared.database.session() as s:
        user = s.scalar(select(User).where(User.username == name))
        if user is None:
            raise BadInput(_no_account(name))
        ops.set_password(s, None, user, password)
        s.commit()
    _say(N_("Passwort von „{name}“ geändert."), name=name)


@users.command("sso-release")
@click.argument("name")
@LANG_OPTION
@_speaking
def users_sso_release(name: str, lang: str) -> None:
    """Ein Konto für Single Sign-on freigeben: die nächste Anmeldung dieses Namens über OIDC oder LDAP
    übernimmt es samt seinen Klimachecks (ein neues Passwort macht das rückgängig)."""
    from sqlalchemy import select

    from impactcheck.store import operations as ops
    from impactcheck.store.models import User

    prepared = _prepare()
    with prepared.database.session() as s:
        user = s.scalar(select(User).where(User.username == name))
        if user is None:
            raise BadInput(_no_account(name))
        ops.release_for_sso(s, None, user)
        s.commit()
    _say(
        N_(
            "Konto „{name}“ ist für Single Sign-on freigegeben; die nächste Anmeldung über OIDC oder LDAP übernimmt es."
        ),
        name=name,
    )


@users.command("anonymise")
@click.argument("name")
@click.option("--yes", is_flag=True, help="ohne Rückfrage")
@LANG_OPTION
@_speaking
def users_anonymise(name: str, yes: bool, lang: str) -> None:
    """Das Konto einer ausgeschiedenen Person anonymisieren: deaktiviert, Name und Benutzername ersetzt
    (auch in Register, Exporten und Word-Abschnitt), Klimachecks und Protokoll bleiben. Endgültig."""
    from sqlalchemy import select

    from impactcheck.store import operations as ops
    from impactcheck.store.models import User

    prepared = _prepare()
    with prepared.database.session() as s:
        user = s.scalar(select(User).where(User.username == name))
        if user is None:
            raise BadInput(_no_account(name))
        if ops.is_anonymised(user):
            _say(N_("Konto „{name}“ ist bereits anonymisiert."), name=name)
            return
        question = Message(
            N_("Konto „{name}“ ({display_name}) endgültig anonymisieren?"), name=name, display_name=user.display_name
        )
        if not yes and not click.confirm(translated(question), err=True):
            raise BadInput(N_("abgebrochen, nichts geändert"))
        ops.anonymise_user(s, None, user)  # OperationError: exit 2 with its one line (cli.main)
        s.commit()
        _say(
            N_("Konto „{name}“ ist anonymisiert: jetzt „{username}“ ({display_name})."),
            name=name,
            username=user.username,
            display_name=user.display_name,
        )


@users.command("list")
@LANG_OPTION
@_speaking
def users_list(lang: str) -> None:
    """Alle Konten anzeigen."""
    from sqlalchemy import select

    from impactcheck.store import operations as ops
    from impactcheck.store.models import User

    prepared = _prepare()
    with prepared.database.session() as s:
        for user in s.scalars(select(User).order_by(User.username)):
            state = (
                translated(N_(" (anonymisiert)"))
                if ops.is_anonymised(user)
                else ""
                if user.active
                else translated(N_(" (deaktiviert)"))
            )
            if ops.sso_released(user):
                state += translated(N_(" (für Single Sign-on freigegeben)"))
            click.echo(f"{user.username}\t{user.role}\t{user.display_name}{state}")


def _no_account(name: str) -> Message:
    return Message(N_("Konto „{name}“ gibt es nicht"), name=name)

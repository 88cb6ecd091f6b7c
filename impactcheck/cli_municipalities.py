"""`impactcheck municipalities add|edit|list`: the municipalities of one installation (a district's
installation serves several towns). The server administrator's tool: it reaches the store through
`bootstrap`, without the web app; the web app's installation admins do the same at /admin/kommunen.
"""

from __future__ import annotations

from pathlib import Path

import click

from impactcheck.cli import LANG_OPTION, BadInput, _speaking, cli
from impactcheck.core.i18n import N_, Message, Number, translated


@cli.group()
def municipalities() -> None:
    """Kommunen der Installation verwalten (ein Kreis betreibt eine Installation für seine Gemeinden)."""


def _rulesets_option(value: str | None) -> list[str] | None:
    if value is None:
        return None
    ids = [part.strip() for part in value.split(",")]
    if not all(ids):
        raise BadInput(
            Message(
                N_("--rulesets: „{value}“ ungültig; Regelwerk-IDs mit Komma getrennt, z. B. kassel-2030,schnellcheck"),
                value=value,
            )
        )
    return ids


def offered(rulesets: list[str] | None, default: str | None, available: list[str], fallback: list[str]) -> list[str]:
    """The offered ids, default first: the given ones (else `fallback`), with `default` moved to the front."""
    ids = list(rulesets if rulesets is not None else fallback)
    if default is not None:
        ids = [default, *[i for i in ids if i != default]]
    return ids


def _optional_text(value: str | None) -> str | None:
    """A text option: None when not given, and None for an empty text (the installation's setting applies)."""
    if value is None:
        return None
    value = value.strip()
    return value or None


@municipalities.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Name der Kommune, z. B. „Stadt Arnstadt“")
@click.option("--timezone", default=None, help="IANA-Zeitzone (Standard: die Einstellung TIMEZONE der Installation)")
@click.option("--rulesets", default=None, metavar="ID,ID,…", help="angebotene Regelwerke (Standard: alle verfügbaren)")
@click.option(
    "--default-ruleset", default=None, metavar="ID", help="Standard-Regelwerk (Standard: das erste angebotene)"
)
@click.option("--neutrality-year", type=int, default=None, help="Zieljahr der Klimaneutralität, z. B. 2035")
@click.option("--oparl-endpoint", default=None, metavar="URL", help="OParl-Adresse des Ratsinformationssystems")
@LANG_OPTION
@_speaking
def municipalities_add(
    slug: str,
    name: str,
    timezone: str | None,
    rulesets: str | None,
    default_ruleset: str | None,
    neutrality_year: int | None,
    oparl_endpoint: str | None,
    lang: str,
) -> None:
    """Eine Kommune anlegen; ihre eigenen Regelwerke liegen in RULES_DIR/kommunen/SLUG/."""
    from impactcheck.cli_server import _config, _prepare
    from impactcheck.store import municipalities as municipal
    from impactcheck.store import operations as ops

    config = _config()
    rules_dir = Path(config["RULES_DIR"])
    slug = slug.strip()
    available = municipal.available_ids(rules_dir, slug) if municipal.SLUG.fullmatch(slug) else []
    fallback = available
    if config.get("DEFAULT_RULESET") in available and default_ruleset is None and rulesets is None:
        default_ruleset = config["DEFAULT_RULESET"]
    ids = offered(_rulesets_option(rulesets), default_ruleset, available, fallback)
    data = municipal.MunicipalityData(
        name=name,
        timezone=_optional_text(timezone),
        rulesets=ids,
        neutrality_year=neutrality_year,
        oparl_endpoint=_optional_text(oparl_endpoint),
    )
    prepared = _prepare()
    with prepared.database.session() as s:
        municipality = ops.create_municipality(s, None, slug=slug, data=data, available=available)
        s.commit()
        created = Message(
            N_("Kommune „{name}“ ({slug}) angelegt; Regelwerke: {rulesets}."),
            name=municipality.name,
            slug=slug,
            rulesets=", ".join(municipality.rulesets),
        )
        click.echo(translated(created))
    prepared.database.dispose()
    first = Message(
        N_("Ihr erstes Admin-Konto: impactcheck users add NAME --role admin --municipality {slug}"), slug=slug
    )
    click.echo(translated(first))


@municipalities.command("edit")
@click.argument("slug")
@click.option("--name", default=None, help="neuer Name")
@click.option("--timezone", default=None, help='IANA-Zeitzone; leer (""): die Einstellung TIMEZONE')
@click.option("--rulesets", default=None, metavar="ID,ID,…", help="angebotene Regelwerke")
@click.option("--default-ruleset", default=None, metavar="ID", help="Standard-Regelwerk")
@click.option("--neutrality-year", type=int, default=None, help="Zieljahr der Klimaneutralität (0: keins)")
@click.option(
    "--oparl-endpoint", default=None, metavar="URL", help='OParl-Adresse; leer (""): die Einstellung OPARL_ENDPOINT'
)
@LANG_OPTION
@_speaking
def municipalities_edit(
    slug: str,
    name: str | None,
    timezone: str | None,
    rulesets: str | None,
    default_ruleset: str | None,
    neutrality_year: int | None,
    oparl_endpoint: str | None,
    lang: str,
) -> None:
    """Name, Zeitzone, Regelwerke, Zieljahr oder OParl-Adresse einer Kommune ändern (nur das Angegebene)."""
    from impactcheck.cli_server import _config, _prepare
    from impactcheck.store import municipalities as municipal
    from impactcheck.store import operations as ops

    config = _config()
    prepared = _prepare()
    with prepared.database.session() as s:
        municipality = _find(s, slug)
        available = municipal.available_ids(Path(config["RULES_DIR"]), municipality.slug)
        ids = offered(_rulesets_option(rulesets), default_ruleset, available, list(municipality.rulesets or []))
        data = municipal.MunicipalityData(
            name=municipality.name if name is None else name,
            timezone=municipality.timezone if timezone is None else _optional_text(timezone),
            rulesets=ids,
            neutrality_year=municipality.neutrality_year if neutrality_year is None else (neutrality_year or None),
            oparl_endpoint=municipality.oparl_endpoint if oparl_endpoint is None else _optional_text(oparl_endpoint),
        )
        changed = ops.edit_municipality(s, None, municipality, data, available=available)
        s.commit()
        done = N_("Kommune „{slug}“ geändert.") if changed else N_("Kommune „{slug}“ unverändert.")
        click.echo(translated(Message(done, slug=municipality.slug)))
    prepared.database.dispose()


@municipalities.command("list")
@LANG_OPTION
@_speaking
def municipalities_list(lang: str) -> None:
    """Alle Kommunen: Kürzel, Name, Zeitzone, Regelwerke (Standard zuerst), Zieljahr, Konten."""
    from sqlalchemy import func, select

    from impactcheck.cli_server import _config, _prepare
    from impactcheck.store import municipalities as municipal
    from impactcheck.store.models import Municipality, User

    config = _config()
    prepared = _prepare()
    with prepared.database.session() as s:
        counts = dict(s.execute(select(User.municipality_id, func.count()).group_by(User.municipality_id)).all())
        for m in s.scalars(select(Municipality).order_by(Municipality.slug)):
            zone = m.timezone or translated(
                Message(N_("{timezone} (Installation)"), timezone=municipal.timezone_of(None, config))
            )
            year = str(m.neutrality_year or "–")
            accounts = translated(Message(N_("{n} Konten"), n=Number(counts.get(m.id, 0))))
            click.echo(f"{m.slug}\t{m.name}\t{zone}\t{','.join(m.rulesets or [])}\t{year}\t{accounts}")
    prepared.database.dispose()


def _find(s, slug: str):
    from sqlalchemy import select

    from impactcheck.store.models import Municipality

    municipality = s.scalar(select(Municipality).where(Municipality.slug == slug.strip()))
    if municipality is None:
        known = ", ".join(s.scalars(select(Municipality.slug).order_by(Municipality.slug))) or Message(N_("keine"))
        raise BadInput(Message(N_("Kommune „{slug}“ gibt es nicht; vorhanden: {known}"), slug=slug, known=known))
    return municipality


find_municipality = _find

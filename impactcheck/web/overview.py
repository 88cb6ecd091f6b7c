"""The overview (Übersicht) for the climate department and the council: the register's filtered set in
figures and charts, for a period of submission dates (default: the current calendar year).

The figures come from store/statistics.py (aggregates in SQL over exactly what the register lists for
the same URL parameters); every count links to the register with the matching filter. Charts are inline
SVG drawn here (web/svgchart.py) with the figures as a table beside them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from impactcheck.core.i18n import N_
from impactcheck.core.model import VERDICT_LABELS
from impactcheck.store import listing, statistics
from impactcheck.store.current import CHANGED_LABELS, OUTCOME_LABELS
from impactcheck.store.models import STATUS_LABELS, User
from impactcheck.web import svgchart
from impactcheck.web.access import READERS_OF_ALL, roles_required
from impactcheck.web.context import db, municipality_timezone, offered_rulesets, ruleset
from impactcheck.web.templating import page_day
from impactcheck.web.templating import page_number as format_number  # in the page's language

bp = Blueprint("overview", __name__)

ALL = "alle"  # ?zeitraum=alle: every submission date
CHART_DEPARTMENTS = 20  # more bars are unreadable; the table beside lists every department
FORM_ARGS = ("von", "bis", "amt", "gremium", "regelwerk")  # the overview's own form fields
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
FORM_LABELS = {"amt": N_("Amt"), "gremium": N_("Gremium"), "regelwerk": N_("Regelwerk"), "sort": N_("Sortierung")}
# Labels of the register's other filters, for the list of those in effect.
OTHER_FILTERS = {
    "status": N_("Stand"),
    "votum": N_("Ergebnis (Vorlage)"),
    "votum_beschlossen": N_("Ergebnis (beschlossen)"),
    "ausnahme": N_("Grund des Schnellausstiegs"),
    "markiert": N_("markiert"),
    "fragil": N_("nicht robust"),
    "offen": N_("mit offenen Punkten"),
    "pruefer": N_("geprüft von"),
    "beschluss": N_("Beschluss"),
    "geaendert": N_("wegen des Klimachecks geändert"),
    "q": N_("Suche"),
}


def _today(timezone: str) -> dt.date:
    try:
        return dt.datetime.now(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return dt.date.today()


def pct(share: float | None) -> str:
    return "–" if share is None else f"{format_number(share * 100, 1)}\u00a0%"


def tonnes(value: float | None) -> str:
    return "–" if value is None else format_number(value, 1)


def count(value: int) -> str:
    return format_number(value)


@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date | None

    def text(self) -> str:
        if self.start and self.end:
            if self.start == dt.date(self.start.year, 1, 1) and self.end == dt.date(self.start.year, 12, 31):
                return _("Kalenderjahr %(year)d", year=self.start.year)
            return f"{page_day(self.start)} – {page_day(self.end)}"
        if self.start:
            return _("seit %(date)s", date=page_day(self.start))
        if self.end:
            return _("bis %(date)s", date=page_day(self.end))
        return _("alle Zeiträume")


def _normalise_dates(args: Mapping[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The URL parameters with von/bis as ISO dates (German TT.MM.JJJJ is accepted too); malformed
    dates are left out, each with a message for the error summary."""
    out = dict(args.items())
    errors = []
    for name, label in (("von", _("Eingereicht von")), ("bis", _("Eingereicht bis"))):
        raw = (out.get(name) or "").strip()
        if not raw:
            continue
        german = _GERMAN_DATE.fullmatch(raw)
        try:
            value = dt.date(int(german[3]), int(german[2]), int(german[1])) if german else dt.date.fromisoformat(raw)
        except ValueError:
            value = None
        if value is None or not 1900 <= value.year <= 2999:
            errors.append(
                (name, _("„%(label)s“: „%(value)s“ ist kein Datum (TT.MM.JJJJ).", label=label, value=raw[:40]))
            )
            out[name] = ""
        else:
            out[name] = value.isoformat()
    return out, errors


def _period(
    args: Mapping[str, str], flt: listing.RegisterFilter, today: dt.date
) -> tuple[listing.RegisterFilter, Period]:
    """The filter with the period in effect: as asked, else (nothing asked) the current calendar year."""
    asked = "von" in args or "bis" in args or args.get("zeitraum") == ALL
    if not asked:
        flt = replace(flt, submitted_from=dt.date(today.year, 1, 1), submitted_to=dt.date(today.year, 12, 31))
    return flt, Period(flt.submitted_from, flt.submitted_to)


class Links:
    """URLs into the register (and back here) for the filter in effect plus a change."""

    def __init__(self, flt: listing.RegisterFilter):
        self.flt = flt

    def register(self, **changes) -> str:
        return url_for("register.all_checks", **replace(self.flt, **changes).to_args())

    def overview(self, start: dt.date | None, end: dt.date | None) -> str:
        args = replace(self.flt, submitted_from=start, submitted_to=end).to_args()
        if start is None and end is None:
            args["zeitraum"] = ALL
        return url_for("overview.index", **args)

    def without(self, arg: str) -> str:
        args = self.flt.to_args()
        args.pop(arg, None)
        if "von" not in args and "bis" not in args:
            args["zeitraum"] = ALL
        return url_for("overview.index", **args)


def _rule_labels(ids: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Sector and quick-exit reason labels from the rule sets (the municipality's default first)."""
    sectors: dict[str, str] = {}
    exits: dict[str, str] = {}
    for ident in ids:
        try:
            rs = ruleset(ident)
        except Exception:  # a rule set that no longer loads must not break the overview
            continue
        for sector in rs.sectors:
            sectors.setdefault(sector.id, sector.label)
        for reason in rs.screening.exit_reasons if rs.screening else ():
            exits.setdefault(reason.id, reason.label)
    return sectors, exits


def _reviewer_name(reviewer_id: str) -> str:
    user = db().get(User, int(reviewer_id)) if reviewer_id.isdigit() else None
    if user is None or user.municipality_id != current_user.municipality_id:
        return reviewer_id
    return user.display_name


def _other_filters(flt: listing.RegisterFilter, links: Links, exit_labels: dict[str, str]) -> list[dict[str, str]]:
    """The register's filters in effect that the overview's form does not show, to see and remove."""
    shown = []
    for arg, value in flt.to_args().items():
        if arg in FORM_ARGS or arg == "sort":
            continue
        text = value
        if arg == "status":
            text = _(STATUS_LABELS.get(value, value))
        elif arg in ("votum", "votum_beschlossen"):
            text = _(VERDICT_LABELS.get(value, value))
        elif arg == "ausnahme":
            text = exit_labels.get(value, value)
        elif arg == "beschluss":
            text = _("noch nicht eingetragen") if value == "offen" else _(OUTCOME_LABELS.get(value, value))
        elif arg == "geaendert":
            text = _(CHANGED_LABELS.get(value, value))
        elif arg == "pruefer":
            text = _reviewer_name(value)
        elif value == "1":
            text = _("ja")
        shown.append(
            {
                "arg": arg,
                "value": value,
                "label": _(OTHER_FILTERS.get(arg, arg)),
                "text": text,
                "remove": links.without(arg),
            }
        )
    return shown


def _chart(chart_id: str, title: str, rows: list[dict], *, description: str = "", fill=None) -> Markup:
    bars = [svgchart.Bar(r["label"], (r["count"],), fill(r["key"]) if fill else None) for r in rows]
    return svgchart.bar_chart(chart_id, title, bars, description=description, fmt=format_number)


def _rows(shares, label, link=None) -> list[dict]:
    return [
        {
            "key": s.key,
            "label": label(s.key),
            "count": s.count,
            "share": s.share,
            "href": link(s.key) if link and s.count else None,
        }
        for s in shares
    ]


@bp.get("/uebersicht")
@roles_required(*READERS_OF_ALL)
def index():
    role = current_user.role
    municipality_id = current_user.municipality_id
    timezone = municipality_timezone()  # the period means the municipality's local days
    today = _today(timezone)
    args, errors = _normalise_dates(request.args)
    asked = listing.parse_filter(args, timezone)
    flt, period = _period(args, asked, today)
    ignored = [
        _(OTHER_FILTERS.get(listing.ARGS[name], FORM_LABELS.get(listing.ARGS[name], name)))
        for name in listing.ignored_args(args, asked)
        if listing.ARGS[name] not in ("von", "bis")  # said above, at the field
    ]
    if flt.submitted_from and flt.submitted_to and flt.submitted_to < flt.submitted_from:
        errors.append(("bis", _("Das Ende des Zeitraums liegt vor seinem Anfang.")))
    s = db()
    choices = listing.register_choices(s, municipality_id, role)
    used = [ident for ident, _versions in choices.rulesets]  # the rule sets the checks were made with
    sector_labels, exit_labels = _rule_labels(list(dict.fromkeys([*used, *offered_rulesets()])))
    # Every sector and quick-exit reason of the rule sets in use is listed, unused ones with 0 or "–".
    used_sectors, used_exits = _rule_labels(used)
    figures = statistics.overview(s, municipality_id, role, flt, tuple(used_exits))
    links = Links(flt)

    def verdict_label(key):
        return _(VERDICT_LABELS[key]) if key in VERDICT_LABELS else _("noch nicht eingereicht")

    def outcome_label(key):
        return _(OUTCOME_LABELS[key]) if key in OUTCOME_LABELS else _("noch kein Beschluss eingetragen")

    def changed_label(key):
        return _(CHANGED_LABELS[key]) if key in CHANGED_LABELS else _("ohne Angabe")

    verdicts = _rows(figures.by_verdict, verdict_label, lambda k: links.register(verdict=k) if k else None)
    exits = _rows(
        figures.exits,
        lambda k: exit_labels.get(k, k) if k else _("ohne Angabe"),
        lambda k: links.register(exit_reason=k) if k else None,
    )
    negative = _rows(
        figures.negative_by_outcome, outcome_label, lambda k: links.register(verdict="negative", outcome=k or "offen")
    )
    departments = _rows(
        figures.by_department,
        lambda k: k or _("(ohne Angabe)"),
        lambda k: links.register(department=k) if k else None,
    )
    outcomes = _rows(figures.outcomes, outcome_label, lambda k: links.register(outcome=k or "offen"))
    changed = _rows(figures.changed, changed_label, lambda k: links.register(changed=k) if k else None)

    found = {f.sector: f for f in figures.sectors}
    for sector in used_sectors:
        found.setdefault(sector, statistics.SectorFigure(sector, None, 0, None, 0))
    order = {sector: i for i, sector in enumerate(sector_labels)}
    sectors = sorted(found.values(), key=lambda f: (order.get(f.sector, len(order)), f.sector))
    sector_rows = [{"label": sector_labels.get(f.sector, f.sector), "figure": f} for f in sectors]
    with_figures = [r for r in sector_rows if r["figure"].proposed is not None or r["figure"].adopted is not None]

    vote_fill = svgchart.VERDICT_FILLS.get
    charts = {
        "verdicts": _chart(
            "ov-verdicts", _("Klimachecks nach Ergebnis"), verdicts, fill=lambda k: vote_fill(k, svgchart.BRAND)
        ),
        "exits": _chart("ov-exits", _("Schnellausstiege nach Grund"), exits) if figures.quick_exits else Markup(""),
        "negative": _chart("ov-negative", _("Negative Klimachecks nach Beschluss"), negative)
        if figures.negative
        else Markup(""),
        "sectors": svgchart.bar_chart(
            "ov-sectors",
            _("t CO2e pro Jahr je Handlungsfeld: vorgeschlagen und beschlossen"),
            [svgchart.Bar(r["label"], (r["figure"].proposed, r["figure"].adopted)) for r in with_figures],
            series=(svgchart.Series(_("vorgeschlagen")), svgchart.Series(_("beschlossen"), hatched=True)),
            description=_("Negative Werte sind Einsparungen. Ein Strich: keine Zahlen."),
            fmt=tonnes,
            axis_label=_("t CO2e pro Jahr"),
        ),
        "departments": _chart(
            "ov-departments",
            _("Klimachecks je Amt"),
            departments[:CHART_DEPARTMENTS],
            description=(
                _("Die %(n)d Ämter mit den meisten Klimachecks; alle stehen in der Tabelle.", n=CHART_DEPARTMENTS)
                if len(departments) > CHART_DEPARTMENTS
                else ""
            ),
        ),
        "outcomes": _chart("ov-outcomes", _("Beschlüsse des Rats"), outcomes) if figures.submitted else Markup(""),
        "changed": _chart("ov-changed", _("Wegen des Klimachecks geändert?"), changed)
        if figures.recorded_outcomes
        else Markup(""),
    }
    quick = [
        (_("dieses Jahr (%(year)d)", year=today.year), dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)),
        (
            _("letztes Jahr (%(year)d)", year=today.year - 1),
            dt.date(today.year - 1, 1, 1),
            dt.date(today.year - 1, 12, 31),
        ),
        (_("alle Jahre"), None, None),
    ]
    quick_links = [
        {
            "label": label,
            "href": links.overview(start, end),
            "current": (start, end) == (flt.submitted_from, flt.submitted_to),
        }
        for label, start, end in quick
    ]
    return render_template(
        "overview.html",
        figures=figures,
        flt=flt,
        period=period,
        errors=errors,
        ignored=ignored,
        chart_departments=CHART_DEPARTMENTS,
        raw={name: (request.args.get(name) or "") for name in ("von", "bis")},
        choices=choices,
        ruleset_options=[
            (value, label)
            for ident, versions in choices.rulesets
            for value, label in [(ident, ident), *((f"{ident}@{v}", f"{ident}, Version {v}") for v in versions)]
        ],
        links=links,
        quick_links=quick_links,
        other_filters=_other_filters(flt, links, exit_labels),
        verdicts=verdicts,
        exits=exits,
        negative=negative,
        sector_rows=sector_rows,
        departments=departments,
        outcomes=outcomes,
        changed=changed,
        charts=charts,
        pct=pct,
        tonnes=tonnes,
        count=count,
        days=lambda d: "–" if d is None else _("%(days)s Tage", days=format_number(d, 1)),
    )

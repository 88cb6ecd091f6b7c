"""The register of all checks of the municipality, for the climate department, council and admin.

Filtered, sorted and paged in SQL on the check row's current-state columns (store/listing.py): one
statement for the page with its count (the author's name joined in), one for the values the filter
form offers (index seeks), besides the user and the navigation's count: four in all, however many
checks there are. No revision and none of its JSON is loaded; every label is translated once per page,
and the rows' texts are made once in Python (`Row`), so the template only places them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, load_only, raiseload

from impactcheck.core.errors import InputError
from impactcheck.core.i18n import N_
from impactcheck.core.model import VERDICT_LABELS
from impactcheck.store import listing
from impactcheck.store.current import CHANGED_LABELS, OUTCOME_LABELS
from impactcheck.store.models import STATUS_LABELS, Check, User
from impactcheck.web.access import READERS_OF_ALL, roles_required
from impactcheck.web.context import db, municipality_timezone, offered_rulesets, ruleset
from impactcheck.web.templating import page_day
from impactcheck.web.templating import page_number as format_number  # in the page's language

bp = Blueprint("register", __name__)

# Sortable columns: URL sort key -> the direction of the first click (dates and tonnes: largest first).
COLUMN_SORTS = {"nummer": "", "datum": "-", "votum": "", "co2": "-"}
SORT_LABELS = {
    "-angelegt": N_("angelegt, neueste zuerst"),
    "angelegt": N_("angelegt, älteste zuerst"),
    "-datum": N_("eingereicht, neueste zuerst"),
    "datum": N_("eingereicht, älteste zuerst"),
    "nummer": N_("Drucksache, aufsteigend"),
    "-nummer": N_("Drucksache, absteigend"),
    "votum": N_("Votum, negativ zuerst"),
    "-votum": N_("Votum, nicht relevant zuerst"),
    "-co2": N_("t CO2e/a, höchste zuerst"),
    "co2": N_("t CO2e/a, niedrigste zuerst"),
    "sitzung": N_("Sitzung, früheste zuerst"),
    "-sitzung": N_("Sitzung, späteste zuerst"),
}
# Names of the filters for the note about ignored URL values.
FILTER_NAMES = {
    "status": N_("Stand"),
    "verdict": N_("Votum der Vorlage"),
    "adopted_verdict": N_("Votum des Beschlusses"),
    "department": N_("Amt"),
    "committee": N_("Gremium"),
    "submitted_from": N_("Eingereicht ab"),
    "submitted_to": N_("Eingereicht bis"),
    "ruleset": N_("Regelwerk"),
    "exit_reason": N_("Ausstiegsgrund"),
    "flagged": N_("markiert"),
    "fragile": N_("nicht robust"),
    "open_points": N_("offene Punkte"),
    "reviewer_id": N_("Prüfer/in"),
    "outcome": N_("Beschluss"),
    "changed": N_("Geändert wegen des Klimachecks"),
    "search": N_("Suche"),
    "sort": N_("Sortierung"),
}


# Filters behind "Weitere Filter" (the disclosure is open when one of them is set).
MORE_FILTERS = ("committee", "ruleset", "exit_reason", "reviewer_id", "outcome", "adopted_verdict", "changed")


class Labels:
    """Every label of the page, translated once: verdicts, statuses, outcomes, exit reasons."""

    def __init__(self, ruleset_ids: list[str]):
        self.verdicts = {k: _(v) for k, v in VERDICT_LABELS.items()}
        self.statuses = {k: _(v) for k, v in STATUS_LABELS.items()}
        self.outcomes = {k: _(v) for k, v in OUTCOME_LABELS.items()}
        self.changed = {k: _(v) for k, v in CHANGED_LABELS.items()}
        self.rulesets: dict[str, Any] = {}
        # The municipality's own rule sets first: their wording names a reason in the filter's list.
        for ident in dict.fromkeys([*offered_rulesets(), *ruleset_ids]):
            try:
                self.rulesets[ident] = ruleset(ident)
            except InputError:
                continue  # a rule file gone or broken since: its checks still list, with ids
        self._exits = {ident: {r.id: r.label for r in rs.screening.exit_reasons} for ident, rs in self.rulesets.items()}
        self._any_exit: dict[str, str] = {}
        for labels in self._exits.values():
            for reason, label in labels.items():
                self._any_exit.setdefault(reason, label)

    def exit_reason(self, reason: str | None, ruleset_id: str | None = None) -> str:
        if not reason:
            return ""
        return self._exits.get(ruleset_id or "", {}).get(reason) or self._any_exit.get(reason, reason)

    def ruleset(self, ident: str) -> str:
        rs = self.rulesets.get(ident)
        return rs.title if rs is not None else ident


def _local_day(zone: ZoneInfo):
    def day(value: dt.datetime | dt.date | None) -> str:
        if value is None:
            return "–"
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=dt.UTC).astimezone(zone).date()
        return page_day(value)

    return day


def _id_url(endpoint: str):
    """`url_for(endpoint, check_id=…)` built once: the URL around a sentinel id, filled per row."""
    sentinel = 987654321
    head, tail = url_for(endpoint, check_id=sentinel).split(str(sentinel), 1)
    return lambda ident: f"{head}{ident}{tail}"


@dataclass(slots=True)
class Row:
    """One line of the register, every text computed here once (labels, dates, phrases, the link),
    so the template only places them: no function call, URL building or lookup per cell."""

    reference: str
    link: str | None
    title: str
    department: str | None
    owner: str | None
    submitted: str | None  # the local day, or None for "–" with `created` under it
    created: str
    state: str
    state_label: str
    filed_note: str | None
    verdict: str
    exit_note: str | None
    alternative: str
    outcome: str | None
    outcome_day: str | None
    effect: str | None
    changed: str | None
    t: str
    adopted_t: str | None
    flagged: bool
    fragile: bool
    open_points: str | None


# The columns of the check row the register shows (a third of the row's columns are not loaded).
ROW_COLUMNS = (
    *(Check.id, Check.owner_id, Check.reference, Check.title, Check.department, Check.created_at),
    *(Check.submitted_at, Check.status, Check.filed_status, Check.verdict, Check.exit_reason, Check.ruleset_id),
    *(Check.alternative_verdict, Check.outcome, Check.outcome_date, Check.adopted_verdict, Check.outcome_changed),
    *(Check.t_co2e_per_year, Check.adopted_t_co2e_per_year, Check.flagged, Check.fragile, Check.open_points),
)


def _rows(checks: list[Check], labels: Labels, council: bool, timezone: str) -> list[Row]:
    day = _local_day(ZoneInfo(timezone))
    result_url, resume_url = _id_url("results.view"), _id_url("wizard.resume")
    me = current_user.id
    filed_phrase, created_phrase = _("zuletzt eingereicht: %(s)s"), _("angelegt %(d)s")
    exit_phrase, effect_phrase = _("Ausstieg: %(reason)s"), _("wirksam: %(v)s")
    changed_phrase, adopted_phrase = _("geändert wegen des Klimachecks: %(a)s"), _("beschlossen: %(t)s")
    verdicts, statuses = labels.verdicts, labels.statuses
    rows = []
    for c in checks:
        filed, status, verdict, outcome = c.filed_status, c.status, c.verdict, c.outcome
        state = filed if council else status
        t, adopted_t = c.t_co2e_per_year, c.adopted_t_co2e_per_year
        if filed:
            link = result_url(c.id)
        elif c.owner_id == me:
            link = resume_url(c.id)
        else:
            link = None
        rows.append(
            Row(
                reference=c.reference,
                link=link,
                title=c.title,
                department=c.department,
                owner=c.owner.display_name,
                submitted=day(c.submitted_at) if c.submitted_at else None,
                created="" if c.submitted_at else created_phrase % {"d": day(c.created_at)},
                state=state,
                state_label=statuses.get(state, state),
                filed_note=filed_phrase % {"s": statuses.get(filed, filed)}
                if not council and filed and status != filed
                else None,
                verdict=verdicts.get(verdict, verdict) if verdict else "–",
                exit_note=exit_phrase % {"reason": labels.exit_reason(c.exit_reason, c.ruleset_id)}
                if c.exit_reason
                else None,
                alternative=verdicts.get(c.alternative_verdict, c.alternative_verdict)
                if c.alternative_verdict
                else "–",
                outcome=labels.outcomes.get(outcome, outcome) if outcome else None,
                outcome_day=day(c.outcome_date) if outcome and c.outcome_date else None,
                effect=effect_phrase % {"v": verdicts.get(c.adopted_verdict, c.adopted_verdict)}
                if outcome and c.adopted_verdict and c.adopted_verdict != verdict
                else None,
                changed=changed_phrase % {"a": labels.changed.get(c.outcome_changed, c.outcome_changed)}
                if outcome and c.outcome_changed
                else None,
                t=format_number(t, 1) if t is not None else "–",
                adopted_t=adopted_phrase % {"t": format_number(adopted_t, 1)}
                if outcome and adopted_t is not None and adopted_t != t
                else None,
                flagged=bool(c.flagged),
                fragile=bool(c.fragile),
                open_points=ngettext("%(num)d offener Punkt", "%(num)d offene Punkte", c.open_points)
                if c.open_points
                else None,
            )
        )
    return rows


class Links:
    """URLs of this page that keep the filter, the sort and the page size."""

    def __init__(self, flt: listing.RegisterFilter, size: int):
        self.flt = flt
        self.size = size
        self.base = flt.to_args()
        if size != listing.DEFAULT_PAGE_SIZE:
            self.base[listing.SIZE_ARG] = str(size)

    def page(self, number: int) -> str:
        args = dict(self.base)
        if number > 1:
            args[listing.PAGE_ARG] = str(number)
        return url_for("register.all_checks", **args)

    def sort(self, key: str) -> str:
        """The column header's link: the other direction when sorted by it, else its first direction."""
        current = self.flt.sort
        if current == key:
            target = f"-{key}"
        elif current == f"-{key}":
            target = key
        else:
            target = COLUMN_SORTS[key] + key
        args = dict(self.base)
        args.pop("sort", None)
        if target != listing.DEFAULT_SORT:
            args["sort"] = target
        return url_for("register.all_checks", **args)

    def aria_sort(self, key: str) -> str | None:
        if self.flt.sort == key:
            return "ascending"
        if self.flt.sort == f"-{key}":
            return "descending"
        return None


def _export_links(flt: listing.RegisterFilter) -> dict[str, str]:
    """The downloads of exactly this set, where the exports are installed (blueprint `exports`)."""
    links = {}
    for fmt in ("csv", "xlsx"):
        endpoint = f"exports.register_{fmt}"
        if endpoint in current_app.view_functions:
            links[fmt] = url_for(endpoint, **flt.to_args())
    return links


@bp.get("/register")
@roles_required(*READERS_OF_ALL)
def all_checks():
    s = db()
    role = current_user.role
    municipality_id = current_user.municipality_id
    timezone = municipality_timezone()
    flt = listing.parse_filter(request.args, timezone)
    number, size = listing.parse_paging(request.args)
    query = listing.register_query(municipality_id, role, flt).options(
        load_only(*ROW_COLUMNS, raiseload=True),  # what Row shows; anything else would be a mistake
        joinedload(Check.owner).load_only(User.display_name),
        raiseload(Check.revisions),
        raiseload(Check.sector_figures),
        raiseload(Check.uploads),
    )
    page = listing.paginate(s, query, number, size)
    choices = listing.register_choices(s, municipality_id, role, flt.reviewer_id)
    # Values asked for in the URL but not present (a bookmark, no checks of that department yet) stay
    # selectable, so the form shows what the list is filtered by.
    departments = _with(choices.departments, flt.department)
    committees = _with(choices.committees, flt.committee)
    exit_reasons = _with(choices.exit_reasons, flt.exit_reason)
    reviewer_ids = _with(choices.reviewer_ids, flt.reviewer_id)
    reviewers = choices.reviewer_names
    labels = Labels([ident for ident, _versions in choices.rulesets])
    ruleset_options = []
    for ident, versions in choices.rulesets:
        title = labels.ruleset(ident)
        ruleset_options.append((ident, _("%(title)s – alle Versionen", title=title)))
        ruleset_options += [
            (f"{ident}@{v}", _("%(title)s – Version %(version)s", title=title, version=v)) for v in versions
        ]
    if flt.ruleset and flt.ruleset not in dict(ruleset_options):
        ruleset_options.append((flt.ruleset, flt.ruleset))
    ignored = [_(FILTER_NAMES[name]) for name in listing.ignored_args(request.args, flt)]
    asked_page = request.args.get(listing.PAGE_ARG, "").strip()
    if asked_page and not asked_page.isdigit():
        ignored.append(_("Seite"))
    size_arg = request.args.get(listing.SIZE_ARG, "").strip()
    if size_arg and size_arg != str(page.size):
        ignored.append(_("Einträge pro Seite"))
    # A page past the end (the list got shorter since the link was made) shows the last one, and says so.
    clamped = asked_page.isdigit() and int(asked_page[:12]) != page.number
    links = Links(flt, page.size)
    return render_template(
        "register.html",
        page=page,
        flt=flt,
        council=role == "council",
        labels=labels,
        links=links,
        window=listing.page_window(page.number, page.pages),
        departments=[(v, v) for v in departments],
        committees=[(v, v) for v in committees],
        exit_options=sorted(((r, labels.exit_reason(r)) for r in exit_reasons), key=lambda o: o[1].casefold()),
        outcome_options=[("offen", _("noch nicht eingetragen")), *labels.outcomes.items()],
        reviewers=[(i, reviewers.get(i, _("Konto %(id)s", id=i))) for i in reviewer_ids],
        ruleset_options=ruleset_options,
        statuses={k: v for k, v in labels.statuses.items() if not (role == "council" and k == "draft")},
        sort_options=[(k, _(v)) for k, v in SORT_LABELS.items()],
        page_sizes=listing.PAGE_SIZES,
        ignored=ignored,
        clamped=clamped,
        exports=_export_links(flt),
        rows=_rows(page.items, labels, role == "council", timezone),
        num=format_number,
        first_row=(page.number - 1) * page.size + 1,
        filtered=not flt.is_empty() or flt.sort != listing.DEFAULT_SORT,
        more_open=any(getattr(flt, name) for name in MORE_FILTERS),
    )


def _with(values: list, wanted) -> list:
    return values if wanted is None or wanted in values else [*values, wanted]

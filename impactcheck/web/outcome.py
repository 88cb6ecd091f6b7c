"""The council's decision on a checked paper (evidence of effect): the form to record it, and the
list of checks whose session is over while their decision is missing ("Beschluss nachtragen").

Who may record it is decided once, in `access.may_record_outcome`; the rules for what a decision
needs live in `operations.outcome_problems`, which the form shows field by field.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from impactcheck.core.i18n import translated
from impactcheck.store import operations as ops
from impactcheck.store.current import CHANGED_BY_CHECK, CHANGED_LABELS, OUTCOME_LABELS, OUTCOMES
from impactcheck.store.due import count_outcomes_due, outcomes_due
from impactcheck.store.listing import DEFAULT_PAGE_SIZE, PAGE_SIZES, paginate
from impactcheck.store.models import Check
from impactcheck.web.access import OUTCOME_RECORDERS, load_check, may_record_outcome, roles_required
from impactcheck.web.context import commit, db, municipality_timezone
from impactcheck.web.forms import OutcomeForm
from impactcheck.web.restore import form_with_restored_input

bp = Blueprint("outcome", __name__)

FIELDS = ("outcome", "date", "changed", "note", "effective_year")


def local_today() -> dt.date:
    """Today in the municipality's time zone: a session "has passed" by that day."""
    return dt.datetime.now(ZoneInfo(municipality_timezone())).date()


# --- for every page: labels, the permission, the count in the navigation ----------------------


@bp.app_template_global()
def outcome_label(outcome: str | None) -> str:
    return _(OUTCOME_LABELS[outcome]) if outcome in OUTCOME_LABELS else (outcome or "–")


@bp.app_template_global()
def changed_label(changed: str | None) -> str:
    return _(CHANGED_LABELS[changed]) if changed in CHANGED_LABELS else (changed or "–")


bp.add_app_template_global(may_record_outcome)


# The navigation's count is kept in the browser's session this long: counting on every page was one
# more database round trip per page (bench/bench_load.py). What the user does themselves (submitting,
# recording a decision) shows at once (forget_due_count); what others do, within this time.
DUE_COUNT_SECONDS = 60
DUE_COUNT_KEY = "due_count"


@bp.app_template_global()
def outcomes_due_count() -> int | None:
    """How many decisions the current user has to record (their own checks; the climate department:
    all of the municipality), for the navigation. One COUNT statement at most once a minute per browser
    session; None where it does not apply."""
    if not current_user.is_authenticated or current_user.role not in OUTCOME_RECORDERS:
        return None
    day = local_today()
    today, now = day.isoformat(), int(time.time())
    kept = session.get(DUE_COUNT_KEY)  # [count, user id, local day, when] (the session is signed)
    if (
        isinstance(kept, list)
        and len(kept) == 4
        and kept[1:3] == [current_user.id, today]
        and 0 <= now - kept[3] < DUE_COUNT_SECONDS
    ):
        return kept[0]
    try:
        count = count_outcomes_due(db(), current_user.municipality_id, day, _owner_filter())
    except SQLAlchemyError:  # an error page rendered after a failed statement must still render
        return None
    _keep_due_count(count, day)
    return count


def _keep_due_count(count: int, day: dt.date) -> None:
    session[DUE_COUNT_KEY] = [count, current_user.id, day.isoformat(), int(time.time())]


def forget_due_count() -> None:
    """The user changed what is due (submitted a check, recorded a decision): count again on the next page."""
    session.pop(DUE_COUNT_KEY, None)


def _owner_filter() -> int | None:
    return None if current_user.role == "climate" else current_user.id


# --- the form ---------------------------------------------------------------------------------


def _load(check_id: int) -> Check:
    """The check whose decision the current user may record; drafts have none (404, or for their
    author back to the draft), readers who may not record get 403."""
    check = load_check(check_id)
    if check.filed_number is None:
        if check.owner_id == current_user.id:
            flash(_("Ein Beschluss kann erst eingetragen werden, wenn der Klimacheck eingereicht ist."), "info")
            abort(redirect(url_for("wizard.resume", check_id=check.id)))
        abort(404)
    if not may_record_outcome(current_user, check):
        abort(403)
    return check


def _choices(form: OutcomeForm, check: Check) -> None:
    offered = [o for o in OUTCOMES if o != "adopted_alternative" or check.alternative_verdict is not None]
    form.outcome.choices = [SelectChoice(o, _(OUTCOME_LABELS[o])) for o in offered]
    form.changed.choices = [SelectChoice(c, _(CHANGED_LABELS[c])) for c in CHANGED_BY_CHECK]


def _prefill(form: OutcomeForm, check: Check) -> None:
    """The recorded decision to change, or for a first record the session date once it has come."""
    if check.outcome is not None:
        form.process(
            data={
                "outcome": check.outcome,
                "date": check.outcome_date,
                "changed": check.outcome_changed,
                "note": check.outcome_note or "",
                "effective_year": check.effective_year,
            }
        )
    elif check.meeting_date is not None and check.meeting_date <= local_today():
        form.process(data={"date": check.meeting_date})
    form.seen.data = ops.outcome_token(check)


@bp.route("/klimachecks/<int:check_id>/beschluss", methods=["GET", "POST"])
@login_required
def record(check_id: int):
    check = _load(check_id)
    # Input sent after the login had expired comes back once, filled in (web/restore.py).
    form, restored = form_with_restored_input(OutcomeForm)
    _choices(form, check)
    conflict = None
    general: list[str] = []  # problems that belong to no field
    status = 200
    if request.method == "GET":
        if not restored:
            _prefill(form, check)
    elif form.validate_on_submit():
        data = ops.OutcomeData(
            outcome=form.outcome.data or "",
            date=form.date.data,
            changed=form.changed.data,
            note=form.note.data or "",
            effective_year=form.effective_year.data,
        )
        try:
            ops.record_outcome(db(), current_user, check, data, seen=form.seen.data or "")
            commit()
            forget_due_count()
        except ops.ConflictError as exc:
            db().rollback()
            check = _load(check_id)
            conflict = exc.one_line()
            form.seen.data = ops.outcome_token(check)  # saving again now replaces it, knowingly
        except ops.OperationError as exc:
            db().rollback()
            check = _load(check_id)
            general = _show_problems(form, exc.problems)
            status = 422
        else:
            # The same message when nothing changed: the second click of a double click is what shows.
            flash(_("Der Beschluss des Rates ist gespeichert."), "success")
            return redirect(url_for("results.view", check_id=check.id))
    else:
        # Input that cannot be read (a date like 31.02.): show it with the operation's other findings.
        general = _show_problems(
            form,
            ops.outcome_problems(
                check,
                ops.OutcomeData(
                    form.outcome.data or "",
                    form.date.data,
                    form.changed.data,
                    form.note.data or "",
                    form.effective_year.data,
                ),
            ),
        )
        status = 422
    return render_template("outcome.html", form=form, check=check, conflict=conflict, general=general), status


def _show_problems(form: OutcomeForm, problems) -> list[str]:
    """Each problem at its field (a field keeps its own reading error first); returns the others,
    for the top of the page."""
    general = []
    for problem in problems:
        name = problem.path[0] if problem.path else None
        if name in FIELDS:
            field = getattr(form, name)
            if not field.errors:
                field.errors = [translated(problem.message)]
        else:
            general.append(translated(problem.message))
    return general


# --- the list of decisions to record -----------------------------------------------------------


@bp.get("/beschluesse-nachtragen")
@roles_required(*OUTCOME_RECORDERS)
def due():
    size = request.args.get("anzahl", type=int) or DEFAULT_PAGE_SIZE
    number = request.args.get("seite", type=int) or 1
    today = local_today()
    query = outcomes_due(current_user.municipality_id, today, _owner_filter()).options(selectinload(Check.owner))
    page = paginate(db(), query, number, size)
    _keep_due_count(page.total, today)  # the navigation on this page says what the list says
    return render_template(
        "outcomes_due.html",
        page=page,
        today=today,
        all_of_municipality=current_user.role == "climate",
        page_sizes=PAGE_SIZES,
    )

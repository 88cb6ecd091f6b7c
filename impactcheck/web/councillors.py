"""Councillors: "Vorlagen meiner Ausschüsse" and the committees they follow.

A councillor (role council) names the committees they sit on (a user setting, `User.committees`, set by
the user here or by an admin of the municipality); the list shows the checks of papers for those
committees in their latest filed state, as the register does for councillors (store/listing.py's
register_query and paginate: filtered, sorted and paged in SQL, drafts never).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import raiseload
from wtforms import SelectMultipleField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from impactcheck.core.model import VERDICT_LABELS
from impactcheck.store import listing
from impactcheck.store import operations as ops
from impactcheck.store.models import STATUS_LABELS, Check, User
from impactcheck.web.access import roles_required
from impactcheck.web.context import commit, db, municipality_timezone

bp = Blueprint("councillors", __name__)

COUNCIL = "council"
MAX_TYPED = 20_000  # characters of the "more committees" field read at all


class CommitteesForm(FlaskForm):
    chosen = SelectMultipleField(
        _l("Gremien, in denen Sie mitarbeiten"),
        choices=[],
        validate_choice=False,  # a committee chosen earlier may have no check any more: it stays
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    more = TextAreaField(
        _l("Weitere Gremien"),
        description=_l(
            "Gremien, die oben noch fehlen (noch ohne Klimacheck), eines je Zeile – so geschrieben wie in den Vorlagen."
        ),
    )


def committees_of(user: User) -> list[str]:
    return list(user.committees or [])


def _page_url(number: int, args: dict[str, str]) -> str:
    params = dict(args)
    if number > 1:
        params[listing.PAGE_ARG] = str(number)
    return url_for("councillors.my_committees", **params)


@bp.get("/meine-ausschuesse")
@roles_required(COUNCIL)
def my_committees():
    committees = committees_of(current_user)
    flt = listing.parse_filter(request.args, municipality_timezone())
    number, size = listing.parse_paging(request.args)
    page = None
    if committees:
        query = (
            listing.register_query(current_user.municipality_id, COUNCIL, flt)
            .where(Check.committee.in_(committees))
            .options(raiseload(Check.revisions), raiseload(Check.sector_figures), raiseload(Check.uploads))
        )
        page = listing.paginate(db(), query, number, size)
    args = flt.to_args()
    if size != listing.DEFAULT_PAGE_SIZE:
        args[listing.SIZE_ARG] = str(size)
    return render_template(
        "committee_checks.html",
        committees=committees,
        page=page,
        window=listing.page_window(page.number, page.pages) if page else [],
        page_url=lambda n: _page_url(n, args),
        verdicts={k: _(v) for k, v in VERDICT_LABELS.items()},
        statuses={k: _(v) for k, v in STATUS_LABELS.items()},
    )


def _edit(user: User, *, own: bool):
    form = CommitteesForm()
    known = listing.register_choices(db(), user.municipality_id, COUNCIL).committees
    current = committees_of(user)
    form.chosen.choices = [(c, c) for c in dict.fromkeys([*known, *current])]
    if request.method == "GET":
        form.chosen.data = current
    status = 200
    if form.validate_on_submit():
        typed = (form.more.data or "")[:MAX_TYPED].splitlines()
        try:
            ops.set_committees(db(), current_user, user, [*(form.chosen.data or []), *typed])
            commit()
        except ops.OperationError as exc:
            db().rollback()
            form.more.errors = [exc.one_line()]
            status = 422
        else:
            flash(_("Die Gremien sind gespeichert."), "success")
            return redirect(url_for("councillors.my_committees") if own else url_for("admin.users"))
    elif request.method == "POST":
        status = 422
    return render_template("committees_form.html", form=form, user=user, own=own), status


@bp.route("/einstellungen/ausschuesse", methods=["GET", "POST"])
@roles_required(COUNCIL)
def settings():
    return _edit(current_user, own=True)


@bp.route("/admin/benutzer/<int:user_id>/ausschuesse", methods=["GET", "POST"])
@roles_required("admin")
def admin_settings(user_id: int):
    user = db().get(User, user_id)
    if user is None or user.municipality_id != current_user.municipality_id:
        abort(404)
    return _edit(user, own=False)

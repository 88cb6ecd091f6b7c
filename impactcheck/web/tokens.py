"""Where users make and revoke their API tokens (and an admin those of the municipality's users)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from impactcheck.core.i18n import translated
from impactcheck.store import operations as ops
from impactcheck.store import tokens
from impactcheck.store.models import ApiToken, User
from impactcheck.web.access import roles_required
from impactcheck.web.context import commit, db
from impactcheck.web.forms import TokenForm, VersionForm

bp = Blueprint("tokens", __name__)


def _page(user: User, form: TokenForm, shown: str | None = None, status: int = 200):
    return (
        render_template(
            "tokens.html",
            owner=user,
            own=user.id == current_user.id,
            tokens=tokens.active_tokens(db(), user),
            form=form,
            revoke_form=VersionForm(),
            shown=shown,
        ),
        status,
    )


def _manage(user: User):
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _row, token = tokens.create(db(), current_user, user, form.label.data)
            commit()
        except ops.OperationError as exc:
            db().rollback()
            form.label.errors = [translated(exc.problems[0].message)]
            return _page(user, form, status=422)
        # Shown once, on this answer only (the page is never cached): there is no way to see it again.
        return _page(user, TokenForm(formdata=None), shown=token, status=201)
    return _page(user, form, status=422 if form.errors else 200)


def _revoke(user: User, token_id: int, back: str):
    row = db().get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        abort(404)
    if not VersionForm().validate_on_submit():
        abort(400)
    tokens.revoke(db(), current_user, row)  # a second click finds it revoked: the same answer
    commit()
    flash(_("Das Token „%(label)s“ ist widerrufen; es gilt ab sofort nicht mehr.", label=row.label), "success")
    return redirect(back)


@bp.route("/konto/api-tokens", methods=["GET", "POST"])
@login_required
def own():
    return _manage(current_user)


@bp.post("/konto/api-tokens/<int:token_id>/widerrufen")
@login_required
def revoke_own(token_id: int):
    return _revoke(current_user, token_id, url_for("tokens.own"))


def _municipality_user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None or user.municipality_id != current_user.municipality_id:
        abort(404)
    return user


@bp.route("/admin/benutzer/<int:user_id>/api-tokens", methods=["GET", "POST"])
@roles_required("admin")
def of_user(user_id: int):
    user = _municipality_user(user_id)
    return _manage(user)


@bp.post("/admin/benutzer/<int:user_id>/api-tokens/<int:token_id>/widerrufen")
@roles_required("admin")
def revoke_of_user(user_id: int, token_id: int):
    user = _municipality_user(user_id)
    return _revoke(user, token_id, url_for("tokens.of_user", user_id=user.id))

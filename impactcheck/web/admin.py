"""User administration for the admin role, within the admin's municipality."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired

from impactcheck.core.i18n import translated
from impactcheck.store import logins
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, User
from impactcheck.web.access import roles_required
from impactcheck.web.auth import SESSION_VERSION
from impactcheck.web.context import commit, db, users_of_municipality
from impactcheck.web.forms import PasswordForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global("is_anonymised")
def _is_anonymised(user: User) -> bool:
    return ops.is_anonymised(user)


@bp.app_template_global("sign_in_label")
def _sign_in_label(user: User) -> str:
    """How the account logs in, for the users page."""
    if ops.sso_released(user):
        return _("wartet auf die erste Anmeldung über Single Sign-on")
    source = ops.sso_source(user)
    return {"oidc": _("Anmeldedienst (OIDC)"), "ldap": _("Verzeichnis (LDAP)")}.get(source or "", _("eigenes Passwort"))


@bp.app_template_global("is_sso_released")
def _is_sso_released(user: User) -> bool:
    return ops.sso_released(user)


@bp.app_template_global("sso_configured")
def _sso_configured() -> bool:
    from impactcheck.web import ldapauth, oidc

    return oidc.enabled() or ldapauth.enabled()


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None or user.municipality_id != current_user.municipality_id:
        abort(404)
    return user


@bp.route("/benutzer", methods=["GET", "POST"])
@roles_required("admin")
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            ops.create_user(
                db(),
                current_user,
                municipality=current_user.municipality,
                username=form.username.data,
                password=form.password.data,
                role=form.role.data,
                display_name=form.display_name.data or None,
            )
            commit()
        except ops.OperationError as exc:
            db().rollback()
            fields = {"password": form.password, "display_name": form.display_name}
            field = fields.get((exc.problems[0].path or ("username",))[0], form.username)
            field.errors = [translated(exc.problems[0].message)]
        else:
            flash(_("Das Konto „%(name)s“ ist angelegt.", name=form.username.data.strip()), "success")
            return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    users = users_of_municipality()
    locked = logins.locked_usernames(db(), [u.username for u in users])
    if request.method == "GET":
        _flash_locked(locked)
    page = render_template("users.html", form=form, users=users, locked=locked, password_form=PasswordForm())
    return page, status


def _flash_locked(locked: set[str]) -> None:
    """Names locked after many failed logins, with the way to let them in again."""
    for name in sorted(locked):
        flash(
            _(
                "Die Anmeldung als „%(name)s“ ist nach vielen Fehlversuchen gesperrt. „Passwort setzen“ für "
                "dieses Konto hebt die Sperre auf.",
                name=name,
            ),
            "error",
        )


@bp.post("/benutzer/<int:user_id>/entsperren")
@roles_required("admin")
def unlock(user_id: int):
    """Let a name locked after many failed logins log in again, without changing its password."""
    user = _user(user_id)
    lifted = logins.lift_lock(db(), current_user, user)
    commit()
    if lifted:
        flash(_("Die Anmeldung als „%(name)s“ ist wieder möglich.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/benutzer/<int:user_id>/aktiv")
@roles_required("admin")
def toggle_active(user_id: int):
    user = _user(user_id)
    if user.id == current_user.id:
        flash(_("Sie können Ihr eigenes Konto nicht deaktivieren."), "error")
        return redirect(url_for("admin.users"))
    # CSRFProtect has checked the token already (every POST); nothing else to read from the form.
    try:
        ops.set_active(db(), current_user, user, not user.active)
        commit()
    except ops.OperationError as exc:  # an anonymised account stays deactivated
        db().rollback()
        flash(exc.one_line(), "error")
        return redirect(url_for("admin.users"))
    flash(
        _(
            "Das Konto „%(name)s“ ist jetzt %(state)s.",
            name=user.username,
            state=_("aktiv") if user.active else _("deaktiviert"),
        ),
        "success",
    )
    return redirect(url_for("admin.users"))


class AnonymiseForm(FlaskForm):
    confirm = StringField(
        _l("Benutzername zur Bestätigung"),
        validators=[DataRequired(_l("Geben Sie zur Bestätigung den Benutzernamen des Kontos ein."))],
        description=_l("Tippen Sie den Benutzernamen genau so ein, wie er oben steht."),
    )


@bp.route("/benutzer/<int:user_id>/anonymisieren", methods=["GET", "POST"])
@roles_required("admin")
def anonymise(user_id: int):
    """A departed user: a page explaining what anonymising does, confirmed by typing the user name."""
    user = _user(user_id)
    if ops.is_anonymised(user):
        flash(_("Das Konto ist bereits anonymisiert."), "success")
        return redirect(url_for("admin.users"))
    form = AnonymiseForm()
    own = user.id == current_user.id
    if form.validate_on_submit():
        if form.confirm.data.strip() != user.username:
            form.confirm.errors = [_("Der Benutzername stimmt nicht überein. Das Konto wurde nicht anonymisiert.")]
        else:
            try:
                ops.anonymise_user(db(), current_user, user)
                commit()
            except ops.OperationError as exc:
                db().rollback()
                form.confirm.errors = [exc.one_line()]
            else:
                flash(_("Das Konto ist anonymisiert: jetzt „%(name)s“.", name=user.display_name), "success")
                return redirect(url_for("admin.users"))
    checks = db().scalar(select(func.count()).select_from(Check).where(Check.owner_id == user.id)) or 0
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "admin_anonymise.html",
        user=user,
        form=form,
        own=own,
        checks=checks,
        anonymised_name=ops.ANONYMISED_NAME.format(id=user.id),
        anonymised_username=ops.ANONYMISED_USERNAME.format(id=user.id),
    )
    return page, status


@bp.post("/benutzer/<int:user_id>/passwort")
@roles_required("admin")
def set_password(user_id: int):
    user = _user(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            ops.set_password(db(), current_user, user, form.password.data)
            logins.lift_lock(db(), current_user, user)  # the guesses were against the old password
            commit()
        except ops.OperationError as exc:
            db().rollback()
            flash(exc.one_line(), "error")
        else:
            if user.id == current_user.id:
                session[SESSION_VERSION] = user.session_version  # every other session ends, this one stays
            flash(_("Das Passwort von „%(name)s“ ist geändert.", name=user.username), "success")
    else:
        flash(_("Bitte geben Sie ein neues Passwort ein."), "error")
    return redirect(url_for("admin.users"))


@bp.post("/benutzer/<int:user_id>/sso-freigeben")
@roles_required("admin")
def release_for_sso(user_id: int):
    """Let the next single sign-on of this name take the account over (README: moving accounts)."""
    user = _user(user_id)
    if user.id == current_user.id:
        flash(_("Ihr eigenes Konto geben Sie nicht frei: Sie würden sich sonst selbst abmelden."), "error")
        return redirect(url_for("admin.users"))
    try:
        ops.release_for_sso(db(), current_user, user)
        commit()
    except ops.OperationError as exc:
        db().rollback()
        flash(exc.one_line(), "error")
    else:
        flash(
            _(
                "Das Konto „%(name)s“ ist für Single Sign-on freigegeben: Die nächste Anmeldung dieses Namens über "
                "den Anmeldedienst oder das Verzeichnis übernimmt es samt seinen Klimachecks.",
                name=user.username,
            ),
            "success",
        )
    return redirect(url_for("admin.users"))

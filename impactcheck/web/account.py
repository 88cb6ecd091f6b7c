"""The user's own account page (/konto): the interface language, and the way to the API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from impactcheck.store import operations as ops
from impactcheck.web.context import commit, db
from impactcheck.web.extensions import select_locale
from impactcheck.web.forms import LanguageForm

bp = Blueprint("account", __name__)


@bp.route("/konto", methods=["GET", "POST"])
@login_required
def own():
    form = LanguageForm(data={"locale": current_user.locale or ""})
    if form.validate_on_submit():
        ops.set_locale(db(), current_user, current_user, form.locale.data or None)
        commit()
        with force_locale(select_locale()):  # the confirmation already in the chosen language
            flash(_("Ihre Spracheinstellung ist gespeichert."), "success")
        return redirect(url_for("account.own"))
    return render_template("account.html", form=form), 422 if form.errors else 200

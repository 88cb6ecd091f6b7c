"""The installation admin's pages: the municipalities of the installation and their admins.

A district that runs one installation for its towns creates a municipality here (or with
`impactcheck municipalities add`), sets its time zone, rule sets and neutrality year, and creates its
first admin, who then manages that municipality's accounts at /admin/benutzer. Nothing of a
municipality's checks is shown here: the installation admin reads the register of their own
municipality only, like every other admin.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Optional

from impactcheck.core.errors import InputError
from impactcheck.core.i18n import translated
from impactcheck.store import municipalities as municipal
from impactcheck.store import operations as ops
from impactcheck.store.models import Municipality, User
from impactcheck.web.access import installation_admin_required, is_installation_admin
from impactcheck.web.context import commit, db
from impactcheck.web.forms import MaxChars

bp = Blueprint("municipalities", __name__, url_prefix="/admin/kommunen")


@bp.record_once
def _register_globals(state) -> None:
    state.app.jinja_env.globals["is_installation_admin"] = is_installation_admin


class MunicipalityForm(FlaskForm):
    slug = StringField(
        _l("Kürzel"),
        validators=[DataRequired(_l("Bitte geben Sie ein Kürzel an."))],
        description=_l(
            "Kleinbuchstaben, Ziffern und Bindestriche, z. B. „arnstadt“. Es bleibt fest; eigene Regelwerke "
            "der Kommune liegen im Regelordner unter kommunen/<Kürzel>/."
        ),
    )
    name = StringField(
        _l("Name der Kommune"),
        validators=[DataRequired(_l("Bitte geben Sie den Namen der Kommune an.")), MaxChars(200)],
    )
    timezone = StringField(_l("Zeitzone"), validators=[Optional(), MaxChars(64)])
    rulesets = SelectMultipleField(_l("Angebotene Regelwerke"), validate_choice=False)
    default_ruleset = SelectField(_l("Standard-Regelwerk"), validate_choice=False)
    neutrality_year = StringField(
        _l("Zieljahr der Klimaneutralität"),
        validators=[Optional()],
        description=_l("Das Jahr, in dem die Kommune klimaneutral sein will, z. B. 2035. Optional."),
    )
    oparl_endpoint = StringField(
        _l("OParl-Schnittstelle des Ratsinformationssystems"),
        validators=[Optional()],
        description=_l(
            "Die Adresse des OParl-Systems oder der Körperschaft, z. B. https://ris.example.de/oparl/v1; von "
            "dort übernehmen Autorinnen und Autoren Vorlagen. Leer: die Einstellung OPARL_ENDPOINT der Installation."
        ),
    )


class AdminForm(FlaskForm):
    username = StringField(
        _l("Benutzername"), validators=[DataRequired(_l("Bitte geben Sie einen Benutzernamen an.")), MaxChars(64)]
    )
    display_name = StringField(_l("Name"), validators=[Optional(), MaxChars(200)])
    password = PasswordField(
        _l("Erstes Passwort"),
        validators=[DataRequired(_l("Bitte vergeben Sie ein erstes Passwort."))],
        description=_l("Mindestens 10 Zeichen. Teilen Sie es der Person auf sicherem Weg mit."),
    )


def _rules_dir() -> Path:
    return Path(current_app.config["RULES_DIR"])


def _labels(slug: str | None, ids: list[str]) -> dict[str, str]:
    """Rule set id -> "Title (Version …)" as this municipality sees it; a broken file shows its id."""
    rules = current_app.extensions["impactcheck.municipal_rules"]
    labels = {}
    for ident in ids:
        try:
            rs = rules.get(ident, slug)
            labels[ident] = f"{rs.title} (Version {rs.version})"
        except InputError:
            labels[ident] = ident
    return labels


def _settings_owned(municipality: Municipality | None) -> dict[str, bool]:
    """The installation's own municipality (setting MUNICIPALITY_SLUG) gets its rule sets (and, when
    MUNICIPALITY_NAME is set, its name) from the settings at every start: those fields are read only."""
    config = current_app.config
    own = municipality is not None and municipality.slug == config.get("MUNICIPALITY_SLUG")
    return {"rulesets": own, "name": own and bool(config.get("MUNICIPALITY_NAME"))}


def _prepare(form: MunicipalityForm, municipality: Municipality | None, available: list[str]) -> None:
    slug = municipality.slug if municipality else None
    labels = _labels(slug, available)
    form.rulesets.choices = [(i, labels[i]) for i in available]
    form.default_ruleset.choices = [(i, labels[i]) for i in available]
    zone = municipal.timezone_of(None, current_app.config)
    form.timezone.description = _(
        "Eine IANA-Zeitzone wie „Europe/Berlin“; leer: die der Installation (%(zone)s).", zone=zone
    )


def _data(form: MunicipalityForm, municipality: Municipality | None) -> municipal.MunicipalityData | None:
    """The form as MunicipalityData; None (with the error at the field) for an unreadable year."""
    year_text = (form.neutrality_year.data or "").strip()
    year = None
    if year_text:
        try:
            year = int(year_text)
        except ValueError:
            form.neutrality_year.errors = [_("Bitte geben Sie das Jahr als Zahl an, z. B. 2035.")]
            return None
    owned = _settings_owned(municipality)
    rulesets = list(form.rulesets.data or [])
    default = form.default_ruleset.data
    if default and default not in rulesets:
        rulesets.insert(0, default)
    elif default:
        rulesets = [default, *[r for r in rulesets if r != default]]
    if owned["rulesets"]:
        rulesets = list(municipality.rulesets or [])
    name = municipality.name if owned["name"] else (form.name.data or "")
    zone = (form.timezone.data or "").strip() or None
    endpoint = (form.oparl_endpoint.data or "").strip() or None
    return municipal.MunicipalityData(
        name=name, timezone=zone, rulesets=rulesets, neutrality_year=year, oparl_endpoint=endpoint
    )


def _put_errors(form: FlaskForm, exc: ops.OperationError) -> None:
    for problem in exc.problems:
        name = (problem.path or ("name",))[0]
        field = getattr(form, name, None) or form.name
        field.errors = [*list(field.errors or []), translated(problem.message)]


def _admins() -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    for user in db().scalars(select(User).where(User.role == "admin").order_by(User.username)):
        found.setdefault(user.municipality_id, []).append(user)
    return found


@bp.route("", methods=["GET", "POST"])
@installation_admin_required
def index():
    form = MunicipalityForm()
    slug_typed = (form.slug.data or "").strip()
    available = municipal.available_ids(_rules_dir(), slug_typed if municipal.SLUG.fullmatch(slug_typed) else "")
    _prepare(form, None, available)
    status = 200
    if request.method == "GET":
        default = current_app.config.get("DEFAULT_RULESET")
        form.default_ruleset.data = default if default in available else (available[0] if available else None)
        form.rulesets.data = [form.default_ruleset.data] if form.default_ruleset.data else []
    elif form.validate_on_submit():
        data = _data(form, None)
        if data is not None:
            try:
                municipality = ops.create_municipality(
                    db(), current_user, slug=slug_typed, data=data, available=available
                )
                commit()
            except ops.OperationError as exc:
                db().rollback()
                _put_errors(form, exc)
            else:
                flash(
                    _(
                        "Die Kommune „%(name)s“ ist angelegt. Legen Sie jetzt ihr erstes Admin-Konto an.",
                        name=municipality.name,
                    ),
                    "success",
                )
                return redirect(url_for("municipalities.edit", municipality_id=municipality.id))
        status = 422
    else:
        status = 422
    rows = list(db().scalars(select(Municipality).order_by(Municipality.name, Municipality.slug)))
    counts = dict(db().execute(select(User.municipality_id, func.count()).group_by(User.municipality_id)).all())
    page = render_template(
        "municipalities.html",
        form=form,
        municipalities=rows,
        admins=_admins(),
        counts=counts,
        installation_zone=municipal.timezone_of(None, current_app.config),
    )
    return page, status


def _municipality(municipality_id: int) -> Municipality:
    municipality = db().get(Municipality, municipality_id)
    if municipality is None:
        abort(404)
    return municipality


def _offerable(municipality: Municipality) -> list[str]:
    available = municipal.available_ids(_rules_dir(), municipality.slug)
    return available + [r for r in municipality.rulesets or [] if r not in available]  # a removed file stays listed


def _edit_form(municipality: Municipality, available: list[str], **kwargs) -> MunicipalityForm:
    form = MunicipalityForm(**kwargs)
    del form.slug  # fixed once created: it names the rules folder
    _prepare(form, municipality, available)
    return form


def _fill(form: MunicipalityForm, municipality: Municipality) -> None:
    form.name.data = municipality.name
    form.rulesets.data = list(municipality.rulesets or [])
    form.default_ruleset.data = municipality.default_ruleset
    form.timezone.data = municipality.timezone or ""
    form.neutrality_year.data = str(municipality.neutrality_year or "")
    form.oparl_endpoint.data = municipality.oparl_endpoint or ""


@bp.route("/<int:municipality_id>", methods=["GET", "POST"])
@installation_admin_required
def edit(municipality_id: int):
    municipality = _municipality(municipality_id)
    available = _offerable(municipality)
    form = _edit_form(municipality, available)
    status = 200
    if request.method == "GET":
        _fill(form, municipality)
    else:
        data = _data(form, municipality) if form.validate_on_submit() else None
        if data is not None:
            try:
                changed = ops.edit_municipality(db(), current_user, municipality, data, available=available)
                commit()
            except ops.OperationError as exc:
                db().rollback()
                _put_errors(form, exc)
            else:
                if changed:
                    flash(_("Die Angaben der Kommune „%(name)s“ sind gespeichert.", name=municipality.name), "success")
                return redirect(url_for("municipalities.edit", municipality_id=municipality.id))
        status = 422
    return _edit_page(municipality, form, AdminForm(), status)


def _edit_page(municipality: Municipality, form: MunicipalityForm, admin_form: AdminForm, status: int):
    admins = _admins().get(municipality.id, [])
    page = render_template(
        "municipality.html",
        municipality=municipality,
        form=form,
        admin_form=admin_form,
        admins=admins,
        owned=_settings_owned(municipality),
    )
    return page, status


@bp.post("/<int:municipality_id>/admins")
@installation_admin_required
def add_admin(municipality_id: int):
    """The municipality's (first or further) admin; that admin then manages its other accounts."""
    municipality = _municipality(municipality_id)
    admin_form = AdminForm()
    if admin_form.validate_on_submit():
        try:
            ops.create_user(
                db(),
                current_user,
                municipality=municipality,
                username=admin_form.username.data,
                password=admin_form.password.data,
                role="admin",
                display_name=admin_form.display_name.data or None,
            )
            commit()
        except ops.OperationError as exc:
            db().rollback()
            fields = {"password": admin_form.password, "display_name": admin_form.display_name}
            field = fields.get((exc.problems[0].path or ("username",))[0], admin_form.username)
            field.errors = [translated(exc.problems[0].message)]
        else:
            flash(
                _(
                    "Das Admin-Konto „%(user)s“ für „%(name)s“ ist angelegt.",
                    user=admin_form.username.data.strip(),
                    name=municipality.name,
                ),
                "success",
            )
            return redirect(url_for("municipalities.edit", municipality_id=municipality.id))
    form = _edit_form(municipality, _offerable(municipality), formdata=None)
    _fill(form, municipality)
    return _edit_page(municipality, form, admin_form, 422)

"""The JSON API under /api/v1 for scripts and other systems.

Authentication: a bearer token of the user (store/tokens.py; no CSRF token needed), or the browser's
login cookie (then writes need the CSRF token in X-CSRFToken, as every form). Who may do what is
store/permissions.py, what a draft needs and allows store/workflow.py, every change an operation: the
API decides nothing of its own. Drafts are versioned: every response about a check carries its ETag,
and every write to a draft must send it back in If-Match (412 when it is outdated, 428 without).
Errors are application/problem+json with the same German sentences the web pages show.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from impactcheck.core.errors import AnswersError, InputError
from impactcheck.core.evaluate import check_value
from impactcheck.core.i18n import translated
from impactcheck.core.model import localized
from impactcheck.store import current as current_state
from impactcheck.store import listing, permissions, tokens, workflow
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Revision
from impactcheck.web import api_schema as schema
from impactcheck.web.context import commit, db, municipality_timezone, offered_rulesets, ruleset
from impactcheck.web.extensions import csrf, login_manager
from impactcheck.web.openapi import Api, Param
from impactcheck.web.templating import rule_text

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
api = Api(bp, "impactcheck API", "1.0")
csrf.exempt(bp)  # checked below for cookie logins only: a bearer token cannot be sent by another site


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem(status: int, title: str, detail: str, headers: dict | None = None, **extra: Any) -> Response:
    body = schema.Problem(status=status, title=title, detail=detail, **extra)
    return Response(body.model_dump_json(exclude_defaults=False), status, headers, mimetype="application/problem+json")


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    headers = {"WWW-Authenticate": 'Bearer realm="impactcheck"'} if exc.status == 401 else None
    return problem(exc.status, exc.title, exc.detail, headers, **exc.extra)


@bp.errorhandler(404)
@bp.errorhandler(405)
def _http_error(exc):
    return problem(exc.code, exc.name, _("Diese Adresse oder Methode gibt es in der API nicht."))


# --- who is asking ------------------------------------------------------------------------------


@login_manager.request_loader
def _user_from_token(req):
    """A bearer token acts as its user, on the API's addresses only."""
    if not req.path.startswith(PREFIX + "/"):
        return None
    scheme, _sep, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    user = tokens.user_for(db(), token.strip())
    if user is not None:
        g.api_token = True
        if db().dirty:
            db().commit()  # last_used_at (written at most every few minutes); nothing else is pending yet
    return user


@bp.before_request
def _authenticate():
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "api_public", False):
        return None
    if "Authorization" in request.headers and not g.get("api_token"):
        raise ApiError(401, _("Nicht angemeldet"), _("Das Token ist ungültig, widerrufen oder sein Konto deaktiviert."))
    if not current_user.is_authenticated:
        raise ApiError(
            401, _("Nicht angemeldet"), _("Melden Sie sich an oder senden Sie ein Token (Authorization: Bearer …).")
        )
    if not g.get("api_token") and request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            csrf.protect()
        except CSRFError:
            raise ApiError(
                400,
                _("CSRF-Token fehlt"),
                _("Mit der Browser-Anmeldung braucht jeder Schreibzugriff das CSRF-Token (X-CSRFToken)."),
            ) from None
    return None


# --- reading and answering ----------------------------------------------------------------------


def _body(model: type[BaseModel]) -> Any:
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, _("Kein JSON"), _("Der Inhalt muss ein JSON-Objekt sein (Content-Type: application/json)."))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            schema.FieldProblem(field=".".join(str(p) for p in e["loc"]) or None, message=_german(e))
            for e in exc.errors()
        ]
        raise ApiError(422, _("Ungültige Angaben"), errors[0].message, errors=errors) from None


def _german(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return _("Angabe fehlt.")
    if kind == "extra_forbidden":
        return _("Dieses Feld gibt es nicht.")
    if kind in ("string_too_short", "string_too_long"):
        limit = error.get("ctx", {}).get("max_length")
        return _("Höchstens %(limit)s Zeichen.", limit=limit) if limit else _("Darf nicht leer sein.")
    if kind.startswith("date"):
        return _("Kein gültiges Datum (JJJJ-MM-TT).")
    return _("Ungültiger Wert.")


def _check(check_id: int, *, edit: bool = False) -> Check:
    check = db().get(Check, check_id)
    if check is None or not permissions.may_see(current_user, check):
        raise ApiError(404, _("Nicht gefunden"), _("Einen Klimacheck %(id)s gibt es für Sie nicht.", id=check_id))
    if edit and not permissions.may_edit(current_user, check):
        raise ApiError(
            403, _("Nicht erlaubt"), _("Diesen Klimacheck kann nur seine Verfasserin oder sein Verfasser ändern.")
        )
    return check


def etag(check: Check) -> str:
    revision = check.current
    return f'"{check.id}-{revision.number}-{revision.version}"'


def _draft(check: Check, if_match: bool = True) -> Revision:
    """The check's draft, after If-Match named its current version."""
    revision = check.current
    if not revision.is_draft:
        raise ApiError(
            409,
            _("Bereits eingereicht"),
            _("Dieser Klimacheck ist bereits eingereicht. Legen Sie eine neue Revision an, um ihn zu ändern."),
        )
    if if_match:
        sent = request.headers.get("If-Match")
        if not sent:
            raise ApiError(428, _("If-Match fehlt"), _("Senden Sie den ETag des Klimachecks in If-Match mit."))
        if etag(check) not in {_plain_etag(t) for t in sent.split(",")}:
            raise _outdated()
    return revision


# A compressed response's ETag names its encoding too ("1-1-3:gzip", Flask-Compress): the same version.
_ENCODED = re.compile(r':(?:gzip|br|zstd|deflate)"$')


def _plain_etag(tag: str) -> str:
    return _ENCODED.sub('"', tag.strip().removeprefix("W/"))


def _commit() -> None:
    try:
        commit()
    except ops.ConflictError:
        raise _outdated() from None


def _outdated() -> ApiError:
    return ApiError(
        412,
        _("Veraltet"),
        _(
            "Dieser Entwurf wurde inzwischen an anderer Stelle geändert (in einem anderen Fenster oder von "
            "einer anderen Person). Lesen Sie ihn neu."
        ),
    )


def _refused(exc: InputError) -> ApiError:
    db().rollback()
    status = 412 if isinstance(exc, ops.ConflictError) else 409 if isinstance(exc, ops.OperationError) else 422
    errors = [
        schema.FieldProblem(field=".".join(map(str, p.path)) or None, message=translated(p.message, _))
        for p in exc.problems
    ]
    return ApiError(status, _("Nicht möglich"), "; ".join(e.message for e in errors), errors=errors)


def _summary(check: Check) -> schema.CheckOut:
    return schema.CheckOut(
        id=check.id,
        url=url_for("api.read_check", check_id=check.id, _external=True),
        reference=check.reference,
        title=check.title,
        department=check.department,
        committee=check.committee,
        meeting_date=check.meeting_date,
        status=check.status,
        filed_revision=check.filed_number,
        verdict=check.verdict,
        alternative_verdict=check.alternative_verdict,
        adopted_verdict=check.adopted_verdict,
        t_co2e_per_year=check.t_co2e_per_year,
        outcome=check.outcome,
        created_at=check.created_at,
        submitted_at=check.submitted_at,
    )


def _revision_out(check: Check, revision: Revision) -> schema.RevisionOut:
    from impactcheck.web.results import code_for

    return schema.RevisionOut(
        number=revision.number,
        status=revision.status,
        version=revision.version,
        ruleset_id=revision.ruleset_id,
        ruleset_version=revision.ruleset_version,
        verdict=revision.verdict,
        submitted_at=revision.submitted_at,
        reviewed_at=revision.reviewed_at,
        verification_code=code_for(check, revision) if revision.result is not None else None,
    )


def _draft_out(check: Check, revision: Revision) -> schema.DraftOut:
    rs = ruleset(revision.ruleset_id)
    state = workflow.of_revision(rs, revision, check.paper)
    incomplete = state.proposal.first_incomplete(rs)
    preview = state.would_be
    return schema.DraftOut(
        steps=[s.id for s in state.proposal.steps],
        first_incomplete_step=incomplete.id if incomplete else None,
        alternative_needed=state.alternative_needed,
        justification_needed=state.alternative_negative,
        blockers=[schema.Blocker(code=b.code, message=translated(b.message, _)) for b in state.blockers],
        actions=sorted(state.actions()),
        verdict_preview=preview.verdict if preview else None,
        answers=state.proposal.answers,
        alternative_description=revision.alternative_description,
        alternative_answers=state.alternative.answers if state.alternative else None,
        dropped_answers=list(state.dropped_ids),
    )


def _detail(check: Check, status: int = 200, headers: dict | None = None) -> Response:
    own_draft = check.current.is_draft and permissions.may_edit(current_user, check)
    filed = current_state.latest_filed(check.revisions)
    # The owner works on the draft; everyone else reads the latest submitted revision (the climate
    # department also sees a draft never submitted, without its answers).
    revision = check.current if own_draft or filed is None else filed
    body = schema.CheckDetail(
        **_summary(check).model_dump(),
        revision=_revision_out(check, revision),
        draft=_draft_out(check, revision) if own_draft else None,
        result=revision.result,
    )
    return Response(
        body.model_dump_json(), status, {"ETag": etag(check), **(headers or {})}, mimetype="application/json"
    )


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status, mimetype="application/json")


PAGING = (
    Param(listing.PAGE_ARG, "Seite, ab 1", {"type": "integer", "minimum": 1}),
    Param(listing.SIZE_ARG, "Einträge pro Seite", {"type": "integer", "enum": list(listing.PAGE_SIZES)}),
)
FILTERS = tuple(Param(arg, f"Filter wie im Register ({name})") for name, arg in listing.ARGS.items())


@api.route(
    "GET",
    "/checks",
    summary="Klimachecks, gefiltert und seitenweise wie im Register",
    response=schema.CheckPage,
    params=FILTERS + PAGING,
    errors=(400,),
)
def list_checks():
    flt = listing.parse_filter(request.args, municipality_timezone())
    query = listing.register_query(current_user.municipality_id, current_user.role, flt)
    if not permissions.may_see_all(current_user):
        query = query.where(Check.owner_id == current_user.id)
    number, size = listing.parse_paging(request.args)
    page = listing.paginate(db(), query, number, size)

    def link(n: int) -> str:
        args = {**flt.to_args(), listing.PAGE_ARG: str(n), listing.SIZE_ARG: str(page.size)}
        return url_for("api.list_checks", _external=True, **args)

    return _json(
        schema.CheckPage(
            items=[_summary(c) for c in page.items],
            total=page.total,
            page=page.number,
            pages=page.pages,
            size=page.size,
            next=link(page.number + 1) if page.number < page.pages else None,
            previous=link(page.number - 1) if page.number > 1 else None,
        )
    )


@api.route(
    "POST",
    "/checks",
    summary="Einen Klimacheck beginnen",
    body=schema.PaperIn,
    response=schema.CheckDetail,
    status=201,
    errors=(400, 403, 422),
    etag=True,
)
def create_check():
    if not permissions.may_start(current_user):
        raise ApiError(403, _("Nicht erlaubt"), _("Ihre Rolle kann keine Klimachecks beginnen."))
    paper = _body(schema.PaperIn)
    offered = offered_rulesets()
    ident = paper.ruleset or offered[0]
    if ident not in offered:
        raise ApiError(
            422,
            _("Ungültige Angaben"),
            _(
                "Regelwerk „%(ruleset)s“ wird hier nicht angeboten; angeboten: %(offered)s.",
                ruleset=ident,
                offered=", ".join(offered),
            ),
            errors=[schema.FieldProblem(field="ruleset", message=_("Nicht angeboten."))],
        )
    data = ops.PaperData(paper.reference, paper.title, paper.department, paper.committee, paper.meeting_date)
    check = ops.create_check(db(), current_user, paper=data, ruleset=ruleset(ident))
    _commit()
    location = url_for("api.read_check", check_id=check.id, _external=True)
    return _detail(check, 201, {"Location": location})


@api.route(
    "GET",
    "/checks/<int:check_id>",
    summary="Ein Klimacheck: Stand, Entwurf, Ergebnis",
    response=schema.CheckDetail,
    errors=(404,),
    etag=True,
)
def read_check(check_id: int):
    return _detail(_check(check_id))


@api.route(
    "GET",
    "/checks/<int:check_id>/result",
    summary="Das gespeicherte Ergebnis einer eingereichten Revision",
    params=(Param("revision", "Revisionsnummer; Standard: die zuletzt eingereichte", {"type": "integer"}),),
    errors=(404,),
)
def read_result(check_id: int):
    from impactcheck.web.results import code_for

    check = _check(check_id)
    number = request.args.get("revision", type=int)
    filed = [r for r in check.revisions if r.result is not None]
    revision = next((r for r in filed if r.number == number), None) if number else (filed[-1] if filed else None)
    if revision is None:
        raise ApiError(404, _("Nicht gefunden"), _("Diese Revision ist nicht eingereicht oder gibt es nicht."))
    body = {
        **revision.result,
        "check": {
            "id": check.id,
            "revision": revision.number,
            "status": revision.status,
            "verification_code": code_for(check, revision),
        },
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@api.route(
    "PATCH",
    "/checks/<int:check_id>/answers",
    summary="Antworten speichern (null entfernt eine Antwort)",
    body=schema.AnswersIn,
    response=schema.CheckDetail,
    errors=(400, 403, 404, 409, 422),
    etag=True,
    if_match=True,
)
def save_answers(check_id: int):
    check = _check(check_id, edit=True)
    sent = _body(schema.AnswersIn)
    revision = _draft(check)
    rs = ruleset(revision.ruleset_id)
    values, errors = {}, []
    for key, value in sent.answers.items():
        question = rs.questions.get(key)
        if question is None:
            errors.append(
                schema.FieldProblem(field=f"answers.{key}", message=_("Unbekannte Frage „%(key)s“.", key=key))
            )
            continue
        clean, error = (None, None) if value is None else check_value(question, value)
        if error:
            errors.append(
                schema.FieldProblem(
                    field=f"answers.{key}",
                    message=f"{localized(question, 'text', str(get_locale()))}: {translated(error, _)}",
                )
            )
        values[key] = clean
    if errors:
        raise ApiError(422, _("Ungültige Antworten"), errors[0].message, errors=errors)
    steps = sorted({rs.step_of[q].id for q in values if q in rs.step_of})
    try:
        ops.save_step(
            db(),
            current_user,
            revision,
            step_id=",".join(steps) or "-",
            values=values,
            expected_version=revision.version,
            alternative=sent.variant == "alternative",
        )
    except ops.OperationError as exc:
        raise _refused(exc) from None
    _commit()
    return _detail(check)


@api.route(
    "PUT",
    "/checks/<int:check_id>/alternative",
    summary="Die Alternative beschreiben (beginnt sie)",
    body=schema.AlternativeIn,
    response=schema.CheckDetail,
    errors=(400, 403, 404, 409, 422),
    etag=True,
    if_match=True,
)
def set_alternative(check_id: int):
    check = _check(check_id, edit=True)
    sent = _body(schema.AlternativeIn)
    revision = _draft(check)
    try:
        ops.set_alternative(
            db(), current_user, revision, description=sent.description, expected_version=revision.version
        )
    except ops.OperationError as exc:
        raise _refused(exc) from None
    _commit()
    return _detail(check)


@api.route(
    "DELETE",
    "/checks/<int:check_id>/alternative",
    summary="Die Alternative entfernen",
    response=schema.CheckDetail,
    errors=(403, 404, 409),
    etag=True,
    if_match=True,
)
def remove_alternative(check_id: int):
    check = _check(check_id, edit=True)
    revision = _draft(check)
    ops.remove_alternative(db(), current_user, revision, expected_version=revision.version)
    _commit()
    return _detail(check)


@api.route(
    "POST",
    "/checks/<int:check_id>/submit",
    summary="Den Entwurf einreichen",
    body=schema.SubmitIn,
    response=schema.CheckDetail,
    errors=(400, 403, 404, 409, 422),
    etag=True,
    if_match=True,
)
def submit(check_id: int):
    check = _check(check_id, edit=True)
    sent = _body(schema.SubmitIn)
    revision = _draft(check)
    rs = ruleset(revision.ruleset_id)
    blockers = workflow.of_revision(rs, revision, check.paper).submission_blockers(sent.justification)
    if blockers:
        raise ApiError(
            409,
            _("Noch nicht einreichbar"),
            translated(blockers[0].message, _),
            blockers=[schema.Blocker(code=b.code, message=translated(b.message, _)) for b in blockers],
        )
    try:
        ops.submit(db(), current_user, check, rs, expected_version=revision.version, justification=sent.justification)
    except (ops.OperationError, AnswersError) as exc:
        raise _refused(exc) from None
    _commit()
    return _detail(check)


@api.route(
    "POST",
    "/checks/<int:check_id>/revisions",
    summary="Eine neue Revision beginnen (ein Entwurf mit den bisherigen Antworten; gibt es schon einen, ist er es)",
    response=schema.CheckDetail,
    status=201,
    errors=(403, 404, 409),
    etag=True,
)
def new_revision(check_id: int):
    check = _check(check_id, edit=True)
    try:
        ops.new_revision(db(), current_user, check)
    except ops.OperationError as exc:
        raise _refused(exc) from None
    _commit()
    return _detail(check, 201)


# --- rule sets and the document -----------------------------------------------------------------


def _ruleset_out(ident: str, default: bool) -> schema.RulesetOut:
    rs = ruleset(ident)
    return schema.RulesetOut(id=rs.id, version=rs.version, title=rs.title, default=default)


@api.route("GET", "/rulesets", summary="Die angebotenen Regelwerke", response=None)
def list_rulesets():
    offered = offered_rulesets()
    items = [_ruleset_out(ident, i == 0).model_dump() for i, ident in enumerate(offered)]
    return Response(json.dumps({"items": items}, ensure_ascii=False), mimetype="application/json")


@api.route(
    "GET",
    "/rulesets/<ruleset_id>",
    summary="Ein Regelwerk: Schritte und Fragen",
    response=schema.RulesetDetail,
    errors=(404,),
)
def read_ruleset(ruleset_id: str):
    offered = offered_rulesets()
    used = db().scalar(
        select(Revision.id)
        .join(Check)
        .where(Check.municipality_id == current_user.municipality_id, Revision.ruleset_id == ruleset_id)
        .limit(1)
    )
    if ruleset_id not in offered and used is None:
        raise ApiError(404, _("Nicht gefunden"), _("Regelwerk „%(ruleset)s“ gibt es hier nicht.", ruleset=ruleset_id))
    rs = ruleset(ruleset_id)
    steps = [
        schema.StepOut(id=step.id, title=rule_text(step, "title"), questions=[_question_out(q) for q in step.questions])
        for step in rs.all_steps
    ]
    return _json(
        schema.RulesetDetail(**_ruleset_out(ruleset_id, offered[:1] == [ruleset_id]).model_dump(), steps=steps)
    )


def _question_out(q) -> schema.QuestionOut:
    options = [schema.OptionOut(id=o.id, label=rule_text(o, "label")) for o in getattr(q, "options", None) or ()]
    return schema.QuestionOut(
        id=q.id,
        type=q.type,
        text=rule_text(q, "text"),  # in the client's Accept-Language where the rule set has it
        required=bool(q.required),
        options=options,
        unit=getattr(q, "unit", None),
        min=getattr(q, "min", None),
        max=getattr(q, "max", None),
    )


@api.route("GET", "/openapi.json", summary="Dieses Dokument (OpenAPI 3.1)", public=True)
def openapi_document():
    return Response(json.dumps(api.document(PREFIX), ensure_ascii=False, indent=1), mimetype="application/json")

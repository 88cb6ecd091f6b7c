"""The author's wizard: start a check, answer step by step, review, describe the alternative, submit.

Views stay thin: they check access, read the form, call one operation, commit, redirect (PRG).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from impactcheck.core.errors import AnswersError, InputError
from impactcheck.core.evaluate import evaluate, steps_for
from impactcheck.core.model import RuleSet, Step
from impactcheck.core.result import Result
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Revision
from impactcheck.web.access import CREATORS, load_check, roles_required
from impactcheck.web.context import commit, db, offered_rulesets, ruleset
from impactcheck.web.forms import AlternativeForm, PaperForm, SubmitForm, VersionForm
from impactcheck.web.stepform import StepPage
from impactcheck.web.uploads import read_docx_upload

bp = Blueprint("wizard", __name__)


@bp.get("/")
@login_required
def index():
    if current_user.role in CREATORS:
        return redirect(url_for("wizard.my_checks"))
    if current_user.role == "admin":
        return redirect(url_for("admin.users"))
    return redirect(url_for("register.all_checks"))


@bp.get("/klimachecks")
@roles_required(*CREATORS)
def my_checks():
    checks = (
        db()
        .scalars(
            select(Check)
            .where(Check.municipality_id == current_user.municipality_id, Check.owner_id == current_user.id)
            .order_by(Check.created_at.desc(), Check.id.desc())
        )
        .all()
    )
    return render_template("my_checks.html", checks=checks)


# --- starting a check and its paper data ------------------------------------------------------


def _paper_data(form: PaperForm) -> ops.PaperData:
    return ops.PaperData(
        reference=form.reference.data.strip(),
        title=form.title.data.strip(),
        department=form.department.data.strip(),
        committee=form.committee.data.strip(),
        meeting_date=form.meeting_date.data,
    )


def _ruleset_choices() -> list[SelectChoice]:
    choices = []
    for rid in offered_rulesets():
        try:
            rs = ruleset(rid)
        except InputError:
            continue  # a broken rule file must not take the whole form down; `rules check` names it
        choices.append(SelectChoice(rs.id, f"{rs.title} (Version {rs.version})"))
    return choices


@bp.route("/klimachecks/neu", methods=["GET", "POST"])
@roles_required(*CREATORS)
def new_check():
    form = PaperForm()
    form.ruleset.choices = _ruleset_choices()
    if not form.ruleset.choices:
        abort(503)
    if request.method == "GET":
        form.ruleset.data = form.ruleset.choices[0].value
    upload_error = None
    if form.validate_on_submit():
        upload = None
        try:
            upload = read_docx_upload(form.paper.data)
        except InputError as exc:
            upload_error = exc.one_line()
        if upload_error is None:
            rs = ruleset(form.ruleset.data)
            check = ops.create_check(db(), current_user, paper=_paper_data(form), ruleset=rs, upload=upload)
            commit()
            return redirect(url_for("wizard.step", check_id=check.id, step_id=rs.all_steps[0].id))
    if upload_error:
        form.paper.errors = [upload_error]
    return render_template("paper.html", form=form, check=None)


@bp.route("/klimachecks/<int:check_id>/vorlage", methods=["GET", "POST"])
@login_required
def paper(check_id: int):
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    form = PaperForm()
    del form.ruleset  # the rule set is chosen once, at the start
    del form.paper
    if request.method == "GET":
        form.process(data={**check.paper, "meeting_date": check.meeting_date, "version": revision.version})
    conflict = None
    if form.validate_on_submit():
        try:
            ops.update_paper(db(), current_user, check, _paper_data(form), expected_version=_version(form))
            commit()
        except ops.ConflictError as exc:
            conflict = exc.one_line()
            form.version.data = str(check.current.version)
        else:
            rs = ruleset(revision.ruleset_id)
            return redirect(url_for("wizard.step", check_id=check.id, step_id=rs.all_steps[0].id))
    return render_template("paper.html", form=form, check=check, conflict=conflict)


# --- the steps --------------------------------------------------------------------------------


def _version(form: Any) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1  # a page without a valid version can only conflict


def _draft_or_redirect(check: Check):
    revision = check.current
    if not revision.is_draft:
        flash(_("Dieser Klimacheck ist eingereicht. Für Änderungen legen Sie eine neue Revision an."), "info")
        return redirect(url_for("results.view", check_id=check.id))
    return revision


def _answers(revision: Revision, alternative: bool) -> dict[str, Any]:
    if alternative:
        return dict(revision.alternative_answers or {})
    return dict(revision.answers or {})


def _step_url(check: Check, step: Step, alternative: bool, **kwargs) -> str:
    endpoint = "wizard.alternative_step" if alternative else "wizard.step"
    return url_for(endpoint, check_id=check.id, step_id=step.id, **kwargs)


def _step_view(check_id: int, step_id: str, alternative: bool):
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    if alternative and revision.alternative_answers is None:
        return redirect(url_for("wizard.alternative", check_id=check.id))
    rs = ruleset(revision.ruleset_id)
    answers = _answers(revision, alternative)
    visible = steps_for(rs, answers)
    step = next((s for s in visible if s.id == step_id), None)
    if step is None:
        if any(s.id == step_id for s in rs.all_steps):
            flash(_("Dieser Schritt entfällt nach Ihren bisherigen Angaben."), "info")
            return redirect(url_for("wizard.resume", check_id=check.id, alternative=int(alternative) or None))
        abort(404)

    restored = False
    if request.method == "POST":
        page = StepPage(rs, step, answers, formdata=request.form)
    else:
        pending = None
        token = request.args.get("wiederherstellen")
        if token:
            pending = ops.take_pending_input(db(), token, check, request.path)
            commit()
        if pending:
            page = StepPage(rs, step, answers, formdata=MultiDict(pending))
            page.form.version.data = str(revision.version)
            restored = True
        else:
            page = StepPage(rs, step, answers)
            page.form.version.data = str(revision.version)

    conflict = None
    if request.method == "POST" and page.form.validate_on_submit():
        action = request.form.get("action", "next")
        values = page.read(require=action == "next")
        if values is not None:
            try:
                ops.save_step(
                    db(),
                    current_user,
                    revision,
                    step_id=step.id,
                    values=values,
                    expected_version=_version(page.form),
                    alternative=alternative,
                )
                commit()
            except ops.ConflictError as exc:
                db().rollback()
                conflict = exc.one_line()
                page.form.version.data = str(load_check(check_id, edit=True).current.version)
            else:
                return redirect(_after_save(check, rs, revision, step, action, alternative))

    steps = steps_for(rs, {**answers})
    number = next((i for i, s in enumerate(steps, 1) if s.id == step.id), 1)
    return render_template(
        "step.html",
        check=check,
        revision=revision,
        ruleset=rs,
        step=step,
        page=page,
        number=number,
        total=len(steps),
        alternative=alternative,
        conflict=conflict,
        restored=restored,
        back_url=_previous_url(check, steps, step, alternative),
    )


def _after_save(check: Check, rs: RuleSet, revision: Revision, step: Step, action: str, alternative: bool) -> str:
    if action == "save":
        flash(
            _("Ihr Entwurf ist gespeichert. Sie können ihn jederzeit unter „Meine Klimachecks“ fortsetzen."), "success"
        )
        return url_for("wizard.my_checks")
    steps = steps_for(rs, _answers(revision, alternative))
    position = next((i for i, s in enumerate(steps) if s.id == step.id), None)
    if action == "back":
        if position:
            return _step_url(check, steps[position - 1], alternative)
        return url_for("wizard.alternative" if alternative else "wizard.paper", check_id=check.id)
    if request.args.get("zurueck") == "pruefen":
        return url_for("wizard.review", check_id=check.id)
    if position is not None and position + 1 < len(steps):
        return _step_url(check, steps[position + 1], alternative)
    return url_for("wizard.review", check_id=check.id)


def _previous_url(check: Check, steps: list[Step], step: Step, alternative: bool) -> str:
    position = next((i for i, s in enumerate(steps) if s.id == step.id), 0)
    if position > 0:
        return _step_url(check, steps[position - 1], alternative)
    return url_for("wizard.alternative" if alternative else "wizard.paper", check_id=check.id)


@bp.route("/klimachecks/<int:check_id>/schritt/<step_id>", methods=["GET", "POST"])
@login_required
def step(check_id: int, step_id: str):
    return _step_view(check_id, step_id, alternative=False)


@bp.route("/klimachecks/<int:check_id>/alternative/schritt/<step_id>", methods=["GET", "POST"])
@login_required
def alternative_step(check_id: int, step_id: str):
    return _step_view(check_id, step_id, alternative=True)


def _first_incomplete(rs: RuleSet, answers: dict[str, Any]) -> Step | None:
    """The first visible step with a required question unanswered (or an invalid answer)."""
    try:
        evaluate(rs, answers)
        return None
    except AnswersError as exc:
        for problem in exc.problems:
            qid = problem.path[-1] if problem.path else None
            if qid in rs.step_of:
                step = rs.step_of[qid]
                if any(s.id == step.id for s in steps_for(rs, answers)):
                    return step
        return steps_for(rs, answers)[0]


@bp.get("/klimachecks/<int:check_id>/weiter")
@login_required
def resume(check_id: int):
    """Continue a draft where it needs the author: the first incomplete step, else the review page."""
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    rs = ruleset(revision.ruleset_id)
    alternative = request.args.get("alternative") == "1" and revision.alternative_answers is not None
    incomplete = _first_incomplete(rs, _answers(revision, alternative))
    if incomplete is not None:
        return redirect(_step_url(check, incomplete, alternative))
    return redirect(url_for("wizard.review", check_id=check.id))


# --- the alternative --------------------------------------------------------------------------


@bp.route("/klimachecks/<int:check_id>/alternative", methods=["GET", "POST"])
@login_required
def alternative(check_id: int):
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    rs = ruleset(revision.ruleset_id)
    form = AlternativeForm()
    if request.method == "GET":
        form.description.data = revision.alternative_description
        form.version.data = str(revision.version)
    conflict = None
    if form.validate_on_submit():
        try:
            ops.set_alternative(
                db(), current_user, revision, description=form.description.data, expected_version=_version(form)
            )
            commit()
        except ops.ConflictError as exc:
            db().rollback()
            conflict = exc.one_line()
            form.version.data = str(load_check(check_id, edit=True).current.version)
        else:
            first = steps_for(rs, revision.alternative_answers or {})[0]
            return redirect(_step_url(check, first, alternative=True))
    return render_template("alternative.html", check=check, revision=revision, form=form, conflict=conflict)


@bp.post("/klimachecks/<int:check_id>/alternative/entfernen")
@login_required
def remove_alternative(check_id: int):
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    form = VersionForm()
    if form.validate_on_submit():
        try:
            ops.remove_alternative(db(), current_user, revision, expected_version=_version(form))
            commit()
            flash(_("Die Alternative wurde entfernt."), "info")
        except ops.ConflictError as exc:
            db().rollback()
            flash(exc.one_line(), "error")
    return redirect(url_for("wizard.review", check_id=check.id))


# --- review and submit ------------------------------------------------------------------------


def _try_evaluate(rs: RuleSet, answers: dict[str, Any], paper: dict[str, str]) -> tuple[Result | None, list]:
    try:
        return evaluate(rs, answers, paper=paper), []
    except AnswersError as exc:
        return None, exc.problems


def _summary(rs: RuleSet, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The visible steps with their answered questions, for the review page."""
    from impactcheck.core.evaluate import Visibility

    vis = Visibility(rs, answers)
    shown = {q.id for q in vis.questions}
    rows = []
    for step in vis.steps:
        items = [
            {"question": q, "answer": q.display(vis.effective.get(q.id)), "answered": q.id in vis.effective}
            for q in step.questions
            if q.id in shown
        ]
        rows.append({"step": step, "items": items})
    return rows


def _problem_links(rs: RuleSet, problems: list, check: Check, alternative: bool) -> list[dict[str, str]]:
    links = []
    for p in problems:
        qid = p.path[-1] if p.path else None
        step = rs.step_of.get(qid) if isinstance(qid, str) else None
        question = rs.questions.get(qid) if isinstance(qid, str) else None
        text = question.text if question is not None else p.message
        url = _step_url(check, step, alternative, zurueck="pruefen") + f"#q-{qid}" if step else None
        links.append({"text": text, "message": p.message, "url": url})
    return links


def review_context(check: Check, revision: Revision) -> dict[str, Any]:
    rs = ruleset(revision.ruleset_id)
    answers = dict(revision.answers or {})
    proposal, problems = _try_evaluate(rs, answers, check.paper)
    alt = None
    alt_problems: list = []
    if revision.alternative_answers is not None:
        alt, alt_problems = _try_evaluate(rs, dict(revision.alternative_answers), check.paper)
    alt_needed = proposal is not None and proposal.verdict in rs.settings.alternative_required_for
    alt_negative = alt is not None and alt.verdict in rs.settings.alternative_required_for
    can_submit = proposal is not None and (not alt_needed or (alt is not None and not alt_problems))
    return {
        "ruleset": rs,
        "summary": _summary(rs, answers),
        "proposal": proposal,
        "problems": _problem_links(rs, problems, check, False),
        "dropped": [m for m in (proposal.messages if proposal else ()) if "verworfen" in m],
        "alt": alt,
        "alt_summary": _summary(rs, dict(revision.alternative_answers)) if revision.alternative_answers else None,
        "alt_problems": _problem_links(rs, alt_problems, check, True),
        "alt_needed": alt_needed,
        "alt_negative": alt_negative,
        "can_submit": can_submit,
    }


@bp.get("/klimachecks/<int:check_id>/pruefen")
@login_required
def review(check_id: int):
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    form = SubmitForm()
    form.version.data = str(revision.version)
    return render_template("review.html", check=check, revision=revision, form=form, **review_context(check, revision))


@bp.post("/klimachecks/<int:check_id>/einreichen")
@login_required
def submit(check_id: int):
    check = load_check(check_id, edit=True)
    revision = _draft_or_redirect(check)
    if not isinstance(revision, Revision):
        return revision
    form = SubmitForm()
    error = None
    if form.validate_on_submit():
        rs = ruleset(revision.ruleset_id)
        try:
            result = ops.submit(
                db(),
                current_user,
                check,
                rs,
                expected_version=_version(form),
                justification=form.justification.data,
            )
            commit()
        except (ops.OperationError, AnswersError) as exc:
            db().rollback()
            error = exc.one_line()
            check = load_check(check_id, edit=True)
            revision = check.current
        else:
            dropped = [m for m in result.messages if "verworfen" in m]
            flash(_("Der Klimacheck ist eingereicht."), "success")
            if dropped:
                flash(
                    _(
                        "%(n)d Antwort(en) zu Fragen, die nach Ihren Angaben entfallen, wurden nicht übernommen.",
                        n=len(dropped),
                    ),
                    "info",
                )
            return redirect(url_for("results.view", check_id=check.id))
    else:
        error = "; ".join(e for errors in form.errors.values() for e in errors)
    return render_template(
        "review.html", check=check, revision=revision, form=form, submit_error=error, **review_context(check, revision)
    ), 422


# --- after submission -------------------------------------------------------------------------


@bp.post("/klimachecks/<int:check_id>/neue-revision")
@login_required
def new_revision(check_id: int):
    check = load_check(check_id, edit=True)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            ops.new_revision(db(), current_user, check)
            commit()
        except ops.OperationError as exc:
            db().rollback()
            flash(exc.one_line(), "error")
            return redirect(url_for("results.view", check_id=check.id))
        flash(_("Neue Revision angelegt. Ihre bisherigen Antworten sind übernommen."), "success")
        return redirect(url_for("wizard.review", check_id=check.id))
    abort(400)

"""The author's wizard: start a check, answer step by step, review, describe the alternative, submit.

Views stay thin: they check access, read the form, call one operation, commit, redirect (PRG).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from impactcheck.core.errors import AnswersError, InputError
from impactcheck.core.evaluate import Visibility, known_answers, steps_for
from impactcheck.core.i18n import translated
from impactcheck.core.localize import localize
from impactcheck.core.model import EXIT_STEP_ID, RuleSet, Step
from impactcheck.store import operations as ops
from impactcheck.store import workflow
from impactcheck.store.models import Check, Revision, utcnow
from impactcheck.store.roles import STATUS_LABELS
from impactcheck.web.access import CREATORS, READERS_OF_ALL, REVIEWERS, load_check, may_delete_draft, roles_required
from impactcheck.web.context import commit, db, offered_rulesets, ruleset
from impactcheck.web.forms import AlternativeForm, PaperForm, SubmitForm, VersionForm, parse_version
from impactcheck.web.outcome import forget_due_count
from impactcheck.web.questionmarkup import question_markup
from impactcheck.web.restore import form_with_restored_input, restored_input
from impactcheck.web.stepform import StepPage
from impactcheck.web.templating import current_locale, rule_text
from impactcheck.web.uploads import busy_headers, read_docx_upload

bp = Blueprint("wizard", __name__)
bp.add_app_template_global(question_markup)  # step.html: each question's kept markup


@bp.get("/")
@login_required
def index():
    if current_user.role in REVIEWERS:
        return redirect(url_for("register.all_checks"))
    if current_user.role in CREATORS:
        return redirect(url_for("wizard.my_checks"))
    if current_user.role == "admin":
        return redirect(url_for("admin.users"))
    return redirect(url_for("register.all_checks"))


@bp.get("/klimachecks")
@roles_required(*CREATORS)
def my_checks():
    """The author's checks, paged, from the check rows' current-state columns alone: a constant number
    of statements however many checks there are (no revision is loaded)."""
    from sqlalchemy.orm import raiseload

    from impactcheck.core.model import VERDICT_LABELS
    from impactcheck.store import listing

    number, size = listing.parse_paging(request.args)
    query = _own_checks().options(raiseload(Check.revisions), raiseload(Check.sector_figures), raiseload(Check.uploads))
    page = listing.paginate(db(), query, number, size)

    def page_url(n: int) -> str:
        args = {listing.SIZE_ARG: page.size} if page.size != listing.DEFAULT_PAGE_SIZE else {}
        return url_for("wizard.my_checks", **args, **({listing.PAGE_ARG: n} if n > 1 else {}))

    return render_template(
        "my_checks.html",
        page=page,
        checks=page.items,
        page_url=page_url,
        window=listing.page_window(page.number, page.pages),
        page_sizes=listing.PAGE_SIZES,
        default_size=listing.DEFAULT_PAGE_SIZE,
        statuses={k: _(v) for k, v in STATUS_LABELS.items()},
        verdicts={k: _(v) for k, v in VERDICT_LABELS.items()},
        deletable={c.id for c in page.items if may_delete_draft(current_user, c)},
    )


def _own_checks():
    """The current author's checks, newest first."""
    return (
        select(Check)
        .where(
            Check.municipality_id == current_user.municipality_id,
            Check.owner_id == current_user.id,
            Check.deleted_at.is_(None),
        )
        .order_by(Check.created_at.desc(), Check.id.desc())
    )


# --- shared pieces of the draft views ---------------------------------------------------------


def draft_view(view):
    """Load the check the current user may edit and its draft; a submitted check goes to its result."""

    @functools.wraps(view)
    @login_required
    def wrapped(check_id: int, **kwargs):
        check = load_check(check_id, edit=True)
        revision = check.current
        if not revision.is_draft:
            flash(_("Dieser Klimacheck ist eingereicht. Für Änderungen legen Sie eine neue Revision an."), "info")
            return redirect(url_for("results.view", check_id=check.id))
        return view(check, revision, ruleset(revision.ruleset_id), **kwargs)

    return wrapped


def _conflict(exc: ops.ConflictError, check: Check, form: Any) -> str:
    """After a refused save: undo, and let the page carry the current version, so saving again is a
    deliberate choice to overwrite. Returns the message for the page."""
    # Roll back first: the failed flush expired `check`, and nothing can be read before the rollback.
    db().rollback()
    form.version.data = str(load_check(check.id, edit=True).current.version)
    return exc.one_line()


def _answers(rs: RuleSet, revision: Revision, alternative: bool) -> dict[str, Any]:
    """The draft's answers the current rule set knows (a catalogue edit may have removed questions)."""
    stored = revision.alternative_answers if alternative else revision.answers
    return known_answers(rs, stored or {})[0]


def _step_url(check: Check, step: Step, alternative: bool, **kwargs) -> str:
    endpoint = "wizard.alternative_step" if alternative else "wizard.step"
    return url_for(endpoint, check_id=check.id, step_id=step.id, **kwargs)


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
        choices.append(
            SelectChoice(rs.id, _("%(title)s (Version %(version)s)", title=rule_text(rs, "title"), version=rs.version))
        )
    return choices


def _prefill_from_last_check(form: PaperForm) -> None:
    """Department and committee of the author's last check: most authors write for one office."""
    last = db().scalars(_own_checks().limit(1)).first()
    if last is not None:
        form.department.data = form.department.data or last.department
        form.committee.data = form.committee.data or last.committee


@dataclass(frozen=True)
class SameReference:
    """A check of the municipality for the paper reference just typed, as far as the user may know it."""

    reference: str
    department: str
    created_at: dt.datetime
    own: bool
    title: str | None = None  # only where the user may open the check
    status: str | None = None
    url: str | None = None


def reference_key(reference: str) -> str:
    """A paper reference as compared for "already started": trimmed, case ignored."""
    return reference.strip().lower()


def _same_reference(paper: ops.PaperData) -> list[SameReference]:
    """Checks (not deleted) of the user's municipality with this reference, newest first.

    The author's own checks come with a link; another person's check with a link only where the user
    may read it anyway (the register's readers, once it is submitted); else only that it exists and
    which office brings the paper in, so nobody learns the content of a draft they may not see."""
    reference = paper.reference
    if not reference_key(reference):
        return []
    recent = utcnow() - dt.timedelta(seconds=ops.DOUBLE_START_SECONDS)
    checks = (
        db()
        .scalars(
            select(Check)
            .where(
                Check.municipality_id == current_user.municipality_id,
                Check.deleted_at.is_(None),
                # The same function on both sides: SQLite's lower() knows only ASCII, PostgreSQL's all letters.
                func.lower(func.trim(Check.reference)) == func.lower(reference.strip()),
            )
            .order_by(Check.created_at.desc(), Check.id.desc())
            .limit(20)
        )
        .all()
    )
    found = []
    for c in checks:
        own = c.owner_id == current_user.id
        same_form = (c.title, c.department, c.committee, c.meeting_date) == (
            paper.title,
            paper.department,
            paper.committee,
            paper.meeting_date,
        )
        if own and c.created_at >= recent and c.reference == reference and same_form:
            return []  # the same form sent a moment ago: a double click, create_check gives that check
        readable = own or (current_user.role in READERS_OF_ALL and c.filed_number is not None)
        url = None
        if readable:
            draft = own and c.filed_number is None
            url = url_for("wizard.resume" if draft else "results.view", check_id=c.id)
        found.append(
            SameReference(
                reference=c.reference,
                department=c.department,
                created_at=c.created_at,
                own=own,
                title=c.title if readable else None,
                status=_(STATUS_LABELS.get(c.status, c.status)) if readable else None,
                url=url,
            )
        )
    return found


@bp.route("/klimachecks/neu", methods=["GET", "POST"])
@roles_required(*CREATORS)
def new_check():
    form, _restored = form_with_restored_input(PaperForm)
    form.ruleset.choices = _ruleset_choices()
    if not form.ruleset.choices:
        abort(503)
    if request.method == "GET" and not form.ruleset.data:
        form.ruleset.data = form.ruleset.choices[0].value
    if request.method == "GET" and not _restored:
        _prefill_from_last_check(form)
    valid = form.validate_on_submit()
    same: list[SameReference] = []
    if valid and request.form.get("trotzdem") != reference_key(form.reference.data):
        same = _same_reference(_paper_data(form))  # warn first; "Trotzdem neu beginnen" sends it again
    from impactcheck.web import oparl_views  # a form filled from the council information system (OParl)

    busy = None
    if valid and not same:
        try:
            upload = read_docx_upload(form.paper.data)
            source, upload = oparl_views.start_source(upload)
        except InputError as exc:
            form.paper.errors = [exc.one_line()]
            busy = busy_headers(exc)
        else:
            rs = ruleset(form.ruleset.data)
            check = ops.create_check(db(), current_user, paper=_paper_data(form), ruleset=rs, upload=upload)
            if source is not None:
                ops.link_paper(db(), current_user, check, source)
            commit()
            return redirect(url_for("wizard.step", check_id=check.id, step_id=rs.all_steps[0].id))
    page = render_template(
        "paper.html",
        form=form,
        check=None,
        same=same,
        same_key=reference_key(form.reference.data or ""),
        file_chosen=bool(same) and bool(getattr(form.paper.data, "filename", None)),
        oparl=oparl_views.carried(),
    )
    return (page, 503, busy) if busy else page


@bp.route("/klimachecks/<int:check_id>/vorlage", methods=["GET", "POST"])
@draft_view
def paper(check: Check, revision: Revision, rs: RuleSet):
    form, restored = form_with_restored_input(PaperForm)
    del form.ruleset  # the rule set is chosen once, at the start
    del form.paper
    if request.method == "GET" and not restored:
        form.process(data={**check.paper, "meeting_date": check.meeting_date, "version": revision.version})
    conflict = None
    if form.validate_on_submit():
        try:
            ops.update_paper(db(), current_user, check, _paper_data(form), expected_version=form.expected_version())
            commit()
        except ops.ConflictError as exc:
            conflict = _conflict(exc, check, form)
        else:
            return redirect(url_for("wizard.step", check_id=check.id, step_id=rs.all_steps[0].id))
    return render_template(
        "paper.html", form=form, check=check, conflict=conflict, may_delete=may_delete_draft(current_user, check)
    )


# --- the steps --------------------------------------------------------------------------------


def _step_view(check: Check, revision: Revision, rs: RuleSet, step_id: str, alternative: bool):
    if alternative and revision.alternative_answers is None:
        return redirect(url_for("wizard.alternative", check_id=check.id))
    known_step = next((s for s in rs.all_steps if s.id == step_id), None)
    if known_step is None:
        abort(404)
    posted = request.method == "POST"
    visible = steps_for(rs, _answers(rs, revision, alternative))
    step = next((s for s in visible if s.id == step_id), None)
    if step is None and not posted:
        flash(_("Dieser Schritt entfällt nach Ihren bisherigen Angaben."), "info")
        return redirect(url_for("wizard.resume", check_id=check.id, alternative=int(alternative) or None))
    # A form for a step that has dropped out meanwhile (another tab changed an earlier answer) comes
    # back with its input: as a conflict when it was based on an older version, else with a notice.
    saving = StepSave(check, revision, rs, step or known_step, alternative, dropped_out=step is None)
    if posted:
        target = saving.post()
        if target is not None:
            return redirect(target)
    # The count reflects what is stored now (a partial save may have changed it).
    steps = steps_for(rs, _answers(rs, revision, alternative)) if saving.partly_saved else visible
    number = next((i for i, s in enumerate(steps, 1) if s.id == saving.step.id), len(steps))
    return render_template(
        "step.html",
        check=check,
        revision=revision,
        ruleset=rs,
        step=saving.step,
        page=saving.page,
        number=number,
        total=max(len(steps), number),
        alternative=alternative,
        conflict=saving.conflict,
        partly_saved=saving.partly_saved,
    )


class StepSave:
    """One step's form: built from the rule set (with the stored or the posted input) and, on a POST,
    saved through the operation; what the page says afterwards (conflict, partly saved)."""

    def __init__(self, check: Check, revision: Revision, rs: RuleSet, step: Step, alternative: bool, dropped_out: bool):
        self.check, self.revision, self.rs, self.step, self.alternative = check, revision, rs, step, alternative
        self.dropped_out = dropped_out
        self.conflict: str | None = None
        self.partly_saved = False
        posted = request.method == "POST"
        formdata = request.form if posted else restored_input()
        answers = _answers(rs, revision, alternative)
        self.page = StepPage(rs, step, answers, formdata=formdata)
        self.page.show_all = dropped_out
        if formdata is None:
            self.page.form.version.data = str(revision.version)
            if step.id == EXIT_STEP_ID and "exit_reason" not in answers:
                self.page.form["exit_reason"].data = rs.suggested_exit_reason(answers)

    def post(self) -> str | None:
        """Save the posted step; the page to go to next, or None to show the form again."""
        stale = parse_version(request.form.get("version")) != self.revision.version
        if not self.page.form.validate_on_submit():
            return None
        if self.dropped_out and not stale:
            flash(
                _("Dieser Schritt entfällt nach Ihren aktuellen Angaben; die Eingaben unten werden nicht gebraucht."),
                "info",
            )
            return None
        action = request.form.get("action", "next")
        all_no = action == "none" and bool(self.step.none_button)
        if all_no:
            action = "next"  # "none of these": every yes/no question of the step is "Nein", then on
        values = self.page.read(require=action == "next", all_no=all_no)
        if values is None and action in ("save", "back"):
            # Save what is valid; the rest stays on the page with its errors (nothing typed is lost).
            values = self.page.valid_values() or None
            self.partly_saved = values is not None
        if values is None:
            return None
        return self._save(values, action)

    def _save(self, values: dict[str, Any], action: str) -> str | None:
        try:
            ops.save_step(
                db(),
                current_user,
                self.revision,
                step_id=self.step.id,
                values=values,
                expected_version=self.page.form.expected_version(),
                alternative=self.alternative,
            )
            commit()
        except ops.ConflictError as exc:
            self.conflict = _conflict(exc, self.check, self.page.form)
            self.partly_saved = False
            return None
        if not self.page.errors:
            return _after_save(self.check, self.rs, self.revision, self.step, action, self.alternative, self.page)
        self.page.form.version.data = str(self.revision.version)
        return None


def _after_save(
    check: Check, rs: RuleSet, revision: Revision, step: Step, action: str, alternative: bool, page: StepPage
) -> str:
    if action == "save":
        flash(
            _("Ihr Entwurf ist gespeichert. Sie können ihn jederzeit unter „Meine Klimachecks“ fortsetzen."), "success"
        )
        return url_for("wizard.my_checks")
    stored = _answers(rs, revision, alternative)
    # What the page read is usually what was stored: its visibility is then the stored answers' one.
    known = page.visibility is not None and page.current == stored
    steps = page.visibility.steps if known else steps_for(rs, stored)
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


@bp.route("/klimachecks/<int:check_id>/schritt/<step_id>", methods=["GET", "POST"])
@draft_view
def step(check: Check, revision: Revision, rs: RuleSet, step_id: str):
    return _step_view(check, revision, rs, step_id, alternative=False)


@bp.route("/klimachecks/<int:check_id>/alternative/schritt/<step_id>", methods=["GET", "POST"])
@draft_view
def alternative_step(check: Check, revision: Revision, rs: RuleSet, step_id: str):
    return _step_view(check, revision, rs, step_id, alternative=True)


def _first_incomplete(rs: RuleSet, answers: dict[str, Any]) -> Step | None:
    """The first visible step with a required question unanswered (or an invalid answer)."""
    return workflow.variant(rs, answers, sensitivity=False).first_incomplete(rs)


@bp.get("/klimachecks/<int:check_id>/weiter")
@draft_view
def resume(check: Check, revision: Revision, rs: RuleSet):
    """Continue a draft where it needs the author: the first incomplete step, else the review page."""
    alternative = request.args.get("alternative") == "1" and revision.alternative_answers is not None
    incomplete = _first_incomplete(rs, _answers(rs, revision, alternative))
    if incomplete is not None:
        return redirect(_step_url(check, incomplete, alternative))
    return redirect(url_for("wizard.review", check_id=check.id))


# --- the alternative --------------------------------------------------------------------------


@bp.route("/klimachecks/<int:check_id>/alternative", methods=["GET", "POST"])
@draft_view
def alternative(check: Check, revision: Revision, rs: RuleSet):
    """One page: the alternative's description and its answers (at first the proposal's) with a change
    button per step, so the author enters only what differs."""
    form, restored = form_with_restored_input(AlternativeForm)
    if request.method == "GET" and not restored:
        form.description.data = revision.alternative_description
        form.version.data = str(revision.version)
    conflict = None
    if form.validate_on_submit():
        description, version = form.description.data, form.expected_version()
        try:
            ops.set_alternative(db(), current_user, revision, description=description, expected_version=version)
            commit()
        except ops.ConflictError as exc:
            conflict = _conflict(exc, check, form)
        else:
            return redirect(_after_alternative(check, revision, rs))
    state = workflow.of_revision(rs, revision, check.paper)
    alt_answers = state.alternative.answers if state.alternative else state.proposal.answers
    return render_template(
        "alternative.html",
        check=check,
        revision=revision,
        form=form,
        conflict=conflict,
        required=state.alternative_needed,
        summary=[b for b in _summary(rs, alt_answers) if b["step"].stage != "screening"],
        preview=localize(state.alternative.result, rs, str(get_locale() or "de"))
        if state.alternative and state.alternative.result
        else None,
    )


def _after_alternative(check: Check, revision: Revision, rs: RuleSet) -> str:
    """The step whose change button was pressed (in the alternative's pass), else the review page."""
    steps = steps_for(rs, _answers(rs, revision, alternative=True))
    chosen = next((s for s in steps if s.id == request.form.get("change")), None)
    if chosen is not None:
        return _step_url(check, chosen, alternative=True, zurueck="pruefen")
    return url_for("wizard.review", check_id=check.id) + "#alternative"


@bp.post("/klimachecks/<int:check_id>/alternative/entfernen")
@draft_view
def remove_alternative(check: Check, revision: Revision, rs: RuleSet):
    form = VersionForm()
    if form.validate_on_submit():
        try:
            ops.remove_alternative(db(), current_user, revision, expected_version=form.expected_version())
            commit()
            flash(_("Die Alternative wurde entfernt."), "info")
        except ops.ConflictError as exc:
            db().rollback()
            if check.current.alternative_description is None:  # a double click: the other click removed it
                flash(_("Die Alternative wurde entfernt."), "info")
            else:
                flash(exc.one_line(), "error")
    return redirect(url_for("wizard.review", check_id=check.id))


# --- review and submit ------------------------------------------------------------------------


def _summary(rs: RuleSet, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The visible steps with their answered questions, for the review page."""
    vis = Visibility(rs, answers)
    shown = {q.id for q in vis.questions}
    locale = current_locale()
    return [
        {
            "step": step,
            "items": [
                {"question": q, "answer": q.display(vis.effective.get(q.id), locale), "answered": q.id in vis.effective}
                for q in step.questions
                if q.id in shown
            ],
        }
        for step in vis.steps
    ]


def _problem_links(rs: RuleSet, problems: list, check: Check, alternative: bool) -> list[dict[str, str]]:
    links = []
    for p in problems:
        qid = p.path[-1] if p.path else None
        step = rs.step_of.get(qid) if isinstance(qid, str) else None
        question = rs.questions.get(qid) if isinstance(qid, str) else None
        text = rule_text(question, "text") if question is not None else translated(p.message)
        url = _step_url(check, step, alternative, zurueck="pruefen") + f"#q-{qid}" if step else None
        links.append({"text": text, "message": translated(p.message), "url": url})
    return links


def review_context(check: Check, revision: Revision, rs: RuleSet) -> dict[str, Any]:
    """What the review page shows: the draft's state as the workflow owner decides it (store/workflow.py)."""
    state = workflow.of_revision(rs, revision, check.paper)
    proposal, alt = state.proposal.result, state.alternative.result if state.alternative else None
    locale = str(get_locale() or "de")  # the would-be Results in the page's language (core.localize)
    proposal = localize(proposal, rs, locale) if proposal else None
    alt = localize(alt, rs, locale) if alt else None
    previous = next((r for r in reversed(check.revisions[:-1]) if r.review_comment), None)
    return {
        "ruleset": rs,
        "state": state,
        "summary": _summary(rs, state.proposal.answers),
        "proposal": proposal,
        "problems": _problem_links(rs, state.proposal.problems, check, False),
        "dropped": [rs.questions[q] for q in proposal.assessment.dropped] if proposal else [],
        "alt": alt,
        "alt_summary": _summary(rs, state.alternative.answers) if state.alternative else None,
        "alt_problems": _problem_links(rs, state.alternative.problems, check, True) if state.alternative else [],
        "alt_dropped": [rs.questions[q] for q in alt.assessment.dropped] if alt else [],
        "alt_needed": state.alternative_needed,
        "alt_negative": state.alternative_negative,
        "can_submit": state.can_submit,
        "unknown": list(state.dropped_ids),
        "previous_review": previous,
        "may_delete": may_delete_draft(current_user, check),
    }


@bp.get("/klimachecks/<int:check_id>/pruefen")
@draft_view
def review(check: Check, revision: Revision, rs: RuleSet):
    form, _restored = form_with_restored_input(SubmitForm)
    form.version.data = form.version.data or str(revision.version)
    return render_template(
        "review.html", check=check, revision=revision, form=form, **review_context(check, revision, rs)
    )


@bp.post("/klimachecks/<int:check_id>/einreichen")
@draft_view
def submit(check: Check, revision: Revision, rs: RuleSet):
    form = SubmitForm()
    if not form.validate_on_submit():
        return _review_again(check, revision, rs, form, "; ".join(str(e) for es in form.errors.values() for e in es))
    try:
        version, justification = form.expected_version(), form.justification.data
        result = ops.submit(db(), current_user, check, rs, expected_version=version, justification=justification)
        commit()
        forget_due_count()  # a check submitted after its session is due at once
    except (ops.OperationError, AnswersError) as exc:
        db().rollback()
        check = load_check(check.id, edit=True)
        if isinstance(exc, ops.ConflictError) and not check.current.is_draft:
            # A double click: the other click submitted it a moment ago. Show what it stored.
            flash(_("Der Klimacheck ist eingereicht."), "success")
            return redirect(url_for("results.view", check_id=check.id))
        return _review_again(check, check.current, rs, form, exc.one_line())
    flash(_("Der Klimacheck ist eingereicht."), "success")
    dropped = len(result.assessment.dropped)
    if dropped:
        flash(
            ngettext(
                "%(num)d Antwort zu einer Frage, die nach Ihren Angaben entfällt, wurde nicht übernommen.",
                "%(num)d Antworten zu Fragen, die nach Ihren Angaben entfallen, wurden nicht übernommen.",
                dropped,
            ),
            "info",
        )
    return redirect(url_for("results.view", check_id=check.id))


def _review_again(check: Check, revision: Revision, rs: RuleSet, form: SubmitForm, error: str):
    """The review page with the reason the submission was refused, at the submit button."""
    context = review_context(check, revision, rs)
    if context["alt_negative"] and context["can_submit"] and not (form.justification.data or "").strip():
        form.justification.errors = [error]  # the missing justification: said at its field too
    page = render_template("review.html", check=check, revision=revision, form=form, submit_error=error, **context)
    return page, 422


# --- after submission -------------------------------------------------------------------------


@bp.post("/klimachecks/<int:check_id>/neue-revision")
@login_required
def new_revision(check_id: int):
    check = load_check(check_id, edit=True)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    had_draft = check.current.is_draft
    try:
        ops.new_revision(db(), current_user, check)  # a draft made meanwhile (a double click) is returned
        commit()
    except ops.OperationError as exc:
        db().rollback()
        flash(exc.one_line(), "error")
        return redirect(url_for("results.view", check_id=check_id))
    if had_draft:
        flash(_("Es gibt bereits einen Entwurf für diesen Klimacheck; Sie bearbeiten ihn hier."), "info")
    else:
        flash(_("Neue Revision angelegt. Ihre bisherigen Antworten sind übernommen."), "success")
    return redirect(url_for("wizard.review", check_id=check_id))


# --- deleting a draft -------------------------------------------------------------------------


def _deleted_own(check_id: int) -> Check | None:
    """The user's own check with this id if it is deleted already (the second click of a double click)."""
    return db().scalar(
        select(Check).where(
            Check.id == check_id,
            Check.municipality_id == current_user.municipality_id,
            Check.owner_id == current_user.id,
            Check.deleted_at.is_not(None),
        )
    )


@bp.route("/klimachecks/<int:check_id>/loeschen", methods=["GET", "POST"])
@login_required
def delete(check_id: int):
    """Delete a draft that was never submitted: a page that asks, then a POST (soft delete, audited)."""
    if request.method == "POST" and (gone := _deleted_own(check_id)) is not None:
        flash(_("Der Entwurf „%(ref)s“ ist gelöscht.", ref=gone.reference), "success")
        return redirect(url_for("wizard.my_checks"))
    check = load_check(check_id, edit=True)
    if not may_delete_draft(current_user, check):
        flash(_("Eingereichte Klimachecks bleiben erhalten und können nicht gelöscht werden."), "error")
        return redirect(url_for("results.view", check_id=check.id))
    form = VersionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            ops.delete_draft(db(), current_user, check)
            commit()
        except ops.OperationError as exc:  # submitted meanwhile, from another tab
            db().rollback()
            flash(exc.one_line(), "error")
            return redirect(url_for("results.view", check_id=check_id))
        flash(_("Der Entwurf „%(ref)s“ ist gelöscht.", ref=check.reference), "success")
        return redirect(url_for("wizard.my_checks"))
    return render_template("delete_draft.html", check=check, revision=check.current, form=form)

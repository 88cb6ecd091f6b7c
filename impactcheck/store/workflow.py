"""The draft workflow, decided in one place.

`draft_state` is a pure function of a stored draft and its rule set: the visible steps of proposal and
alternative, the first step that still needs the author, the Result the draft would get (through the
one preview path, `preview`), what blocks its submission, and what the author may do next.
`operations.submit` enforces the same rule on the Result it stores (`result_blockers`); the wizard,
the review and result pages and the JSON API only render it. Who may do what with a check is
`impactcheck.store.permissions`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from impactcheck.core.errors import AnswersError, Problem
from impactcheck.core.evaluate import Visibility, alternative_changes, evaluate, known_answers
from impactcheck.core.i18n import N_, Message
from impactcheck.core.model import RuleSet, Step
from impactcheck.core.result import Result

# What blocks a submission, as codes (the API) with the sentence the author reads (web and API alike).
INCOMPLETE = "incomplete"
ALTERNATIVE_MISSING = "alternative_missing"
ALTERNATIVE_INCOMPLETE = "alternative_incomplete"
JUSTIFICATION_MISSING = "justification_missing"
NOT_A_DRAFT = "not_a_draft"

# What the author may do with the draft now (the API lists them; pages show the matching controls).
EDIT, SUBMIT, ADD_ALTERNATIVE, REMOVE_ALTERNATIVE = "edit", "submit", "add_alternative", "remove_alternative"


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str


@dataclass(frozen=True)
class Variant:
    """The proposal, or the alternative on its own: its answers as the rule set knows them, the steps
    they make visible, and their evaluation (the Result, or the problems that keep it from one)."""

    answers: dict[str, Any]
    dropped_ids: tuple[str, ...]  # stored answers to questions the rule set no longer has
    visibility: Visibility
    result: Result | None
    problems: tuple[Problem, ...]

    @property
    def steps(self) -> list[Step]:
        return self.visibility.steps

    @property
    def complete(self) -> bool:
        return self.result is not None

    def first_incomplete(self, ruleset: RuleSet) -> Step | None:
        """The first visible step with a required question unanswered (or an invalid answer)."""
        if self.result is not None:
            return None
        visible = {s.id for s in self.steps}
        for problem in self.problems:
            qid = problem.path[-1] if problem.path else None
            if isinstance(qid, str) and qid in ruleset.step_of and ruleset.step_of[qid].id in visible:
                return ruleset.step_of[qid]
        return self.steps[0] if self.steps else None

    def position(self, step_id: str) -> int | None:
        """0-based place of a step among the visible ones (None: the step is not shown)."""
        return next((i for i, s in enumerate(self.steps) if s.id == step_id), None)


def variant(
    ruleset: RuleSet, stored: Mapping[str, Any] | None, paper: Mapping[str, Any] | None = None, sensitivity: bool = True
) -> Variant:
    """One pass of answers evaluated; `sensitivity=False` skips the robustness trial (enough to know
    what is missing, much cheaper)."""
    answers, dropped = known_answers(ruleset, stored or {})
    try:
        result, problems = evaluate(ruleset, answers, paper=paper, sensitivity=sensitivity), ()
    except AnswersError as exc:
        result, problems = None, tuple(exc.problems)
    return Variant(answers, tuple(dropped), Visibility(ruleset, answers), result, problems)


@dataclass(frozen=True)
class DraftState:
    """What a draft is now and what it needs, for everyone who shows or enforces it."""

    ruleset: RuleSet
    proposal: Variant
    alternative: Variant | None  # None: the author has not begun an alternative
    alternative_description: str | None
    paper: Mapping[str, Any] = field(repr=False)

    @property
    def alternative_needed(self) -> bool:
        """The proposal's verdict requires an assessed alternative (a negative check)."""
        result = self.proposal.result
        return result is not None and result.verdict in self.ruleset.settings.alternative_required_for

    @property
    def alternative_negative(self) -> bool:
        """The alternative is needed, complete, and itself negative: submitting needs a justification."""
        alt = self.alternative
        return (
            self.alternative_needed
            and alt is not None
            and alt.result is not None
            and alt.result.verdict in self.ruleset.settings.alternative_required_for
        )

    @property
    def blockers(self) -> tuple[Blocker, ...]:
        """What keeps the draft from being submitted, whatever the justification says."""
        return self.submission_blockers(None)

    @property
    def can_submit(self) -> bool:
        return not self.blockers

    def submission_blockers(self, justification: str | None) -> tuple[Blocker, ...]:
        """The blockers, and (when `justification` is given, even empty) the missing justification a
        negative alternative needs."""
        result = self.proposal.result
        if result is None:
            return (Blocker(INCOMPLETE, INCOMPLETE_MESSAGE),)
        alt = self.alternative
        return _rule(
            verdict_label=result.assessment.verdict_label,
            needed=self.alternative_needed,
            alternative="none" if alt is None else "incomplete" if alt.result is None else "complete",
            alternative_negative=self.alternative_negative,
            justification=justification,
        )

    @functools.cached_property
    def would_be(self) -> Result | None:
        """The Result a submission now would store (None while the proposal is incomplete)."""
        if self.proposal.result is None:
            return None
        alt = self.alternative
        try:
            return preview(
                self.ruleset,
                self.proposal.answers,
                alt.answers if alt is not None else None,
                self.alternative_description,
                self.paper,
            )
        except AnswersError:
            return None

    @property
    def flagged(self) -> bool:
        """A submission now is marked for the climate department (its alternative is negative too)."""
        return self.alternative_negative

    @property
    def dropped_ids(self) -> tuple[str, ...]:
        """Stored answers of proposal or alternative to questions the rule set no longer has."""
        alt = self.alternative.dropped_ids if self.alternative is not None else ()
        return tuple(sorted(set(self.proposal.dropped_ids) | set(alt)))

    def actions(self) -> frozenset[str]:
        """What the author may do with this draft now."""
        allowed = {EDIT}
        if self.can_submit:
            allowed.add(SUBMIT)
        if self.alternative is None:
            allowed.add(ADD_ALTERNATIVE)
        else:
            allowed.add(REMOVE_ALTERNATIVE)
        return frozenset(allowed)


INCOMPLETE_MESSAGE = N_("Es fehlen noch Angaben. Ergänzen Sie die markierten Fragen, bevor Sie einreichen.")


def _rule(
    *, verdict_label: str, needed: bool, alternative: str, alternative_negative: bool, justification: str | None
) -> tuple[Blocker, ...]:
    """The submission rule, in one place: a verdict that requires an alternative needs one, assessed
    completely; an alternative that is itself negative needs a written justification (then the check is
    flagged for the climate department). `alternative`: "none", "incomplete" or "complete";
    `justification` None: not asked yet (the review page shows the field)."""
    if not needed:
        return ()
    if alternative == "none":
        return (
            Blocker(
                ALTERNATIVE_MISSING,
                Message(
                    N_(
                        "Das Ergebnis ist {verdict}. Beschreiben und bewerten Sie eine klimafreundlichere "
                        "Alternative, bevor Sie einreichen."
                    ),
                    verdict=Message(verdict_label),  # the verdict's own word is a msgid too (model.VERDICT_LABELS)
                ),
            ),
        )
    if alternative == "incomplete":
        return (
            Blocker(
                ALTERNATIVE_INCOMPLETE,
                N_("Die Alternative ist noch nicht vollständig bewertet. Ergänzen Sie ihre markierten Fragen."),
            ),
        )
    if alternative_negative and justification is not None and not justification.strip():
        return (
            Blocker(
                JUSTIFICATION_MISSING,
                N_(
                    "Auch die Alternative ist negativ. Begründen Sie schriftlich, warum die Vorlage trotzdem "
                    "eingebracht werden soll; die Klimaschutzstelle wird den Check prüfen."
                ),
            ),
        )
    return ()


def result_blockers(ruleset: RuleSet, result: Result, justification: str | None) -> tuple[Blocker, ...]:
    """The same rule for a would-be Result (the combined preview operations.submit stores)."""
    alt = result.alternative
    return _rule(
        verdict_label=result.assessment.verdict_label,
        needed=result.requires_alternative,
        alternative="none" if alt is None else "complete",
        alternative_negative=alt is not None and alt.assessment.verdict in ruleset.settings.alternative_required_for,
        justification=justification or "",
    )


def flagged(ruleset: RuleSet, result: Result) -> bool:
    """A check submitted with this Result is marked for the climate department: its alternative is
    negative too (and so came with a justification)."""
    alt = result.alternative
    return bool(
        result.requires_alternative
        and alt is not None
        and alt.assessment.verdict in ruleset.settings.alternative_required_for
    )


def draft_state(
    ruleset: RuleSet,
    answers: Mapping[str, Any] | None,
    alternative_answers: Mapping[str, Any] | None,
    alternative_description: str | None,
    paper: Mapping[str, Any] | None = None,
) -> DraftState:
    """The state of a draft with these stored answers under `ruleset`. The alternative is evaluated on
    its own too, so its result shows even while the proposal is incomplete."""
    proposal = variant(ruleset, answers, paper)
    alternative = variant(ruleset, alternative_answers, paper) if alternative_answers is not None else None
    return DraftState(ruleset, proposal, alternative, alternative_description, paper or {})


def of_revision(ruleset: RuleSet, revision: Any, paper: Mapping[str, Any] | None = None) -> DraftState:
    """`draft_state` of a stored revision (store.models.Revision)."""
    return draft_state(ruleset, revision.answers, revision.alternative_answers, revision.alternative_description, paper)


def preview(
    ruleset: RuleSet,
    answers: Mapping[str, Any] | None,
    alternative_answers: Mapping[str, Any] | None,
    alternative_description: str | None,
    paper: Mapping[str, Any] | None,
) -> Result:
    """The one preview path: the Result these stored answers (and the alternative's own complete pass)
    would get under `ruleset`, as a submission would store it. Answers to questions the rule set no
    longer has are left out. Raises AnswersError while answers are missing."""
    known, _ = known_answers(ruleset, answers or {})
    alternative = None
    if alternative_answers is not None:
        alt_known, _ = known_answers(ruleset, alternative_answers)
        alternative = {"description": alternative_description or "", "answers": alternative_changes(known, alt_known)}
    return evaluate(ruleset, known, alternative=alternative, paper=paper)

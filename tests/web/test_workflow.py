"""The draft workflow (store/workflow.py) and the permissions (store/permissions.py), decided in one place.

Pure functions: fed with the shipped rule set, the example answers and plain user/check records, no
database. That the views and operations follow them is asserted by the wizard, result and race tests.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from impactcheck.core.answers import load_submission
from impactcheck.core.evaluate import alternative_changes, evaluate
from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import permissions, workflow
from tests.support import RULES

EXAMPLES = sorted((RULES / "examples" / "kassel-2030").rglob("*.yaml"))


@pytest.fixture(scope="module")
def rs():
    return resolve_ruleset("kassel-2030")


def _full_alternative(submission):
    """The alternative as the wizard stores it: its own complete pass of answers."""
    if submission.alternative is None:
        return None, None
    return {**submission.answers, **submission.alternative["answers"]}, submission.alternative["description"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_would_be_is_what_evaluate_gives(rs, path):
    submission = load_submission(path)
    alt_answers, description = _full_alternative(submission)
    state = workflow.draft_state(rs, submission.answers, alt_answers, description, submission.paper)
    alternative = None
    if alt_answers is not None:
        alternative = {"description": description, "answers": alternative_changes(submission.answers, alt_answers)}
    expected = evaluate(rs, submission.answers, alternative=alternative, paper=submission.paper)
    assert state.would_be is not None and state.would_be.to_dict() == expected.to_dict()
    assert state.proposal.first_incomplete(rs) is None
    if not state.blockers:
        assert workflow.SUBMIT in state.actions()


def _negative(rs):
    for path in EXAMPLES:
        submission = load_submission(path)
        if submission.expected_verdict == "negative" and submission.alternative is not None:
            return submission
    raise AssertionError("no negative example with an alternative in the shipped examples")


def test_an_incomplete_proposal_names_its_first_incomplete_step(rs):
    submission = load_submission(EXAMPLES[0])
    first_step = rs.steps[0]
    partial = {k: v for k, v in submission.answers.items() if rs.step_of.get(k) is not first_step}
    state = workflow.draft_state(rs, partial, None, None)
    assert [b.code for b in state.blockers] == [workflow.INCOMPLETE]
    assert state.would_be is None and not state.can_submit
    assert state.proposal.first_incomplete(rs).id == first_step.id
    assert workflow.SUBMIT not in state.actions() and workflow.EDIT in state.actions()


def test_a_negative_proposal_needs_a_complete_alternative(rs):
    submission = _negative(rs)
    state = workflow.draft_state(rs, submission.answers, None, None, submission.paper)
    assert state.alternative_needed
    assert [b.code for b in state.blockers] == [workflow.ALTERNATIVE_MISSING]
    assert "klimafreundlichere Alternative" in state.blockers[0].message
    assert workflow.ADD_ALTERNATIVE in state.actions()

    alt_answers, description = _full_alternative(submission)
    begun = workflow.draft_state(rs, submission.answers, {}, description, submission.paper)  # nothing answered yet
    assert [b.code for b in begun.blockers] == [workflow.ALTERNATIVE_INCOMPLETE]
    assert begun.alternative.first_incomplete(rs).id == rs.steps[0].id

    whole = workflow.draft_state(rs, submission.answers, alt_answers, description, submission.paper)
    assert whole.can_submit and workflow.REMOVE_ALTERNATIVE in whole.actions()


def test_a_negative_alternative_needs_a_justification(rs):
    submission = _negative(rs)
    # The alternative is the proposal itself: as negative as it.
    state = workflow.draft_state(rs, submission.answers, dict(submission.answers), "Dasselbe", submission.paper)
    assert state.alternative_negative and state.flagged and state.can_submit
    assert [b.code for b in state.submission_blockers("  ")] == [workflow.JUSTIFICATION_MISSING]
    assert state.submission_blockers("Der Bau ist gesetzlich vorgeschrieben.") == ()


def test_answers_to_questions_the_rule_set_no_longer_has_are_reported_and_ignored(rs):
    submission = load_submission(EXAMPLES[0])
    state = workflow.draft_state(rs, {**submission.answers, "gibt_es_nicht_mehr": 3}, None, None, submission.paper)
    assert state.dropped_ids == ("gibt_es_nicht_mehr",)
    assert "gibt_es_nicht_mehr" not in state.proposal.answers and state.would_be is not None


# --- permissions ------------------------------------------------------------------------------------


def user(role, uid=1, municipality=1):
    return SimpleNamespace(id=uid, role=role, municipality_id=municipality, is_authenticated=True)


def check(owner=1, municipality=1, filed=True, deleted=False):
    return SimpleNamespace(
        owner_id=owner,
        municipality_id=municipality,
        filed_status="submitted" if filed else None,
        filed_number=1 if filed else None,
        deleted_at="gestern" if deleted else None,
    )


@pytest.mark.parametrize(
    ("who", "what", "see", "edit", "outcome", "delete"),
    [
        (user("author"), check(), True, True, True, False),
        (user("author"), check(filed=False), True, True, False, True),
        (user("author"), check(owner=2), False, False, False, False),
        (user("council", 5), check(owner=2), True, False, False, False),
        (user("council", 5), check(owner=2, filed=False), False, False, False, False),
        (user("climate", 5), check(owner=2, filed=False), True, False, False, False),
        (user("climate", 5), check(owner=2), True, False, True, False),
        (user("admin", 5), check(owner=2), True, False, False, False),
        (user("climate", 5, municipality=2), check(owner=2), False, False, False, False),
        (user("author"), check(deleted=True, filed=False), False, False, False, False),
    ],
)
def test_who_may_see_edit_record_and_delete(who, what, see, edit, outcome, delete):
    assert permissions.may_see(who, what) is see
    assert permissions.may_edit(who, what) is edit
    assert permissions.may_record_outcome(who, what) is outcome
    assert permissions.may_delete_draft(who, what) is delete


def test_four_eyes_and_the_revision_awaiting_review():
    revision, older = object(), object()
    colleague, author = user("climate", 5), user("climate", 1)
    assert permissions.may_review(colleague, check(owner=1), revision, revision)
    assert not permissions.may_review(author, check(owner=1), revision, revision)  # one's own check
    assert permissions.reviews_own(author, check(owner=1))
    assert not permissions.may_review(colleague, check(owner=1), older, revision)  # not the one awaiting
    assert not permissions.may_review(user("admin", 5), check(owner=1), revision, revision)
    assert not permissions.may_review(colleague, check(owner=1), None, None)


def test_nobody_signed_out_may_anything():
    anonymous = SimpleNamespace(id=None, role=None, municipality_id=None, is_authenticated=False)
    assert not permissions.may_see(anonymous, check())
    assert not permissions.may_start(anonymous) and not permissions.may_insert_into_paper(anonymous)
    assert not permissions.may_see(None, check())

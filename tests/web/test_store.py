"""The store on its own: audit log append-only, optimistic locking, municipality scoping, snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import operations as ops
from impactcheck.store.models import AuditEntry, AuditLogIsAppendOnly, Check, RulesetSnapshot, User
from tests.web.flows import PAPER


def _author(s):
    return s.scalar(select(User).where(User.username == "author"))


def _paper():
    return ops.PaperData(PAPER["reference"], PAPER["title"], PAPER["department"], PAPER["committee"])


def test_audit_entries_cannot_be_changed_or_deleted(db_session):
    entry = db_session.scalars(select(AuditEntry)).first()
    entry.action = "forged"
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    entry = db_session.scalars(select(AuditEntry)).first()
    db_session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.flush()
    db_session.rollback()


def test_version_guard_and_concurrent_writers(app, db_session):
    rs = resolve_ruleset("kassel-2030")
    check = ops.create_check(db_session, _author(db_session), paper=_paper(), ruleset=rs)
    db_session.commit()
    revision = check.current
    version = revision.version
    with pytest.raises(ops.ConflictError):
        ops.save_step(
            db_session,
            _author(db_session),
            revision,
            step_id="vorpruefung",
            values={"betrifft_gebaeude": True},
            expected_version=version + 1,
        )
    # Two sessions load the same version; the second commit loses instead of overwriting.
    database = app.extensions["impactcheck.db"]
    with database.session() as one, database.session() as two:
        r1 = one.get(Check, check.id).current
        r2 = two.get(Check, check.id).current
        ops.save_step(
            one, _author(one), r1, step_id="vorpruefung", values={"betrifft_gebaeude": True}, expected_version=version
        )
        one.commit()
        with pytest.raises(ops.ConflictError):
            ops.save_step(
                two,
                _author(two),
                r2,
                step_id="vorpruefung",
                values={"betrifft_gebaeude": False},
                expected_version=version,
            )
    db_session.expire_all()
    assert db_session.get(Check, check.id).current.answers == {"betrifft_gebaeude": True}


def test_submitted_revision_is_frozen_and_new_revision_copies(db_session):
    rs = resolve_ruleset("kassel-2030")
    author = _author(db_session)
    check = ops.create_check(db_session, author, paper=_paper(), ruleset=rs)
    # A concrete measure that touches none of the topics: the screening exits.
    answers = {"entscheidung_art": "massnahme", **{k: False for k in rs.questions if k.startswith("betrifft_")}}
    assert len(answers) == 11
    ops.save_step(
        db_session, author, check.current, step_id="vorpruefung", values=answers, expected_version=check.current.version
    )
    ops.save_step(
        db_session,
        author,
        check.current,
        step_id="exit",
        values={"exit_reason": "personal", "exit_explanation": "Stellenplan."},
        expected_version=check.current.version,
    )
    ops.submit(db_session, author, check, rs, expected_version=check.current.version)
    db_session.commit()
    first = check.current
    with pytest.raises(ops.OperationError, match="bereits eingereicht"):
        ops.save_step(
            db_session,
            author,
            first,
            step_id="vorpruefung",
            values={"betrifft_gebaeude": True},
            expected_version=first.version,
        )
    second = ops.new_revision(db_session, author, check)
    db_session.commit()
    assert second.number == 2 and second.is_draft and second.answers == first.answers
    assert first.status == "submitted" and first.result["verdict"] == "not_relevant"
    # The rule file's exact text is kept, so the check stays reproducible after the catalogue changes.
    snap = db_session.get(RulesetSnapshot, first.ruleset_sha256)
    assert snap.ident == "kassel-2030" and snap.content.encode("utf-8") == Path(rs.path).read_bytes()
    assert db_session.get(RulesetSnapshot, first.factors_sha256).kind == "factors"


def test_checks_are_scoped_by_municipality(as_role, app):
    author = as_role("author")
    from tests.web.flows import start

    check_id = start(author)
    climate = as_role("climate")  # same municipality: sees the check in the register
    assert PAPER["reference"] in climate.get("/register").get_data(as_text=True)
    stranger = as_role("fremd")  # climate role, but another municipality
    assert stranger.get(f"/klimachecks/{check_id}/pruefen").status_code == 404
    assert stranger.get(f"/klimachecks/{check_id}").status_code == 404
    assert PAPER["reference"] not in stranger.get("/register").get_data(as_text=True)


def test_users_are_validated(db_session):
    municipality = _author(db_session).municipality
    with pytest.raises(ops.OperationError, match="mindestens 10"):
        ops.create_user(db_session, None, municipality=municipality, username="kurz", password="123", role="author")
    with pytest.raises(ops.OperationError, match="gibt es schon"):
        ops.create_user(
            db_session, None, municipality=municipality, username="author", password="x" * 12, role="author"
        )
    with pytest.raises(ops.OperationError, match="Unbekannte Rolle"):
        ops.create_user(db_session, None, municipality=municipality, username="neu", password="x" * 12, role="chef")
    assert ops.authenticate(db_session, "author", "richtig-langes-passwort").username == "author"
    assert ops.authenticate(db_session, "author", "falsch") is None


def test_migrations_match_the_models(app):
    from impactcheck.store import migrate

    engine = app.extensions["impactcheck.db"].engine
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert migrate.pending_changes(engine) == []

"""The check's current state on its row (store/current.py): written by every operation that changes
revisions or the outcome, and filled by migration 0004 for rows stored before it."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from impactcheck.store import current, migrate
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, User
from tests.support import seed_old_rows
from tests.web.flows import submit_example
from tests.web.old_catalogue import FIXTURES
from tests.web.test_migrations import empty_engine  # noqa: F401  (fixture)


def _check(db_session, check_id: int) -> Check:
    db_session.expire_all()
    return db_session.get(Check, check_id)


def _state_matches_revisions(check: Check) -> None:
    state = current.state_of(check, check.revisions)
    assert {k: getattr(check, k) for k in state} == state
    filed = current.latest_filed(check.revisions)
    figures = current.sector_figures(filed.result if filed else None)
    stored = sorted((f.variant, f.sector, f.score, f.t_co2e_per_year, f.t_co2e_once) for f in check.sector_figures)
    assert stored == sorted(
        (f["variant"], f["sector"], f["score"], f["t_co2e_per_year"], f["t_co2e_once"]) for f in figures
    )


def test_every_step_of_a_check_keeps_its_row_current(app, as_role, db_session):
    author, climate = as_role("author"), as_role("climate")
    check_id = submit_example(author, "gasheizung-ersatz-kita/schaetzt", reference="GH-1")
    check = _check(db_session, check_id)
    assert (check.status, check.filed_number, check.filed_status) == ("submitted", 1, "submitted")
    assert check.verdict == "negative" and check.alternative_verdict in ("positive", "neutral")
    assert check.t_co2e_per_year is not None
    assert check.submitted_at is not None and check.ruleset_id == "kassel-2030" and check.ruleset_version
    assert {f.variant for f in check.sector_figures} == {"proposal", "alternative"}
    _state_matches_revisions(check)

    page = climate.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    response = climate.post(
        f"/klimachecks/{check_id}/pruefung", {"decision": "approve", "comment": "", "version": climate.version(page)}
    )
    assert response.status_code == 302
    check = _check(db_session, check_id)
    reviewer = db_session.query(User).filter_by(username="climate").one()
    assert (check.filed_status, check.reviewer_id) == ("approved", reviewer.id) and check.reviewed_at
    _state_matches_revisions(check)

    assert author.post(f"/klimachecks/{check_id}/neue-revision").status_code == 302
    check = _check(db_session, check_id)
    # The paper still says what revision 1 says until revision 2 is submitted.
    assert (check.status, check.revision_count, check.filed_number, check.filed_status) == ("draft", 2, 1, "approved")
    assert check.verdict == "negative"
    _state_matches_revisions(check)

    actor = db_session.query(User).filter_by(username="author").one()
    ops.record_outcome(
        db_session,
        actor,
        check,
        ops.OutcomeData("adopted_alternative", dt.date(2026, 11, 3), "yes", "Wärmepumpe statt Gas."),
    )
    db_session.commit()
    check = _check(db_session, check_id)
    assert check.adopted_verdict == check.alternative_verdict
    assert check.adopted_t_co2e_per_year == check.alternative_t_co2e_per_year
    ops.record_outcome(db_session, actor, check, ops.OutcomeData("rejected", dt.date(2026, 11, 3), "no"))
    db_session.commit()
    check = _check(db_session, check_id)
    assert (check.outcome, check.adopted_verdict, check.adopted_t_co2e_per_year) == ("rejected", None, None)
    _state_matches_revisions(check)


def test_a_deleted_draft_is_gone_from_lists_but_kept(app, as_role, db_session):
    author = as_role("author")
    from tests.web.flows import start

    check_id = start(author, reference="DEL-1")
    actor = db_session.query(User).filter_by(username="author").one()
    ops.delete_draft(db_session, actor, _check(db_session, check_id))
    ops.delete_draft(db_session, actor, _check(db_session, check_id))  # a double click: nothing more
    db_session.commit()
    assert _check(db_session, check_id).deleted_at is not None
    assert author.get(f"/klimachecks/{check_id}/pruefen").status_code == 404
    assert "DEL-1" not in author.get("/klimachecks").get_data(as_text=True)
    actions = db_session.execute(
        sa.text("SELECT action FROM audit_log WHERE check_id = :c ORDER BY id"), {"c": check_id}
    ).scalars()
    assert list(actions).count("check.delete") == 1


def test_a_submitted_check_cannot_be_deleted(app, as_role, db_session):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="KEEP-1")
    actor = db_session.query(User).filter_by(username="author").one()
    try:
        ops.delete_draft(db_session, actor, _check(db_session, check_id))
    except ops.OperationError as exc:
        assert "nicht gelöscht" in exc.one_line()
    else:
        raise AssertionError("a submitted check was deleted")
    db_session.rollback()
    assert _check(db_session, check_id).deleted_at is None


def test_0004_fills_the_current_state_of_stored_checks(empty_engine):  # noqa: F811
    migrate.upgrade(empty_engine, "0003")
    result = json.loads((FIXTURES / "gasheizung-kita.result.json").read_text(encoding="utf-8"))
    meta = sa.MetaData()
    meta.reflect(empty_engine)
    t = meta.tables
    now = dt.datetime(2026, 5, 4, 10, 0)
    with empty_engine.begin() as conn:
        seed_old_rows(conn, t, {1: "1", 2: "2"}, now=now, session_version=0)
        rows = [
            (1, 1, 1, "approved", result, now),  # check 1: submitted and approved, then a new draft
            (2, 1, 2, "draft", None, None),
            (3, 2, 1, "draft", None, None),  # check 2: never submitted
        ]
        for rid, check_id, number, status, res, submitted in rows:
            conn.execute(
                t["revision"]
                .insert()
                .values(
                    id=rid,
                    check_id=check_id,
                    number=number,
                    status=status,
                    ruleset_id="kassel-2030",
                    ruleset_version="2026.1" if res else None,
                    answers={},
                    result=res,
                    flagged=False,
                    verdict=res["verdict"] if res else None,
                    t_co2e_per_year=res["emissions"]["t_co2e_per_year"] if res else None,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    submitted_at=submitted,
                    reviewed_at=submitted,
                    reviewed_by_id=1 if res else None,
                    fragile=False,
                    open_points=0,
                )
            )
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        checks = conn.execute(sa.text("SELECT * FROM klimacheck ORDER BY id")).mappings().all()
        sectors = conn.execute(sa.text("SELECT variant, sector FROM check_sector WHERE check_id = 1")).all()
    first, second = checks
    assert (first["status"], first["revision_count"], first["filed_number"], first["filed_status"]) == (
        "draft",
        2,
        1,
        "approved",
    )
    assert first["verdict"] == result["verdict"] and first["reviewer_id"] == 1
    assert first["t_co2e_per_year"] == result["emissions"]["t_co2e_per_year"]
    assert first["alternative_verdict"] == (result.get("alternative") or {}).get("verdict")
    assert {s for _, s in sectors} == {s["id"] for s in result["sectors"]} | {
        line["sector"] for line in result["emissions"]["lines"] if line.get("sector")
    }
    assert (second["status"], second["filed_number"], second["verdict"]) == ("draft", None, None)
    assert migrate.pending_changes(empty_engine) == []

"""The council's decision (issue 9, point 4): the form, who may record it, the check page, the
"Beschluss nachtragen" list and its count, the audit log, and two recordings at once."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, update

from impactcheck.store import operations as ops
from impactcheck.store.current import OUTCOME_LABELS, OUTCOMES
from impactcheck.store.models import AuditEntry, Check, Municipality, Revision, User
from tests.web.flows import SCREEN_NO, start, submit_example
from tests.web.test_races import Client, Rendezvous, at_once
from tests.web.test_races import start as live_start
from tests.web.test_races import submitted as live_submitted

WITH_ALTERNATIVE = "gasheizung-ersatz-kita/ohne-zahlen"  # negative, with an assessed alternative


def berlin_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Berlin")).date()


def days_ago(n: int) -> str:
    return (berlin_today() - dt.timedelta(days=n)).isoformat()


def quick_check(browser, **paper) -> int:
    """A submitted check that took the quick exit (no alternative)."""
    check_id = start(browser, **paper)
    assert (
        browser.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "action": "next"}).status_code
        == 302
    )
    exit_data = {"exit_reason": "information", "exit_explanation": "Nur ein Bericht.", "action": "next"}
    assert browser.submit(f"/klimachecks/{check_id}/schritt/exit", exit_data).status_code == 302
    review = browser.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert browser.post(f"/klimachecks/{check_id}/einreichen", {"version": browser.version(review)}).status_code == 302
    return check_id


def fresh(db_session, check_id: int) -> Check:
    db_session.expire_all()
    return db_session.get(Check, check_id)


def record(browser, check_id: int, **data):
    """Open the form and send it as a browser does (with its hidden fields), with `data` filled in."""
    url = f"/klimachecks/{check_id}/beschluss"
    page = browser.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return browser.post(url, {"seen": seen_token(browser.last_html), **data})


def outcome_audits(db_session, check_id: int) -> list[dict]:
    db_session.expire_all()
    entries = db_session.scalars(
        select(AuditEntry)
        .where(AuditEntry.check_id == check_id, AuditEntry.action == "check.outcome")
        .order_by(AuditEntry.id)
    )
    return [e.detail for e in entries]


def field_error(html: str, field: str) -> str:
    """The message shown at a field (the macros' `<span class="error-message" id="FIELD-error">`)."""
    m = re.search(rf'id="{field}-error"><span class="visually-hidden">[^<]*</span>([^<]*)</span>', html)
    assert m, f"no error at {field}"
    return m.group(1).strip()


def date_value(html: str) -> str:
    return re.search(r'<input[^>]*\bid="date"[^>]*>', html).group(0).split('value="', 1)[1].split('"', 1)[0]


def seen_token(html: str) -> str:
    m = re.search(r'<input[^>]*\bname="seen"[^>]*>', html)
    assert m, "no seen token on the page"
    return m.group(0).split('value="', 1)[1].split('"', 1)[0] if 'value="' in m.group(0) else ""


# --- recording, each kind, again ----------------------------------------------------------------


def test_each_outcome_kind_is_recorded_shown_and_audited(as_role, db_session):
    author = as_role("author")
    check_id = submit_example(author, WITH_ALTERNATIVE, meeting_date=days_ago(3))
    check = fresh(db_session, check_id)
    assert check.alternative_verdict is not None and check.verdict == "negative"
    proposal = (check.verdict, check.t_co2e_per_year)
    alternative = (check.alternative_verdict, check.alternative_t_co2e_per_year)
    assert proposal != alternative

    page = author.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Beschluss des Rates" in page and "Noch kein Beschluss eingetragen" in page
    assert f'href="/klimachecks/{check_id}/beschluss">Beschluss eintragen' in page

    form = author.get(f"/klimachecks/{check_id}/beschluss").get_data(as_text=True)
    for outcome in OUTCOMES:  # a check with an alternative is offered all six
        assert f'value="{outcome}"' in form
    assert date_value(form) == days_ago(3)  # the past session date is the default

    expected_adopted = {
        "adopted": proposal,
        "adopted_alternative": alternative,
        "adopted_changed": proposal,
        "rejected": (None, None),
        "withdrawn": (None, None),
        "deferred": (None, None),
    }
    decided = dt.date.fromisoformat(days_ago(2))
    for n, outcome in enumerate(OUTCOMES):
        changed, note = ("partly", f"Satz {n}: Dämmung verbessert.") if n % 2 else ("no", "")
        response = record(author, check_id, outcome=outcome, date=decided.isoformat(), changed=changed, note=note)
        assert response.status_code == 302, author.last_html[:2000]
        assert response.headers["Location"].endswith(f"/klimachecks/{check_id}")
        check = fresh(db_session, check_id)
        assert (check.outcome, check.outcome_date, check.outcome_changed) == (outcome, decided, changed)
        assert check.outcome_note == (note or None)
        assert (check.adopted_verdict, check.adopted_t_co2e_per_year) == expected_adopted[outcome], outcome
        shown = author.get(f"/klimachecks/{check_id}").get_data(as_text=True)
        assert OUTCOME_LABELS[outcome] in shown
        assert decided.strftime("%d.%m.%Y") in shown  # German date
        assert "von Frau Author am" in shown
        assert ("teilweise: " + note) in shown if note else ">nein<" in shown
        assert "Beschluss ändern" in shown

    # Every recording is in the audit log, each with what it replaced.
    audits = outcome_audits(db_session, check_id)
    assert [a["outcome"] for a in audits] == list(OUTCOMES)
    assert audits[0]["before"]["outcome"] is None
    assert [a["before"]["outcome"] for a in audits[1:]] == list(OUTCOMES[:-1])
    assert audits[1]["note"] == "Satz 1: Dämmung verbessert."

    # The same values once more change nothing and log nothing (a double click, a second save).
    last = audits[-1]
    again = record(
        author, check_id, outcome=last["outcome"], date=last["date"], changed=last["changed"], note=last["note"]
    )
    assert again.status_code == 302
    assert len(outcome_audits(db_session, check_id)) == len(OUTCOMES)

    climate = as_role("climate")
    log = climate.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert log.count("Beschluss des Rates eingetragen") == len(OUTCOMES)


def test_adopted_alternative_is_offered_only_with_an_alternative(as_role, db_session):
    author = as_role("author")
    check_id = quick_check(author)
    form = author.get(f"/klimachecks/{check_id}/beschluss").get_data(as_text=True)
    assert 'value="adopted_alternative"' not in form
    assert all(f'value="{o}"' in form for o in OUTCOMES if o != "adopted_alternative")
    response = record(author, check_id, outcome="adopted_alternative", date=days_ago(1), changed="no")
    assert response.status_code == 422
    assert "keine Alternative" in field_error(author.last_html, "outcome")
    assert fresh(db_session, check_id).outcome is None


# --- errors at the field, the input kept --------------------------------------------------------


def test_errors_are_shown_at_their_fields_with_the_input_kept(as_role, db_session):
    author = as_role("author")
    check_id = quick_check(author)
    response = record(author, check_id, outcome="rejected", date="31.02.2026", changed="yes", note="   ")
    assert response.status_code == 422
    html = author.last_html
    assert "Fehler:" in re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    # The summary at the top links to each field; focus.js moves focus to it.
    summary = re.search(r'<div class="error-summary"[^>]*data-error-summary[^>]*>(.*?)</div>', html, re.S).group(1)
    assert '<a href="#date">' in summary and '<a href="#note">' in summary
    assert 'tabindex="-1"' in html and "focus.js" in html
    assert "zum Beispiel 24.11.2026" in field_error(html, "date")
    assert "in einem Satz" in field_error(html, "note")
    # What was typed and chosen is still there.
    assert 'value="31.02.2026"' in html
    assert re.search(r'name="outcome" value="rejected" checked', html)
    assert re.search(r'name="changed" value="yes" checked', html)
    assert fresh(db_session, check_id).outcome is None

    # Nothing chosen at all: a message at each radio group and at the date.
    assert record(author, check_id).status_code == 422
    html = author.last_html
    assert "wie der Rat entschieden hat" in field_error(html, "outcome")
    assert "Datum der Sitzung" in field_error(html, "date")
    assert "wegen des Klimachecks geändert" in field_error(html, "changed")

    # A date in the future, a very long sentence.
    future = (berlin_today() + dt.timedelta(days=30)).isoformat()
    assert (
        record(author, check_id, outcome="adopted", date=future, changed="partly", note="x" * 2001).status_code == 422
    )
    html = author.last_html
    assert "in der Zukunft" in field_error(html, "date")
    assert "Höchstens 2000 Zeichen" in field_error(html, "note")
    assert f'value="{future}"' in html

    # A German date typed by hand (a browser without a date picker) is understood.
    typed = dt.date.fromisoformat(days_ago(5))
    ok = record(author, check_id, outcome="adopted", date=typed.strftime("%d.%m.%Y"), changed="no")
    assert ok.status_code == 302
    assert fresh(db_session, check_id).outcome_date == typed


def test_the_date_defaults_to_a_past_session_only(as_role):
    author = as_role("author")
    future = quick_check(author, reference="F-1", meeting_date=(berlin_today() + dt.timedelta(days=7)).isoformat())
    none = quick_check(author, reference="N-1", meeting_date="")
    today = quick_check(author, reference="T-1", meeting_date=days_ago(0))
    for check_id in (future, none):
        assert date_value(author.get(f"/klimachecks/{check_id}/beschluss").get_data(as_text=True)) == ""
    assert date_value(author.get(f"/klimachecks/{today}/beschluss").get_data(as_text=True)) == days_ago(0)


# --- who may record it ----------------------------------------------------------------------------


def test_who_may_record_and_who_sees_it(as_role, db_session):
    author = as_role("author")
    check_id = quick_check(author, meeting_date=days_ago(1))
    url = f"/klimachecks/{check_id}/beschluss"

    other_author = as_role("author2")
    assert other_author.get(url).status_code == 404
    assert (
        other_author.client.post(url, data={"csrf_token": other_author.token(), "outcome": "adopted"}).status_code
        == 404
    )

    council = as_role("council")
    assert council.get(url).status_code == 403
    council.get(f"/klimachecks/{check_id}")
    assert council.post(url, {"outcome": "adopted", "date": days_ago(1), "changed": "no"}).status_code == 403
    assert as_role("admin").get(url).status_code == 403
    assert as_role("fremd").get(url).status_code == 404

    # The climate department records for someone else's check.
    climate = as_role("climate")
    response = record(
        climate, check_id, outcome="adopted_changed", date=days_ago(1), changed="yes", note="PV-Anlage ergänzt."
    )
    assert response.status_code == 302
    check = fresh(db_session, check_id)
    recorder = db_session.scalars(select(User).where(User.username == "climate")).one()
    assert (check.outcome, check.outcome_by_id) == ("adopted_changed", recorder.id)
    assert outcome_audits(db_session, check_id)[0]["outcome"] == "adopted_changed"

    # Council reads the decision on the check page, without a way to change it.
    page = council.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "geändert beschlossen" in page and "PV-Anlage ergänzt." in page and "von Frau Climate am" in page
    assert url not in page
    assert "Beschluss nachtragen" not in page  # no list for councillors
    # The author and the climate department are offered to change it.
    for who in (author, climate):
        assert f'href="{url}">Beschluss ändern' in who.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert url not in as_role("admin").get(f"/klimachecks/{check_id}").get_data(as_text=True)


def test_a_check_with_only_a_draft_has_no_form(as_role, db_session):
    author = as_role("author")
    check_id = start(author, meeting_date=days_ago(3))
    url = f"/klimachecks/{check_id}/beschluss"
    response = author.get(url)
    assert response.status_code == 302 and f"/klimachecks/{check_id}" in response.headers["Location"]
    assert "erst eingetragen werden, wenn der Klimacheck eingereicht ist" in author.get(
        response.headers["Location"], follow_redirects=True
    ).get_data(as_text=True)
    climate = as_role("climate")
    assert climate.get(url).status_code == 404
    # Recording by the operation is refused too (a request that bypasses the page).
    actor = db_session.scalars(select(User).where(User.username == "author")).one()
    with pytest.raises(ops.OperationError, match="eingereicht"):
        ops.record_outcome(
            db_session, actor, fresh(db_session, check_id), ops.OutcomeData("adopted", dt.date(2026, 1, 5), "no")
        )
    db_session.rollback()


def test_a_decision_recorded_meanwhile_is_not_overwritten_unseen(as_role, db_session):
    author = as_role("author")
    check_id = quick_check(author)
    url = f"/klimachecks/{check_id}/beschluss"
    assert seen_token(author.get(url).get_data(as_text=True)) == ""  # the author opens the form
    climate = as_role("climate")
    assert record(climate, check_id, outcome="deferred", date=days_ago(1), changed="no").status_code == 302
    # The author sends the form they opened before: the page names the conflict and keeps the input.
    response = author.post(
        url, {"outcome": "adopted", "date": days_ago(1), "changed": "partly", "note": "Gründach.", "seen": ""}
    )
    assert response.status_code == 200
    html = author.last_html
    assert "Inzwischen hat jemand anderes einen Beschluss" in html
    assert "Bisher eingetragen" in html and "vertagt" in html
    assert re.search(r'name="outcome" value="adopted" checked', html) and "Gründach." in html
    assert fresh(db_session, check_id).outcome == "deferred"
    # Saving again from that page replaces it, knowingly.
    token = seen_token(html)
    assert token
    again = author.post(
        url, {"outcome": "adopted", "date": days_ago(1), "changed": "partly", "note": "Gründach.", "seen": token}
    )
    assert again.status_code == 302
    assert fresh(db_session, check_id).outcome == "adopted"
    assert [a["outcome"] for a in outcome_audits(db_session, check_id)] == ["deferred", "adopted"]


def test_outcome_problems_are_all_named_at_once():
    class Bare:
        alternative_verdict = None

    problems = ops.outcome_problems(Bare(), ops.OutcomeData("adopted_alternative", None, "yes", ""))
    assert [p.path for p in problems] == [("outcome",), ("date",), ("note",)]
    problems = ops.outcome_problems(Bare(), ops.OutcomeData("", dt.date(1999, 12, 31), None))
    assert [p.path for p in problems] == [("outcome",), ("date",), ("changed",)]
    assert "vor dem Jahr 2000" in problems[1].message
    assert ops.outcome_problems(Bare(), ops.OutcomeData("rejected", dt.date(2026, 5, 1), "no")) == []


# --- two recordings at the same moment ----------------------------------------------------------


@pytest.fixture
def engine(app):
    return app.extensions["impactcheck.db"].engine


def _form(client: Client, check_id: int) -> str:
    page = client.get(f"/klimachecks/{check_id}/beschluss")
    assert page.status_code == 200
    return page.text


def test_double_post_records_once_and_answers_both(live, engine, db_session):
    author = Client(live).login("author")
    check_id = live_start(author)
    live_submitted(author, check_id)
    html = _form(author, check_id)
    data = {"outcome": "rejected", "date": days_ago(1), "changed": "no", "note": "", "seen": seen_token(html)}
    twin = author.twin()
    url = f"/klimachecks/{check_id}/beschluss"
    with Rendezvous(engine) as meeting:
        responses = at_once(lambda: author.post(url, data, html=html), lambda: twin.post(url, data, html=html))
    assert meeting.happened, "the two posts did not overlap"
    for r in responses:
        assert r.status_code == 302, r.text[:500]
        assert r.headers["Location"].endswith(f"/klimachecks/{check_id}")
    assert "ist gespeichert" in twin.get(f"/klimachecks/{check_id}").text
    assert len(outcome_audits(db_session, check_id)) == 1
    assert fresh(db_session, check_id).outcome == "rejected"


def test_two_people_recording_at_once_end_in_one_record_and_a_conflict(live, engine, db_session):
    author = Client(live).login("author")
    check_id = live_start(author)
    live_submitted(author, check_id)
    climate = Client(live).login("climate")
    pages = [_form(author, check_id), _form(climate, check_id)]
    url = f"/klimachecks/{check_id}/beschluss"
    mine = {"outcome": "adopted", "date": days_ago(1), "changed": "no", "seen": ""}
    theirs = {"outcome": "withdrawn", "date": days_ago(1), "changed": "no", "seen": ""}
    with Rendezvous(engine) as meeting:
        responses = at_once(
            lambda: author.post(url, mine, html=pages[0]), lambda: climate.post(url, theirs, html=pages[1])
        )
    assert meeting.happened
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302], [r.text[:300] for r in responses]
    loser = next(r for r in responses if r.status_code == 200)
    assert "Inzwischen hat jemand anderes" in loser.text
    assert len(outcome_audits(db_session, check_id)) == 1
    winner = "adopted" if loser is responses[1] else "withdrawn"
    assert fresh(db_session, check_id).outcome == winner


# --- "Beschluss nachtragen" -------------------------------------------------------------------------


def _due_refs(browser, **args) -> list[str]:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    html = browser.get("/beschluesse-nachtragen" + (f"?{query}" if query else "")).get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<td data-label="Drucksache"><a href="/klimachecks/\d+">([^<]+)</a>', body)


def _nav_count(browser) -> int | None:
    html = browser.get("/beschluesse-nachtragen").get_data(as_text=True)
    m = re.search(r'href="/beschluesse-nachtragen">Beschluss nachtragen(?: \((\d+))?', html)
    assert m, "no link in the navigation"
    return int(m.group(1)) if m.group(1) else None


def test_the_due_list_shows_past_sessions_without_a_decision(as_role, db_session):
    author, other = as_role("author"), as_role("author2")
    quick_check(author, reference="PAST-OLD", meeting_date=days_ago(20))
    quick_check(author, reference="PAST-NEW", meeting_date=days_ago(2))
    quick_check(author, reference="TODAY", meeting_date=days_ago(0))  # the session is today: not yet
    quick_check(author, reference="FUTURE", meeting_date=(berlin_today() + dt.timedelta(days=5)).isoformat())
    quick_check(author, reference="NO-DATE", meeting_date="")
    decided = quick_check(author, reference="DECIDED", meeting_date=days_ago(3))
    start(author, reference="DRAFT", meeting_date=days_ago(4))
    quick_check(other, reference="OTHERS", meeting_date=days_ago(6))
    foreign = quick_check(other, reference="FOREIGN", meeting_date=days_ago(7))
    assert record(author, decided, outcome="adopted", date=days_ago(3), changed="no").status_code == 302
    # A check of another municipality (moved there): never listed here.
    neighbour = db_session.scalars(select(Municipality).where(Municipality.slug == "nachbar")).one()
    db_session.execute(update(Check).where(Check.id == foreign).values(municipality_id=neighbour.id))
    db_session.commit()

    assert _due_refs(author) == ["PAST-NEW", "PAST-OLD"]  # newest session first
    assert _nav_count(author) == 2
    assert _due_refs(other) == ["OTHERS"]
    climate = as_role("climate")
    assert _due_refs(climate) == ["PAST-NEW", "OTHERS", "PAST-OLD"]
    assert _nav_count(climate) == 3
    page = climate.get("/beschluesse-nachtragen").get_data(as_text=True)
    assert "Verfasst von" in page and "Herr Zweiter" in page
    assert "3 Klimachecks warten auf den Beschluss." in page
    assert _due_refs(as_role("fremd")) == ["FOREIGN"]  # the neighbour's climate department sees only theirs
    assert as_role("council").get("/beschluesse-nachtragen").status_code == 403

    # Recording takes it off the list and lowers the count.
    past_new = db_session.scalars(select(Check.id).where(Check.reference == "PAST-NEW")).one()
    assert record(author, past_new, outcome="deferred", date=days_ago(2), changed="no").status_code == 302
    assert _due_refs(author) == ["PAST-OLD"]
    assert _nav_count(author) == 1
    assert f'href="/klimachecks/{past_new}/beschluss"' not in author.get("/beschluesse-nachtragen").get_data(
        as_text=True
    )


def test_the_due_list_uses_the_municipality_time_zone(app, as_role):
    author = as_role("author")
    east = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14
    quick_check(author, reference="EDGE", meeting_date=(east - dt.timedelta(days=1)).isoformat())
    app.config["TIMEZONE"] = "Pacific/Kiritimati"
    assert _due_refs(author) == ["EDGE"]
    app.config["TIMEZONE"] = "Pacific/Pago_Pago"  # UTC-11: there that day has not ended yet
    assert _due_refs(author) == []
    assert _nav_count(author) is None


def test_the_due_list_pages_in_sql_without_loading_revisions(app, as_role, db_session, engine):
    author = as_role("author")
    template = fresh(db_session, quick_check(author, reference="T-0", meeting_date=days_ago(1)))
    owner_id = template.owner_id
    for n in range(1, 60):  # rows as the operations write them: a submitted revision, the state on the check
        check = Check(
            municipality_id=template.municipality_id,
            owner_id=owner_id,
            reference=f"T-{n}",
            title=f"Vorlage {n}",
            department="Amt",
            committee="Ausschuss",
            meeting_date=berlin_today() - dt.timedelta(days=1 + n),
            status="submitted",
            filed_number=1,
            filed_status="submitted",
            verdict="not_relevant",
        )
        check.revisions.append(
            Revision(
                number=1,
                status="submitted",
                ruleset_id="kassel-2030",
                answers=dict(template.revisions[0].answers),
                result=dict(template.revisions[0].result),
                verdict="not_relevant",
            )
        )
        db_session.add(check)
    db_session.commit()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        first = _due_refs(author, anzahl=25)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert first == [f"T-{n}" for n in range(25)]
    assert not any("FROM revision" in s for s in statements), "the list must not load revisions"
    assert len([s for s in statements if "klimacheck" in s]) <= 4  # count for the nav, count and page of the list
    html = author.last_html
    assert "Seite 1 von 3" in html and "60 Klimachecks warten" in html
    assert _due_refs(author, anzahl=25, seite=3) == [f"T-{n}" for n in range(50, 60)]
    assert _due_refs(author, anzahl=25, seite=99) == [f"T-{n}" for n in range(50, 60)]  # clamped to the last
    assert len(_due_refs(author, anzahl="x")) == 50  # a garbled size: the default
    assert _nav_count(author) == 60
    counted = db_session.scalar(select(func.count()).select_from(Check).where(Check.outcome.is_(None)))
    assert counted == 60


def test_the_navigation_count_is_kept_a_minute_and_follows_the_users_own_changes(as_role, db_session):
    """The count in the navigation is counted at most once a minute per browser session (web/outcome.py):
    what others change shows within that minute, what the user does (submit, record) at once, and the
    list of due decisions always sets it to what it lists."""
    from impactcheck.web.outcome import DUE_COUNT_KEY, DUE_COUNT_SECONDS

    def nav(browser) -> int | None:  # from a page that is not the due list
        html = browser.get("/klimachecks").get_data(as_text=True)
        m = re.search(r'href="/beschluesse-nachtragen">Beschluss nachtragen(?: \((\d+))?', html)
        assert m, "no link in the navigation"
        return int(m.group(1)) if m.group(1) else None

    def age(browser, seconds: int) -> None:
        with browser.client.session_transaction() as s:
            count, user, day, when = s[DUE_COUNT_KEY]
            s[DUE_COUNT_KEY] = [count, user, day, when - seconds]

    author, climate = as_role("author"), as_role("climate")
    quick_check(author, reference="N-1", meeting_date=days_ago(5))
    assert nav(author) == 1 and nav(climate) == 1
    quick_check(author, reference="N-2", meeting_date=days_ago(4))  # the author's own submit: at once
    assert nav(author) == 2
    assert nav(climate) == 1  # someone else's change: kept for the minute
    age(climate, DUE_COUNT_SECONDS - 5)
    assert nav(climate) == 1
    age(climate, 10)
    assert nav(climate) == 2  # counted again after the minute
    first = db_session.scalars(select(Check.id).where(Check.reference == "N-1")).one()
    assert record(climate, first, outcome="adopted", date=days_ago(5), changed="no").status_code == 302
    assert nav(climate) == 1  # the user's own record: at once
    assert nav(author) == 2  # the author's kept count lags ...
    assert _nav_count(author) == 1  # ... until the list of due decisions shows what it lists
    assert nav(author) == 1

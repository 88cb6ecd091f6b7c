"""/pruefen: the verification code of a paper's Klimacheck section, checked by anyone without login;
rate-limited per client address in the database; on both backends."""

from __future__ import annotations

import concurrent.futures
import io
import re
import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select, update

from impactcheck.app import create_app
from impactcheck.store import verify as verification
from impactcheck.store.models import Check, RateLimit, Revision
from impactcheck.web.results import code_for
from tests.web.conftest import Browser
from tests.web.flows import answer_all, example, start, submit_example

REFERENCE_LINE = re.compile(r"Klimacheck Nr\. (\d+-\d+) · .*Prüfcode ([0-9A-F]{4}-[0-9A-F]{4})")


def _paper_docx() -> bytes:
    doc = Document()
    doc.add_heading("Beschlussvorlage 101.26.0601", level=1)
    doc.add_paragraph("Sachverhalt: Die Heizung der Kita ist 30 Jahre alt.")
    doc.add_paragraph("{{klimacheck}}")
    doc.add_paragraph("Finanzielle Auswirkungen: 250.000 €.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _texts(docx: bytes) -> list[str]:
    """Every paragraph's text, also inside the section's content control (python-docx skips those)."""
    body = Document(io.BytesIO(docx)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def _code_from_paper(author: Browser, check_id: int) -> tuple[str, str]:
    """The paper with the section inserted, as the author downloads it; its reference line's number and code."""
    author.get(f"/klimachecks/{check_id}")
    response = author.post(
        f"/klimachecks/{check_id}/vorlage.docx",
        {"annex": "none", "paper": (io.BytesIO(_paper_docx()), "Vorlage.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, author.last_html[:2000]
    lines = [m for t in _texts(response.data) if (m := REFERENCE_LINE.search(t))]
    assert len(lines) == 1, _texts(response.data)
    return lines[0].group(1), lines[0].group(2)


def _ask(client, code: str = "", number: str = "", **kw):
    return client.get("/pruefen?" + urlencode({"code": code, "nummer": number}), **kw)


@pytest.fixture
def filed(app, as_role):
    """A submitted check (a quick exit: the fastest to file through the wizard)."""
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="101.26.0601")
    return author, check_id


def test_a_code_read_from_the_inserted_section_is_confirmed_then_outdated(app, filed, db_session):
    """The code from the paper's section confirms the check to anyone, tells nothing else, and says so
    once a newer revision is filed (a newer draft is no newer state)."""
    author, check_id = filed
    number, code = _code_from_paper(author, check_id)
    assert number == f"{check_id}-1"
    check = db_session.get(Check, check_id)
    revision = check.current
    with app.test_request_context():
        assert revision.verification_code == code == code_for(check, revision)  # as the paper printed it

    anonymous = app.test_client()
    # Typed as people type: lower case, spaces, an en dash or none, the words of the reference line.
    for typed in (code.lower(), code.replace("-", " – "), " " + code.replace("-", "") + " ", f"Prüfcode {code}"):
        response = _ask(anonymous, typed)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (typed, page[:3000])
        assert "Der Prüfcode ist echt." in page
        assert response.headers["Cache-Control"] == "no-store"
    page = _ask(anonymous, code, f"Nr. {number}").get_data(as_text=True)
    assert "Der Prüfcode ist echt." in page
    main = page.split('<main class="main" id="inhalt">', 1)[1].split("</main>", 1)[0]
    for shown in (number, "101.26.0601", check.title, "nicht klimarelevant", "kassel-2030", revision.ruleset_version):
        assert shown in main, shown
    assert "(aktuell)" in main and "veraltet" not in main
    # Nothing else of the check: not its author, its answers, its department.
    assert "Frau Author" not in main and "Straßennamen" not in main and check.department not in main
    assert "/klimachecks/" not in main  # no link into the check for a visitor without login
    # Logged-in readers of all checks of the municipality get a link to the check itself.
    council = Browser(app.test_client())
    council.login("council")
    assert f'/klimachecks/{check_id}?revision=1"' in _ask(council.client, code).get_data(as_text=True)

    author.get(f"/klimachecks/{check_id}")
    assert author.post(f"/klimachecks/{check_id}/neue-revision").status_code == 302
    page = _ask(anonymous, code).get_data(as_text=True)
    assert "Der Prüfcode ist echt." in page and "veraltet" not in page  # a draft is not a newer state
    review = author.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert author.post(f"/klimachecks/{check_id}/einreichen", {"version": author.version(review)}).status_code == 302
    db_session.expire_all()
    check = db_session.get(Check, check_id)
    new_code = check.current.verification_code
    assert check.current.number == 2 and new_code and new_code != code
    page = _ask(anonymous, code).get_data(as_text=True)
    assert "Der Prüfcode ist echt." in page and "Dieser Stand ist veraltet." in page
    assert f"Klimacheck-Nr. {check_id}-2" in page and "nicht mehr den aktuellen Stand" in page
    page = _ask(anonymous, new_code).get_data(as_text=True)
    assert "veraltet" not in page and f"{check_id}-2" in page


def test_forged_malformed_colliding_and_draft_codes(app, filed, db_session):
    author, check_id = filed
    code = db_session.get(Check, check_id).current.verification_code
    anonymous = app.test_client()
    forged = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = _ask(anonymous, forged)
    assert response.status_code == 404
    assert "Kein Klimacheck mit diesem Prüfcode." in response.get_data(as_text=True)
    # The right code with another check's number is no confirmation either.
    response = _ask(anonymous, code, f"{check_id + 1}-1")
    assert response.status_code == 404
    assert "Kein Klimacheck mit dieser Nummer und diesem Prüfcode." in response.get_data(as_text=True)
    for bad in ("3F9A-07C", "XYZ9-07C2", "3F9A-07C2-11"):
        response = _ask(anonymous, bad)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, bad
        assert "ist kein Prüfcode" in page and 'aria-invalid="true"' in page and 'href="#code"' in page
    response = _ask(anonymous, code, "zwölf")
    assert response.status_code == 422
    assert "ist keine Klimacheck-Nummer" in response.get_data(as_text=True)
    response = _ask(anonymous, "", "12-3")
    assert response.status_code == 422
    assert "Bitte geben Sie den Prüfcode ein." in response.get_data(as_text=True)

    # 32 bits collide among many checks: the code alone then shows neither check, the number decides.
    second = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="K-2", title="Zweite Vorlage")
    # A collision, as it happens about once among 100,000 checks: the second check gets the same code.
    db_session.execute(update(Revision).where(Revision.check_id == second).values(verification_code=code))
    db_session.commit()
    response = _ask(anonymous, code)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "passt zu mehr als einem Klimacheck" in page and 'href="#nummer"' in page
    assert "Zweite Vorlage" not in page and "101.26.0601" not in page  # no list of the matches
    page = _ask(anonymous, code, f"Klimacheck Nr. {second}-1").get_data(as_text=True)
    assert "Der Prüfcode ist echt." in page and "Zweite Vorlage" in page
    page = _ask(anonymous, code, str(check_id)).get_data(as_text=True)
    assert "Der Prüfcode ist echt." in page and "101.26.0601" in page

    # A draft never has a code, not even the one it would get if it were submitted now.
    draft_id = start(author, reference="E-1")
    answer_all(author, draft_id, example("strassenumbenennung/ohne-zahlen")["answers"])
    draft = db_session.get(Check, draft_id).current
    assert draft.verification_code is None and draft.result is None
    with_code = select(Revision.id).where(Revision.status == "draft", Revision.verification_code.is_not(None))
    assert db_session.scalar(with_code) is None


def test_lookups_are_limited_per_address_across_workers_and_behind_a_proxy(app, db_session):
    """Counted in the database: a second app on the same database (another worker) sees the same
    count, and behind a trusted proxy the address is X-Forwarded-For's. A look-up is a GET form."""
    here = app.test_client()
    page = here.get("/pruefen").get_data(as_text=True)
    assert '<form method="get" action="/pruefen"' in page
    assert 'label class="label" for="code"' in page and 'label class="label" for="nummer"' in page
    assert here.post("/pruefen", data={"code": "0000-0000"}).status_code == 405

    app.config.update(VERIFY_MAX_LOOKUPS=3, VERIFY_WINDOW_SECONDS=120)
    other_worker = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "TRUST_PROXY": True,
            "VERIFY_MAX_LOOKUPS": 3,
            "VERIFY_WINDOW_SECONDS": 120,
        }
    )
    try:
        assert _ask(here, "").status_code == 200  # the empty form is no look-up: not counted
        assert db_session.scalar(select(RateLimit.hits)) is None
        env = {"REMOTE_ADDR": "203.0.113.7"}
        assert _ask(here, "0000-0000", environ_base=env).status_code == 404
        assert _ask(here, "kaputt", environ_base=env).status_code == 422  # a malformed one counts too
        via_proxy = other_worker.test_client()
        proxied = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
        assert _ask(via_proxy, "0000-0001", environ_base=proxied).status_code == 404  # the third
        response = _ask(here, "0000-0002", environ_base=env)
        page = response.get_data(as_text=True)
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 120
        assert "zu viele Abfragen" in page and "Minuten erneut" in page
        assert _ask(via_proxy, "0000-0003", environ_base=proxied).status_code == 429
        # Another address, and the proxy itself, are not held back.
        assert _ask(here, "0000-0004", environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 404
        assert _ask(here, "0000-0005", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 404
        # The stored key is a hash: no address is readable in the table.
        keys = db_session.scalars(select(RateLimit.key)).all()
        assert keys and not any("203.0" in k for k in keys)
    finally:
        other_worker.extensions["impactcheck.db"].dispose()


def test_parallel_lookups_meet_the_limit_exactly(app, live):
    """Twelve look-ups at the same moment from one address against a limit of five: five answered,
    seven refused – no request slips past the count between reading and writing it."""
    app.config.update(VERIFY_MAX_LOOKUPS=5, VERIFY_WINDOW_SECONDS=300)
    barrier = threading.Barrier(12)

    def ask(i: int) -> int:
        barrier.wait(10)
        try:
            with urllib.request.urlopen(f"{live}/pruefen?code=ABCD-{i:04d}", timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(ask, range(12)))
    assert statuses == [404] * 5 + [429] * 7, statuses


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("3f9a-07c2", "3F9A-07C2"),
        ("3F9A07C2", "3F9A-07C2"),
        (" 3F9A – 07C2 ", "3F9A-07C2"),
        ("3F9A\u201107C2", "3F9A-07C2"),
        ("3F9A\u221207C2", "3F9A-07C2"),
        ("３Ｆ９Ａ－０７Ｃ２", "3F9A-07C2"),
        ("Prüfcode: 3F9A-07C2", "3F9A-07C2"),
        ("3F9A-O7C2", "3F9A-07C2"),  # the letter O read for a zero
        ("3F9A-07C", None),
        ("3F9A-07C2A", None),
        ("G000-0000", None),
        ("", None),
    ],
)
def test_code_input_is_tolerant_but_exact(typed, code):
    assert verification.normalise_code(typed) == code


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12-3", (12, 3)),
        ("12", (12, None)),
        ("Nr. 12-3", (12, 3)),
        ("Klimacheck Nr. 12 – 3", (12, 3)),
        ("12-", None),
        ("0-1", None),
        ("99999999999", None),
        ("12-3-4", None),
    ],
)
def test_number_input(typed, number):
    assert verification.parse_number(typed) == number

"""The JSON API (/api/v1): tokens, a check from scratch to submitted, versions, errors, the document."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import select

from impactcheck.store import tokens
from impactcheck.store.models import ApiToken, AuditEntry, Check, User
from tests.web.flows import TOPICS

API = "/api/v1"
SCREEN_NO = {"entscheidung_art": "massnahme", **dict.fromkeys(TOPICS, False)}
EXIT = {"exit_reason": "information", "exit_explanation": "Die Vorlage berichtet nur."}
PAPER = {
    "reference": "API-2026-0001",
    "title": "Bericht zur Kenntnisnahme über die Sitzungstermine 2027",
    "department": "Büro der Stadtverordnetenversammlung",
    "committee": "Haupt- und Finanzausschuss",
}


def make_token(app, username: str) -> str:
    with app.extensions["impactcheck.db"].session() as s:
        user = s.scalar(select(User).where(User.username == username))
        _row, token = tokens.create(s, user, user, f"Skript von {username}")
        s.commit()
    return token


class Client:
    """The test client with a bearer token, JSON in and out."""

    def __init__(self, app, username: str | None = None, token: str | None = None):
        self.http = app.test_client()
        self.token = token or (make_token(app, username) if username else None)

    def call(self, method: str, path: str, json=None, etag: str | None = None, **headers):
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if etag:
            headers["If-Match"] = etag
        return self.http.open(API + path, method=method, json=json, headers=headers)


def created(client: Client, **paper) -> tuple[int, str]:
    response = client.call("POST", "/checks", {**PAPER, **paper})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/api/v1/checks/{response.json['id']}")
    return response.json["id"], response.headers["ETag"]


def test_a_check_from_scratch_to_submitted_with_a_token(app):
    author = Client(app, "author")
    check_id, etag = created(author)
    body = author.call("GET", f"/checks/{check_id}").json
    assert body["status"] == "draft" and body["draft"]["steps"][0] == "vorpruefung"
    assert [b["code"] for b in body["draft"]["blockers"]] == ["incomplete"]
    assert "submit" not in body["draft"]["actions"]

    screened = author.call("PATCH", f"/checks/{check_id}/answers", {"answers": SCREEN_NO}, etag=etag)
    assert screened.status_code == 200, screened.get_data(as_text=True)
    assert screened.headers["ETag"] != etag
    answered = author.call("PATCH", f"/checks/{check_id}/answers", {"answers": EXIT}, etag=screened.headers["ETag"])
    assert answered.status_code == 200 and answered.json["draft"]["blockers"] == []
    assert answered.json["draft"]["verdict_preview"] == "not_relevant"
    assert "submit" in answered.json["draft"]["actions"]

    # A stale version is refused with 412, a missing one with 428; nothing changes.
    assert author.call("POST", f"/checks/{check_id}/submit", {}, etag=etag).status_code == 412
    assert author.call("POST", f"/checks/{check_id}/submit", {}).status_code == 428
    done = author.call("POST", f"/checks/{check_id}/submit", {}, etag=answered.headers["ETag"])
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["status"] == "submitted" and done.json["filed_revision"] == 1
    assert done.json["revision"]["verification_code"] and done.json["result"]["verdict"] == "not_relevant"
    result = author.call("GET", f"/checks/{check_id}/result")
    assert (
        result.status_code == 200
        and result.json["check"]["verification_code"] == done.json["revision"]["verification_code"]
    )
    # Submitted: writes are 409 now, with the web's sentence.
    again = author.call("PATCH", f"/checks/{check_id}/answers", {"answers": EXIT}, etag=done.headers["ETag"])
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "bereits eingereicht" in again.json["detail"]
    # The same check the web shows, and the register counts it.
    listed = Client(app, "climate").call("GET", "/checks?q=API-2026").json
    assert [c["id"] for c in listed["items"]] == [check_id] and listed["total"] == 1


def test_answers_that_do_not_pass_are_422_in_german_and_change_nothing(app, db_session):
    author = Client(app, "author")
    check_id, etag = created(author)
    bad = author.call(
        "PATCH",
        f"/checks/{check_id}/answers",
        {"answers": {"entscheidung_art": "vielleicht", "gibt_es_nicht": 1, TOPICS[0]: "nein"}},
        etag=etag,
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    fields = {e["field"]: e["message"] for e in bad.json["errors"]}
    assert "keine der angebotenen Optionen" in fields["answers.entscheidung_art"]
    assert "Unbekannte Frage" in fields["answers.gibt_es_nicht"]
    assert "Ja/Nein" in fields[f"answers.{TOPICS[0]}"]
    assert db_session.get(Check, check_id).current.answers == {}
    assert (
        author.call("PATCH", f"/checks/{check_id}/answers", {"answers": {}, "extra": 1}, etag=etag).status_code == 422
    )
    not_json = author.call("PATCH", f"/checks/{check_id}/answers", etag=etag, data="x")
    assert not_json.status_code == 400
    missing = author.call("POST", "/checks", {"reference": "X"})
    assert missing.status_code == 422 and {e["field"] for e in missing.json["errors"]} >= {"title", "department"}
    unknown = author.call("POST", "/checks", {**PAPER, "ruleset": "gibt-es-nicht"})
    assert unknown.status_code == 422 and "nicht angeboten" in unknown.json["detail"]


def test_a_negative_check_needs_its_alternative_before_submit(app):
    from tests.web.flows import example

    author = Client(app, "author")
    check_id, etag = created(author, reference="API-NEG-1", title="Neubau Feuerwache Nord")
    answers = example("neubau-feuerwache/schaetzt")["answers"]
    saved = author.call("PATCH", f"/checks/{check_id}/answers", {"answers": answers}, etag=etag)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.json["draft"]["alternative_needed"]
    refused = author.call("POST", f"/checks/{check_id}/submit", {}, etag=saved.headers["ETag"])
    assert refused.status_code == 409 and [b["code"] for b in refused.json["blockers"]] == ["alternative_missing"]
    alternative = author.call(
        "PUT", f"/checks/{check_id}/alternative", {"description": "Sanierung des Bestands"}, etag=saved.headers["ETag"]
    )
    assert alternative.status_code == 200 and alternative.json["draft"]["alternative_answers"] == answers
    removed = author.call("DELETE", f"/checks/{check_id}/alternative", etag=alternative.headers["ETag"])
    assert removed.status_code == 200 and removed.json["draft"]["alternative_answers"] is None


def test_who_may_do_what_through_the_api(app):
    author = Client(app, "author")
    check_id, _etag = created(author)
    assert Client(app, "author2").call("GET", f"/checks/{check_id}").status_code == 404
    assert Client(app, "council").call("GET", f"/checks/{check_id}").status_code == 404  # a draft
    assert Client(app, "council").call("POST", "/checks", PAPER).status_code == 403
    assert Client(app, "fremd").call("GET", f"/checks/{check_id}").status_code == 404  # another municipality
    climate = Client(app, "climate")
    assert climate.call("GET", f"/checks/{check_id}").json["draft"] is None  # sees it, cannot edit it
    assert climate.call("PATCH", f"/checks/{check_id}/answers", {"answers": {}}, etag="x").status_code == 403
    assert Client(app, "author2").call("GET", "/checks").json["total"] == 0  # authors list their own


def test_tokens_revoked_unknown_or_of_a_deactivated_account_are_401(app, db_session):
    token = make_token(app, "author")
    client = Client(app, token=token)
    assert client.call("GET", "/checks").status_code == 200
    assert Client(app, token="ic_" + "x" * 43).call("GET", "/checks").status_code == 401
    nobody = Client(app)
    answer = nobody.call("GET", "/checks")
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.mimetype == "application/problem+json"
    row = db_session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token)))
    assert row.last_used_at is not None and token not in {row.token_hash, row.prefix}  # never stored readable
    tokens.revoke(db_session, None, row)
    db_session.commit()
    assert client.call("GET", "/checks").status_code == 401
    other = Client(app, "author2")
    with app.extensions["impactcheck.db"].session() as s:
        from impactcheck.store import operations as ops

        ops.set_active(s, None, s.scalar(select(User).where(User.username == "author2")), False)
        s.commit()
    assert other.call("GET", "/checks").status_code == 401
    actions = [e.action for e in db_session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert "token.create" in actions and "token.revoke" in actions


def test_a_browser_login_needs_the_csrf_token_for_writes(app, as_role):
    browser = as_role("author")
    assert browser.client.get(f"{API}/checks").status_code == 200
    refused = browser.client.post(f"{API}/checks", json=PAPER)
    assert refused.status_code == 400 and "CSRF" in refused.json["title"]
    browser.get("/klimachecks")
    accepted = browser.client.post(f"{API}/checks", json=PAPER, headers={"X-CSRFToken": browser.token()})
    assert accepted.status_code == 201


def test_the_token_page_shows_a_new_token_once_and_revokes_it(app, as_role, db_session):
    browser = as_role("author")
    made = browser.submit("/konto/api-tokens", {"label": "Abgleich mit dem Ratsinformationssystem"})
    assert made.status_code == 201
    html = made.get_data(as_text=True)
    token = html.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert token.startswith("ic_") and Client(app, token=token).call("GET", "/checks").status_code == 200
    listed = browser.get("/konto/api-tokens").get_data(as_text=True)
    assert "Abgleich mit dem Ratsinformationssystem" in listed and token not in listed
    row = db_session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token)))
    revoked = browser.post(f"/konto/api-tokens/{row.id}/widerrufen")
    assert revoked.status_code == 302
    assert Client(app, token=token).call("GET", "/checks").status_code == 401
    # Another user's token is not theirs to revoke; the admin of the municipality may.
    other = make_token(app, "author2")
    other_row = db_session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(other)))
    assert browser.post(f"/konto/api-tokens/{other_row.id}/widerrufen").status_code == 404
    admin = as_role("admin")
    page = admin.get(f"/admin/benutzer/{other_row.user_id}/api-tokens")
    assert page.status_code == 200 and "Skript von author2" in page.get_data(as_text=True)
    assert admin.post(f"/admin/benutzer/{other_row.user_id}/api-tokens/{other_row.id}/widerrufen").status_code == 302
    assert Client(app, token=other).call("GET", "/checks").status_code == 401
    empty = browser.submit("/konto/api-tokens", {"label": "  "})
    assert empty.status_code == 422 and "Bezeichnung" in empty.get_data(as_text=True)


def test_two_writes_with_the_same_version_at_once_one_wins(app, live):
    token = make_token(app, "author")
    headers = {"Authorization": f"Bearer {token}"}
    start = requests.post(f"{live}{API}/checks", json=PAPER, headers=headers, timeout=30)
    check_id, etag = start.json()["id"], start.headers["ETag"]
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def write(i: int, value: str) -> None:
        barrier.wait()
        answers[i] = requests.patch(
            f"{live}{API}/checks/{check_id}/answers",
            json={"answers": {"entscheidung_art": value}},
            headers={**headers, "If-Match": etag},
            timeout=30,
        )

    threads = [threading.Thread(target=write, args=(i, v)) for i, v in enumerate(("massnahme", "kenntnisnahme"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200, 412], [r.text for r in answers]


def test_the_openapi_document_validates_and_lists_every_api_route(app):
    from openapi_spec_validator import validate

    response = app.test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    documented = {(path, method.upper()) for path, ops_ in document["paths"].items() for method in ops_}
    import re

    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    assert document["paths"]["/api/v1/checks/{check_id}/submit"]["post"]["responses"]["412"]

"""Data protection (issue 10, point 7): anonymising a departed user, log lines without answers."""

from __future__ import annotations

import io
import logging

import openpyxl
import pytest
from sqlalchemy import select, text

from impactcheck.cli import main
from impactcheck.store import operations as ops
from impactcheck.store.models import AuditEntry, Municipality, PendingInput, Revision, User
from tests.web.conftest import PASSWORD, Browser
from tests.web.flows import submit_example
from tests.word.docs import members, section_text

FORMER = "Frau Author"  # the display name the app fixture gives the account "author"


def _user(s, username: str) -> User:
    return s.scalars(select(User).where(User.username == username)).one()


def _audit(s) -> list[tuple]:
    return [(e.id, e.at, e.action, e.user_id, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _everything_about(climate: Browser, check_id: int) -> dict[str, str]:
    """Every place that names the author of a check, as text."""
    xlsx = openpyxl.load_workbook(io.BytesIO(climate.get("/register/export.xlsx").get_data()))
    cells = " ".join(str(c.value) for row in xlsx.active.iter_rows() for c in row if c.value is not None)
    docx = climate.get(f"/klimachecks/{check_id}/klimacheck.docx").get_data()
    return {
        "register": climate.get("/register").get_data(as_text=True),
        "result": climate.get(f"/klimachecks/{check_id}").get_data(as_text=True),
        "json": climate.get(f"/klimachecks/{check_id}/ergebnis.json").get_data(as_text=True),
        "csv": climate.get("/register/export.csv").get_data().decode("utf-8-sig"),
        "xlsx": cells,
        "docx": section_text(docx),
        "docx-parts": b"".join(members(docx).values()).decode("utf-8", "replace"),
    }


def test_an_admin_anonymises_a_departed_author_everywhere(app, as_role, db_session):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen")
    climate = as_role("climate")
    before = _everything_about(climate, check_id)
    assert FORMER in before["register"] and FORMER in before["csv"] and FORMER in before["xlsx"]
    assert FORMER in before["docx"] and FORMER in before["result"]
    user = _user(db_session, "author")
    db_session.add(PendingInput(token="t" * 40, user_id=user.id, path="/x", data={"antwort": "Text"}))
    db_session.commit()
    stored = db_session.scalars(select(Revision.result).where(Revision.check_id == check_id)).all()
    audit_before = _audit(db_session)

    admin = as_role("admin")
    page = admin.get(f"/admin/benutzer/{user.id}/anonymisieren")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "lässt sich nicht rückgängig machen" in html and f"ehemalig-{user.id}" in html
    assert '<label class="label" for="confirm">' in html
    wrong = admin.post(f"/admin/benutzer/{user.id}/anonymisieren", {"confirm": "autor"})
    assert wrong.status_code == 422
    assert "stimmt nicht überein" in wrong.get_data(as_text=True)
    done = admin.post(f"/admin/benutzer/{user.id}/anonymisieren", {"confirm": "author"})
    assert done.status_code == 302
    listing = admin.get("/admin/benutzer").get_data(as_text=True)
    assert "anonymisiert" in listing and FORMER not in listing

    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert (user.username, user.display_name, user.active) == (
        f"ehemalig-{user.id}",
        f"Ehemalige Mitarbeiterin/ehemaliger Mitarbeiter Nr. {user.id}",
        False,
    )
    assert db_session.scalars(select(PendingInput).where(PendingInput.user_id == user.id)).all() == []
    # The audit log: every older entry exactly as it was, one new entry without the former name.
    audit_after = _audit(db_session)
    assert audit_after[: len(audit_before)] == audit_before
    (new,) = audit_after[len(audit_before) :]
    assert new[2] == "user.anonymise" and "author" not in str(new[4]).replace(f"ehemalig-{user.id}", "")
    # The official record is untouched: the stored Results are byte for byte the same.
    assert db_session.scalars(select(Revision.result).where(Revision.check_id == check_id)).all() == stored

    after = _everything_about(climate, check_id)
    for where, content in after.items():
        assert FORMER not in content, where
    for where in ("register", "csv", "xlsx", "docx", "result"):
        assert f"Ehemalige Mitarbeiterin/ehemaliger Mitarbeiter Nr. {user.id}" in after[where], where
    assert after["json"] == before["json"]  # the JSON names nobody; its verification code holds

    # The old session is over, the password is gone, nothing brings the account back.
    assert author.get("/klimachecks").status_code == 302
    login = Browser(app.test_client()).submit("/login", {"username": "author", "password": PASSWORD})
    assert login.status_code != 302
    admin.get("/admin/benutzer")
    admin.post(f"/admin/benutzer/{user.id}/aktiv")
    admin.post(f"/admin/benutzer/{user.id}/passwort", {"password": "ein-neues-langes-passwort"})
    assert "kann nicht wieder verwendet werden" in admin.get("/admin/benutzer").get_data(as_text=True)
    db_session.expire_all()
    assert not db_session.get(User, user.id).active
    assert ops.is_anonymised(db_session.get(User, user.id))
    # A second click changes nothing.
    again = admin.get(f"/admin/benutzer/{user.id}/anonymisieren")
    assert again.status_code == 302
    assert len(_audit(db_session)) == len(audit_after)
    # The name is free again for a new account (a colleague of the same name, or the person rehired).
    with app.extensions["impactcheck.db"].session() as s:
        municipality = s.scalars(select(Municipality).where(Municipality.slug == "default")).one()
        ops.create_user(s, None, municipality=municipality, username="author", password=PASSWORD, role="author")
        s.commit()
    assert Browser(app.test_client()).login("author").status_code == 302


def test_an_admin_cannot_anonymise_their_own_account(as_role, db_session):
    admin = as_role("admin")
    own = _user(db_session, "admin").id
    assert "nicht anonymisieren" in admin.get(f"/admin/benutzer/{own}/anonymisieren").get_data(as_text=True)
    refused = admin.post(f"/admin/benutzer/{own}/anonymisieren", {"confirm": "admin"})
    assert refused.status_code == 422 and "eigenes Konto" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert not ops.is_anonymised(_user(db_session, "admin"))


def _municipality(s) -> Municipality:
    return s.scalars(select(Municipality).where(Municipality.slug == "default")).one()


@pytest.mark.parametrize("source", ["oidc", "ldap"])
def test_single_sign_on_under_the_former_name_does_not_come_back(app, source):
    """After anonymisation the name is free, but the identity provider still vouching for it (or, for
    OIDC, for the same subject under a new name) gets no account: the person has left."""
    database = app.extensions["impactcheck.db"]
    subject = "https://sso.stadt.de/realms/stadt\nf81d4fae" if source == "oidc" else None
    with database.session() as s:
        kwargs = dict(municipality=_municipality(s), display_name="Karla Schmidt", role="author", source=source)
        user = ops.sso_user(s, username="kschmidt", subject=subject, **kwargs)
        assert ops.anonymise_user(s, None, user) is True
        s.commit()
        with pytest.raises(ops.OperationError, match="anonymisiert"):
            ops.sso_user(s, username="KSchmidt".lower(), subject=subject, **kwargs)
        s.rollback()
        if source == "oidc":  # renamed at the IdP, same person
            with pytest.raises(ops.OperationError, match="anonymisiert"):
                ops.sso_user(s, username="karla.schmidt", subject=subject, **kwargs)
            s.rollback()
        # Someone else logs in as before.
        kwargs["display_name"] = "Lena Meier"
        other = ops.sso_user(s, username="lmeier", subject=subject and subject + "x", **kwargs)
        assert other.active
        assert s.scalar(select(text("count(*)")).select_from(User).where(User.display_name == "Karla Schmidt")) == 0


def test_the_command_line_anonymises_too(app, db_session, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("IMPACTCHECK_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(tmp_path))

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_:
            main(list(args))
        out = capsys.readouterr()
        return exit_.value.code, out.out, out.err

    user_id = _user(db_session, "author2").id
    code, out, _ = run("users", "anonymise", "author2", "--yes")
    assert code == 0 and f"ehemalig-{user_id}" in out
    code, out, _ = run("users", "list")
    assert (
        f"ehemalig-{user_id}\tauthor\tEhemalige Mitarbeiterin/ehemaliger Mitarbeiter Nr. {user_id} (anonymisiert)"
        in out
    )
    assert "Herr Zweiter" not in out
    code, _, err = run("users", "anonymise", "niemand", "--yes")
    assert code == 2 and err.count("\n") == 1 and "gibt es nicht" in err


def test_an_internal_error_is_logged_without_what_the_user_entered(app, as_role, caplog):
    """A forced failure whose exception message and SQL parameters both carry the typed answer."""
    secret = "Geheime Begründung: Grundstück Flurstück 4711 an Frau Beispiel"

    @app.post("/_test/boom")
    def boom():  # pragma: no cover - a view for this test only
        from flask import request

        from impactcheck.web.context import db

        answer = request.form["antwort"]
        try:
            # A NOT NULL column left empty: the database refuses, SQLAlchemy's message lists the parameters.
            db().execute(text("INSERT INTO municipality (slug, name) VALUES (:slug, NULL)"), {"slug": answer})
        except Exception as exc:
            raise ValueError(f"cannot store the answer {answer!r}") from exc
        return "unreachable"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    b = as_role("author")
    b.get("/klimachecks")
    with caplog.at_level(logging.INFO):
        response = b.post("/_test/boom", {"antwort": secret})
    assert response.status_code == 500
    assert "Interner Fehler" in response.get_data(as_text=True)
    logged = caplog.text
    assert "internal error on POST /_test/boom" in logged
    assert "ValueError" in logged and "IntegrityError" in logged  # still says what went wrong, and where
    assert "SQL parameters hidden" in logged
    assert secret not in logged and "Flurstück" not in logged and "4711" not in logged
    assert PASSWORD not in logged

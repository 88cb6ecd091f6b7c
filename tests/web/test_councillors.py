"""Councillors: a read-only check page, and "Vorlagen meiner Ausschüsse" with the committees they follow."""

from __future__ import annotations

import re

from sqlalchemy import select

from impactcheck.store.models import AuditEntry, Check, User
from tests.web.exportworld import file_check
from tests.web.flows import submit_example

ROW = re.compile(r"<tr>\s*<td data-label=\"Drucksache\"><a href=\"/klimachecks/(\d+)\">")


def _controls(html: str) -> dict[str, bool]:
    """Which of the tools that change something the page offers."""
    return {
        "new revision": "/neue-revision" in html,
        "review": "/pruefung" in html or "Entscheidung speichern" in html,
        "outcome": "/beschluss" in html,
        "upload": "/vorlage.docx" in html or 'type="file"' in html,
        "resume draft": "Entwurf fortsetzen" in html or "/schritt/" in html,
        "edit paper": '/vorlage"' in html,
        "delete": "/loeschen" in html,
    }


def test_the_check_page_of_a_councillor_has_no_tools_of_the_author_or_the_department(app, as_role):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen")
    author.get(f"/klimachecks/{check_id}")
    assert author.post(f"/klimachecks/{check_id}/neue-revision").status_code == 302  # a newer draft
    # The others do see their tools on this very page (so the test below could fail).
    author_page = _controls(author.get(f"/klimachecks/{check_id}?revision=1").get_data(as_text=True))
    assert author_page["upload"] and author_page["outcome"] and author_page["resume draft"]
    climate_page = _controls(as_role("climate").get(f"/klimachecks/{check_id}").get_data(as_text=True))
    assert climate_page["review"] and climate_page["outcome"]

    council = as_role("council")
    response = council.get(f"/klimachecks/{check_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not any(_controls(html).values()), _controls(html)
    assert "Klimacheck-Abschnitt als Word-Datei" in html  # reading and downloading stay
    assert "Revision 2" not in html  # the author's draft is no business of the council
    assert council.get(f"/klimachecks/{check_id}?revision=2").status_code == 404


def test_my_committees_lists_the_filed_checks_of_their_papers_paged(app, as_role, db_session):
    author = db_session.scalar(select(User).where(User.username == "author"))
    stranger = db_session.scalar(select(User).where(User.username == "fremd"))
    name = "stellenplan/ohne-zahlen"
    ours = [file_check(db_session, author, name, reference="B-00", committee="Bauausschuss")]
    # 25 more of the same filed state, as rows only (the list reads the check rows, never a revision).
    columns = [c.key for c in Check.__table__.columns if c.key != "id"]
    for i in range(1, 26):
        copy = Check(**{**{k: getattr(ours[0], k) for k in columns}, "reference": f"B-{i:02d}"})
        db_session.add(copy)
        ours.append(copy)
    social = file_check(db_session, author, name, reference="S-1", committee="Sozialausschuss")
    file_check(db_session, author, name, reference="D-1", committee="Bauausschuss", submit=False)  # a draft
    file_check(db_session, stranger, name, reference="F-1", committee="Bauausschuss")  # another municipality
    file_check(db_session, author, name, reference="U-1", committee="Umweltausschuss")
    db_session.commit()

    council = as_role("council")
    page = council.get("/meine-ausschuesse").get_data(as_text=True)
    assert "Sie haben noch keine Gremien angegeben." in page and "/einstellungen/ausschuesse" in page
    assert 'href="/meine-ausschuesse"' in page  # the navigation leads here

    form = council.get("/einstellungen/ausschuesse").get_data(as_text=True)
    # The municipality's committees are offered (none of another municipality, none of a draft only).
    for offered in ("Bauausschuss", "Sozialausschuss", "Umweltausschuss"):
        assert f'value="{offered}"' in form
    assert form.count('type="checkbox"') == 3
    response = council.submit(
        "/einstellungen/ausschuesse",
        {"chosen": ["Bauausschuss"], "more": "Sozialausschuss\n  Jugendhilfeausschuss \n\nbauausschuss"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/meine-ausschuesse")
    db_session.expire_all()
    user = db_session.scalar(select(User).where(User.username == "council"))
    assert user.committees == ["Bauausschuss", "Sozialausschuss", "Jugendhilfeausschuss"]
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "user.committees")).one()
    assert entry.user_id == user.id and entry.detail["committees"] == user.committees

    first = council.get("/meine-ausschuesse?pro_seite=25").get_data(as_text=True)
    assert "27 Klimachecks" in first and "Seite 1 von 2" in first
    second = council.get("/meine-ausschuesse?pro_seite=25&seite=2").get_data(as_text=True)
    listed = {int(i) for i in ROW.findall(first) + ROW.findall(second)}
    assert listed == {c.id for c in ours} | {social.id}  # no draft, no other committee or municipality
    assert len(ROW.findall(first)) == 25
    assert 'href="/meine-ausschuesse?pro_seite=25&amp;seite=2"' in first  # paging keeps the page size

    # The register's search works here too.
    searched = council.get("/meine-ausschuesse?q=S-1").get_data(as_text=True)
    assert [int(i) for i in ROW.findall(searched)] == [social.id]


def test_an_admin_sets_a_councillors_committees_others_may_not(app, as_role, db_session):
    council_id = db_session.scalar(select(User.id).where(User.username == "council"))
    admin = as_role("admin")
    users = admin.get("/admin/benutzer").get_data(as_text=True)
    assert f"/admin/benutzer/{council_id}/ausschuesse" in users
    response = admin.submit(f"/admin/benutzer/{council_id}/ausschuesse", {"more": "Haupt- und Finanzausschuss"})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(User, council_id).committees == ["Haupt- und Finanzausschuss"]
    page = as_role("council").get("/einstellungen/ausschuesse").get_data(as_text=True)
    assert 'value="Haupt- und Finanzausschuss" checked' in page  # kept and shown, though no check has it

    # Too long a name: the form again, with the message at the field.
    response = admin.submit(f"/admin/benutzer/{council_id}/ausschuesse", {"more": "A" * 201})
    assert response.status_code == 422
    assert "höchstens 200 Zeichen" in response.get_data(as_text=True)
    assert as_role("fremdadmin").get(f"/admin/benutzer/{council_id}/ausschuesse").status_code == 404
    for role in ("author", "climate"):
        assert as_role(role).get("/einstellungen/ausschuesse").status_code == 403
        assert as_role(role).get("/meine-ausschuesse").status_code == 403

"""Hostile and heavy Word files through the web app: refused at upload before anything is stored, never a
500, and – with several large files processed in parallel – a cap on how many run at once while the rest of
the app (an author saving wizard steps) keeps answering. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from impactcheck.store.models import Check, Upload
from tests.web.conftest import PASSWORD, TOKEN, VERSION
from tests.web.flows import PAPER, SCREEN_NO, submit_example
from tests.word import docs, hostile
from tests.word.hostile import MB, Entry


@pytest.fixture(scope="module")
def good():
    return docs.make(docs.beschlussvorlage)


def _bomb(good: bytes) -> bytes:
    """The directory claims the real size of a 200 KB document.xml; its data inflates 50 MB more; bad CRC."""
    document = b"".join(hostile.document_xml(hostile.word_paragraphs(200_000)))
    packed, _, _ = hostile.deflated([document, *(b" " * MB for _ in range(50))])
    bomb = Entry("word/document.xml", b"", packed=packed, crc=zlib.crc32(b"x"), size=len(document))
    return hostile.raw_zip(hostile.replaced(good, x=bomb))


def _utf32(good: bytes) -> bytes:
    text = docs.members(good)["word/document.xml"].decode()
    data = ('<?xml version="1.0" encoding="UTF-32"?>' + text[text.index("?>") + 2 :]).encode("utf-32-le")
    return hostile.raw_zip(hostile.replaced(good, x=Entry("word/document.xml", data)))


HOSTILE = {
    "bomb": (_bomb, "größer entpackt, als das Inhaltsverzeichnis"),
    "huge": (lambda good: hostile.with_document(good, hostile.repeated_paragraphs(199 * MB)), "word/document.xml"),
    "utf32": (_utf32, "UTF-32"),
    "outside": (lambda good: hostile.raw_zip([*hostile.entries_of(good), Entry("../../evil.txt", b"x")]), "außerhalb"),
    "deep": (lambda good: hostile.with_document(good, [hostile.nested(300)]), "256 Ebenen"),
}


@pytest.fixture(scope="module")
def hostile_files(good):
    """Each file built once per module, when first asked for."""
    built: dict[str, bytes] = {}

    def get(kind: str) -> bytes:
        if kind not in built:
            built[kind] = HOSTILE[kind][0](good)
        return built[kind]

    return get


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_uploads_are_refused_at_the_start_before_anything_is_stored(as_role, db_session, hostile_files, kind):
    needle = HOSTILE[kind][1]
    b = as_role("author")
    response = b.submit(
        "/klimachecks/neu",
        {**PAPER, "ruleset": "kassel-2030", "paper": (io.BytesIO(hostile_files(kind)), "vorlage.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Es gibt ein Problem" in html and needle in html, html[html.find("error-message") :][:600]
    assert 'value="101.26.0601"' in html  # what was typed stays
    assert db_session.scalar(select(func.count()).select_from(Check)) == 0
    assert db_session.scalar(select(func.count()).select_from(Upload)) == 0


def test_a_bomb_with_a_bad_crc_at_download_is_a_message_not_a_500(as_role, db_session, hostile_files):
    b = as_role("author")
    check_id = submit_example(b, "strassenumbenennung/ohne-zahlen")
    b.get(f"/klimachecks/{check_id}")
    response = b.post(
        f"/klimachecks/{check_id}/vorlage.docx",
        {"annex": "none", "paper": (io.BytesIO(hostile_files("bomb")), "vorlage.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.status_code  # the page again, the message at the upload form
    page = response.get_data(as_text=True)
    assert 'id="upload-error-summary"' in page
    assert "größer entpackt, als das Inhaltsverzeichnis" in page
    assert db_session.scalar(select(func.count()).select_from(Upload)) == 0


def test_every_slot_taken_at_the_start_is_a_503_to_come_back_not_a_bad_file(app, as_role, db_session, good):
    """Other files hold every Word slot (held here from other threads) and none may wait: the start form
    comes back as 503 with Retry-After, the typed input kept, nothing stored – the file itself is fine."""
    from impactcheck.word.jobs import SLOTS

    jobs = app.config["WORD_JOBS"]
    holding, release = threading.Barrier(jobs + 1), threading.Event()

    def hold() -> None:
        with SLOTS.slot(jobs=jobs, queued=0, wait=0):
            holding.wait()
            release.wait(60)

    b = as_role("author")
    b.get("/klimachecks/neu")
    queue, app.config["WORD_QUEUE"] = app.config["WORD_QUEUE"], 0
    holders = [threading.Thread(target=hold) for _ in range(jobs)]
    try:
        for t in holders:
            t.start()
        holding.wait(30)
        response = b.submit(
            "/klimachecks/neu",
            {**PAPER, "ruleset": "kassel-2030", "paper": (io.BytesIO(good), "vorlage.docx")},
            content_type="multipart/form-data",
        )
    finally:
        release.set()
        for t in holders:
            t.join()
        app.config["WORD_QUEUE"] = queue
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    html = response.get_data(as_text=True)
    assert "bearbeitet gerade mehrere Word-Dateien" in html and 'value="101.26.0601"' in html
    assert db_session.scalar(select(func.count()).select_from(Check)) == 0
    # Once the slots are free, the same file goes in.
    again = b.submit(
        "/klimachecks/neu",
        {**PAPER, "ruleset": "kassel-2030", "paper": (io.BytesIO(good), "vorlage.docx")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 302, again.status_code


# --- many large files at once against the real server ---------------------------------------------------


class Client:
    def __init__(self, base: str):
        self.base, self.http, self.html = base, requests.Session(), ""

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, allow_redirects=False, timeout=120)
        if response.status_code == 200:
            self.html = response.text
        return response

    def post(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        m = TOKEN.search(self.html)
        payload = {"csrf_token": m.group(1) or m.group(2), **data}
        return self.http.post(self.base + path, data=payload, files=files, allow_redirects=False, timeout=120)

    def login(self, username: str) -> Client:
        self.get("/login")
        assert self.post("/login", {"username": username, "password": PASSWORD}).status_code == 302
        return self


def _version(html: str) -> str:
    m = VERSION.search(html)
    return m.group(1) or m.group(2)


@pytest.fixture(scope="module")
def heavy(good):
    """A large paper the limits accept: 10 MB of Word paragraphs in document.xml (about 1 MB packed)."""
    return hostile.with_document(good, hostile.word_paragraphs(10 * MB))


def test_parallel_large_files_are_capped_and_the_app_keeps_answering(app, as_role, live, heavy):
    check_id = submit_example(as_role("author"), "strassenumbenennung/ohne-zahlen")
    uploaders = [Client(live).login("author") for _ in range(6)]
    for c in uploaders:
        c.get(f"/klimachecks/{check_id}")
    saver = Client(live).login("author2")
    saver.get("/klimachecks/neu")
    started = saver.post("/klimachecks/neu", {**PAPER, "reference": "101.26.0602", "ruleset": "kassel-2030"})
    step = started.headers["Location"].replace(live, "")
    assert "/schritt/vorpruefung" in step, step

    go = threading.Event()
    saves: list[float] = []
    statuses: list[int] = []

    def upload(client: Client) -> requests.Response:
        go.wait()
        return client.post(
            f"/klimachecks/{check_id}/vorlage.docx",
            {"annex": "none"},
            files={"paper": ("gross.docx", heavy, "application/octet-stream")},
        )

    def save_steps(until: threading.Event) -> None:
        go.wait()
        while not until.is_set():
            begun = time.monotonic()
            page = saver.get(step)
            sent = saver.post(step, {**SCREEN_NO, "version": _version(page.text), "action": "save"})
            saves.append(time.monotonic() - begun)
            statuses.extend((page.status_code, sent.status_code))

    done = threading.Event()
    with ThreadPoolExecutor(7) as pool:
        saving = pool.submit(save_steps, done)
        uploads = [pool.submit(upload, c) for c in uploaders]
        go.set()
        answers = [u.result() for u in uploads]
        done.set()
        saving.result()

    inserted = [r for r in answers if r.status_code == 200]
    # The page again, the message at the upload form, as 503 with Retry-After: not the file's fault.
    told_busy = [r for r in answers if r.status_code == 503 and r.headers.get("Retry-After") == "60"]
    assert len(inserted) + len(told_busy) == len(answers), [r.status_code for r in answers]
    assert all(r.headers["Content-Type"].endswith("wordprocessingml.document") for r in inserted)
    assert len(inserted) >= 2, "the admitted files are processed"
    assert told_busy, "with six large files at once, some are asked to come back later"
    for refused in told_busy:
        assert "bearbeitet gerade mehrere Word-Dateien" in refused.text
    from impactcheck.word.jobs import SLOTS

    assert SLOTS.peak <= app.config["WORD_JOBS"], "never more files at once than configured (in this process)"
    assert saves and all(s in (200, 302) for s in statuses), statuses
    assert max(saves) < 5, f"a wizard save took {max(saves):.1f} s while the files were processed"
    assert re.search(r"gross_mit_Klimacheck\.docx", inserted[0].headers["Content-Disposition"])
    print(
        f"\n{len(inserted)} inserted, {len(told_busy)} told busy, {len(saves)} wizard saves, slowest {max(saves):.2f} s"
    )

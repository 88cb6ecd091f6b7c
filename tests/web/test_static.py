"""Static files with fingerprinted URLs and long caching; compression where it is safe (web/static.py)."""

from __future__ import annotations

import re
import shutil
import zlib

import brotli
import pytest
from flask import url_for

try:  # Python 3.14's, else the backport Flask-Compress depends on
    from compression import zstd
except ImportError:
    from backports import zstd

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import operations as ops
from impactcheck.store.models import Municipality
from impactcheck.web.extensions import SECURITY_HEADERS
from impactcheck.web.static import IMMUTABLE
from tests.web.conftest import PASSWORD, Browser, _config

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app on SQLite with a copy of the static folder the tests may change."""
    folder = tmp_path_factory.mktemp("static-site")
    url = f"sqlite:///{folder}/db.sqlite3"
    prepared = prepare(_config(url, folder), create_admin=False)
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        ops.create_user(s, None, municipality=municipality, username="klima", password=PASSWORD, role="climate")
        s.commit()
    prepared.database.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url, "INSTANCE_PATH": str(folder)})
    static = folder / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)
    yield app
    app.extensions["impactcheck.db"].dispose()


def _assets(client) -> dict[str, str]:
    html = client.get("/login").get_data(as_text=True)
    return {u.split("?")[0].rsplit("/", 1)[1]: u for u in ASSET.findall(html)}


def test_static_urls_carry_the_content_hash_and_are_cached_for_a_year(site):
    client = site.test_client()
    assets = _assets(client)
    assert re.fullmatch(r"/static/style\.css\?v=[0-9a-f]{12}", assets["style.css"])
    response = client.get(assets["style.css"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "Set-Cookie" not in response.headers  # nothing personal in a publicly cached answer
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    revalidated = client.get(assets["style.css"], headers={"If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.headers["Cache-Control"] == IMMUTABLE
    plain = client.get("/static/style.css")  # without a fingerprint: revalidated each time, as before
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]


def _url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_a_changed_file_gets_a_new_url_and_the_old_one_redirects(site):
    client = site.test_client()
    old = _url(site, "focus.js")
    path = f"{site.static_folder}/focus.js"
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n// changed by an update\n")
    # A page of the next second may still link the old URL (links look at the file once a second);
    # that URL is never served with the new content but sent on to the new one, which pages link then.
    stale = client.get(old)
    assert stale.status_code == 302 and stale.headers["Cache-Control"] == "no-cache"
    new = stale.headers["Location"].split("localhost", 1)[-1]
    assert new != old and new.startswith("/static/focus.js?v=")
    assert _url(site, "focus.js") == new
    assert b"changed by an update" in client.get(new).get_data()
    assert client.get("/static/nicht-da.js?v=0123456789ab").status_code == 404
    assert client.get("/static/../app.py?v=0123456789ab").status_code == 404


def test_css_and_js_are_compressed_when_asked_and_only_then(site):
    client = site.test_client()
    url = _assets(client)["style.css"]
    raw = client.get(url).get_data()
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.get_data() == raw
    assert "Accept-Encoding" in plain.headers["Vary"]
    # Files are sent streamed; Flask-Compress streams zstd, brotli and deflate (gzip only unstreamed).
    for offered, chosen in (("gzip, deflate, br", "br"), ("gzip, br, zstd", "zstd"), ("deflate", "deflate")):
        response = client.get(url, headers={"Accept-Encoding": offered})
        assert response.headers["Content-Encoding"] == chosen, offered
        assert "Accept-Encoding" in response.headers["Vary"]
        body = response.get_data()
        assert len(body) < len(raw) / 2
        unpack = {"br": brotli.decompress, "zstd": zstd.decompress, "deflate": zlib.decompress}[chosen]
        assert unpack(body) == raw
        assert response.headers["Cache-Control"] == IMMUTABLE
    # Partial content stays as it is: a byte range of the uncompressed file.
    ranged = client.get(url, headers={"Accept-Encoding": "br", "Range": "bytes=0-99"})
    assert ranged.status_code == 206 and "Content-Encoding" not in ranged.headers and ranged.get_data() == raw[:100]


def test_pages_are_private_and_never_compressed(site):
    """HTML carries the session's CSRF token next to echoed input: compressed, BREACH could read it."""
    client = site.test_client()
    page = client.get("/login", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Content-Encoding" not in page.headers
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert page.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    health = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert health.headers["Cache-Control"] == "private, no-cache"
    assert "Content-Encoding" not in health.headers  # JSON below 500 bytes is not worth it


def test_the_csv_export_is_compressed_while_it_streams_and_the_xlsx_is_not(site):
    b = Browser(site.test_client())
    b.login("klima")
    plain = b.get("/register/export.csv").get_data()
    csv = b.get("/register/export.csv", headers={"Accept-Encoding": "br"})
    assert csv.is_streamed and csv.headers["Content-Encoding"] == "br"
    assert csv.headers["Cache-Control"] == "private, no-store"  # as the export sets it, not overridden
    assert brotli.decompress(csv.get_data()) == plain and plain.startswith("\ufeff".encode())
    xlsx = b.get("/register/export.xlsx", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert xlsx.status_code == 200 and "Content-Encoding" not in xlsx.headers  # a ZIP already

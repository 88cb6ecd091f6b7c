"""Static files with fingerprinted URLs, compressed responses, and no shared caching of pages.

- `url_for('static', filename='style.css')` gives `/static/style.css?v=<first 12 hex of its SHA-256>`.
  Such a URL is served with `Cache-Control: public, max-age=31536000, immutable`: a browser or proxy
  keeps it a year, and a changed file gets a new URL. A URL with an outdated or unknown fingerprint (a
  page cached from before an update) is redirected to the current one; without a fingerprint the file is
  served as Flask does (`no-cache`: revalidated every time).
- Responses are compressed (Flask-Compress ≥ 1.21: zstd, brotli or gzip, whatever the browser accepts,
  with `Vary: Accept-Encoding`; streamed ones, the CSV export and static files, on the fly) when they
  are CSS, JavaScript, SVG, JSON or CSV of 500 bytes or more (not partial content). HTML
  pages are not: every page carries the session's CSRF token, and many repeat what the user typed
  (a search), which is what the BREACH attack needs to read a secret from the size of compressed TLS
  responses. Word, Excel and PNG files are compressed already and are left alone.
- A response that sets no caching itself (every page) gets `Cache-Control: private, no-cache`: the
  pages show names and checks, so no shared cache (a proxy) may keep them, and the browser asks again.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import time
from pathlib import Path

from flask import Flask, abort, redirect, request, url_for
from flask_compress import Compress

FINGERPRINT_ARG = "v"
FINGERPRINT_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
PAGE_CACHING = "private, no-cache"
COMPRESSED_TYPES = [
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
    "application/json",
    "text/csv",
]

compress = Compress()


@functools.lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    # Keyed by modification time and size as well: a file changed while the server runs gets a new URL.
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()[:FINGERPRINT_LENGTH]


@functools.lru_cache(maxsize=256)
def _inside(folder: str, filename: str) -> str | None:
    # Every page links the same few files: resolve each name once, not on every url_for.
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    return str(path) if path.is_relative_to(root) else None


# The fingerprint of a path and when it was last looked at: every page links the same few files, and a
# stat per link (a system call that lets other threads take the interpreter) cost a step under load.
# A file changed while the server runs gets its new URL within RECHECK_SECONDS.
RECHECK_SECONDS = 1.0
_SEEN: dict[str, tuple[float, str | None]] = {}


def fingerprint(folder: str, filename: str, fresh: bool = False) -> str | None:
    """The fingerprint of `filename` in the static folder `folder`; None for no such (regular) file.
    `fresh`: looked at now (serving the file), not as seen within the last RECHECK_SECONDS (linking it)."""
    path = _inside(folder, filename)
    if path is None:
        return None
    now = time.monotonic()
    seen = _SEEN.get(path)
    if not fresh and seen is not None and now - seen[0] < RECHECK_SECONDS:
        return seen[1]
    digest = _current_digest(path)
    if len(_SEEN) < 256:  # the static folder's files, not whatever names a request makes up
        _SEEN[path] = (now, digest)
    return digest


def _current_digest(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _digest(path, st.st_mtime_ns, st.st_size)


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config["COMPRESS_REGISTER"] = False  # registered below, to leave out partial content
    compress.init_app(app)

    @app.after_request
    def _compress(response):
        if response.status_code == 206:  # a byte range of the file as it is: compressed, it would not fit
            return response
        return compress.after_request(response)

    @app.url_defaults
    def _fingerprinted(endpoint: str, values: dict) -> None:
        if endpoint != "static" or FINGERPRINT_ARG in values or "filename" not in values:
            return
        digest = fingerprint(app.static_folder or "", values["filename"])
        if digest is not None:
            values[FINGERPRINT_ARG] = digest

    serve = app.view_functions["static"]

    def static(filename: str):
        wanted = request.args.get(FINGERPRINT_ARG)
        if wanted is None:
            return serve(filename=filename)
        digest = fingerprint(app.static_folder or "", filename, fresh=True)  # never the old file as the new
        if digest is None:
            abort(404)
        if wanted != digest:
            # A page from before an update asks for the old file: send it to the current one.
            response = redirect(url_for("static", filename=filename), 302)
            response.headers["Cache-Control"] = "no-cache"
            return response
        response = serve(filename=filename)
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = static

    # Public files: whatever the request's login checks did to the session is not sent back with them
    # (no Set-Cookie, no "Vary: Cookie"), so a shared cache may keep them; the next page saves it.
    interface = app.session_interface
    save_session = interface.save_session

    def _save_session(app_, session_, response):
        if request.endpoint == "static":
            return None
        return save_session(app_, session_, response)

    interface.save_session = _save_session  # type: ignore[method-assign]

    @app.after_request
    def _page_caching(response):
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = PAGE_CACHING
        return response

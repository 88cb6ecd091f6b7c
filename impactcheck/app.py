"""The Flask app factory (flaskr style): configuration, extensions, blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from impactcheck import settings

# Text fields are held in memory while a form is read: the longest text a form may carry, per field.
TEXT_FIELD_MAX_BYTES = 500_000


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance = Path(test_config["INSTANCE_PATH"]) if test_config and "INSTANCE_PATH" in test_config else None
    config = settings.load(instance=instance, overrides=test_config)
    settings.ensure_instance(config)
    settings.ensure_private_sqlite(config["DATABASE_URL"])
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        instance_relative_config=True,
        # templates/ and static/ are package data beside this module (Flask's defaults).
    )
    from impactcheck.web.hygiene import CleanRequest, IdConverter

    # Before any blueprint adds its routes: every form is cleaned, every <int:…> id bounded.
    app.request_class = CleanRequest
    app.url_map.converters["int"] = IdConverter
    app.config.update(config)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Room for the largest allowed upload plus the rest of the form.
        MAX_CONTENT_LENGTH=int(config["UPLOAD_MAX_BYTES"]) + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=TEXT_FIELD_MAX_BYTES,
        # A CSRF token lives as long as the session: a long form must not expire after an hour.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="de",
        # Stored times are UTC; pages show them in the municipality's time.
        BABEL_DEFAULT_TIMEZONE=config.get("TIMEZONE") or "Europe/Berlin",
    )
    if test_config:
        app.config.update(test_config)
        app.config["RULES_DIR"] = config["RULES_DIR"]  # resolved once, by settings.load

    from impactcheck.web import setup
    from impactcheck.web import static as static_files

    setup(app)
    static_files.init_app(app)  # fingerprinted static URLs, compression, no shared caching of pages
    from impactcheck import logs

    logs.configure()
    return app

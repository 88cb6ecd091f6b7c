"""The Flask app factory (flaskr style): configuration, extensions, blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from impactcheck import settings

ROOT = Path(__file__).resolve().parents[1]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance = Path(test_config["INSTANCE_PATH"]) if test_config and "INSTANCE_PATH" in test_config else None
    config = settings.load(instance=instance, overrides=test_config)
    settings.ensure_instance(config)
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(config)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Room for the largest allowed upload plus the rest of the form.
        MAX_CONTENT_LENGTH=int(config["UPLOAD_MAX_BYTES"]) + 1024 * 1024,
        # A CSRF token lives as long as the session: a long form must not expire after an hour.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="de",
        # Stored times are UTC; pages show them in the municipality's time.
        BABEL_DEFAULT_TIMEZONE=config.get("TIMEZONE") or "Europe/Berlin",
    )
    if test_config:
        app.config.update(test_config)

    from impactcheck.web import setup

    setup(app)
    return app

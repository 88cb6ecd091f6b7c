"""GET /healthz: 200 with JSON while the app and its database work, 503 when the database does not."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from impactcheck import __version__
from impactcheck.web.context import database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.commit()  # not a ROLLBACK: psycopg would drop the pooled connection's prepared statements
    except Exception as exc:  # any database failure means "not healthy"
        return jsonify(status="error", database="unavailable", detail=type(exc).__name__), 503
    return jsonify(status="ok", database="ok", version=__version__)

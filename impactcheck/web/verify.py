"""/pruefen: anyone checks the verification code printed in a paper's Klimacheck section, without login.

A GET form: a look-up changes nothing worth protecting by a CSRF token (and an anonymous visitor has
no session for one), its URL can be bookmarked or printed, and the browser's back button works. Every
look-up counts against a limit per client address kept in the database (store/ratelimit.py), so it
holds across workers and restarts; beyond it the answer is a 429 page with Retry-After. The page tells
only what the paper's section shows anyway (store/verify.Found): no author, no answers, no figures.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from impactcheck.core.model import VERDICT_LABELS
from impactcheck.store import municipalities as municipal
from impactcheck.store import ratelimit
from impactcheck.store import verify as verification
from impactcheck.store.models import STATUS_LABELS, Municipality
from impactcheck.web.access import READERS_OF_ALL
from impactcheck.web.auth import client_address
from impactcheck.web.context import db

bp = Blueprint("verify", __name__)

BUCKET = "verify"
MAX_INPUT = 200  # characters of one field read at all; a code with its number is far shorter


def _limit() -> tuple[int, float]:
    config = current_app.config
    return int(config.get("VERIFY_MAX_LOOKUPS", 30)), float(config.get("VERIFY_WINDOW_SECONDS", 600))


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return ngettext(
            "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Abfragen. Bitte versuchen Sie es in %(num)d "
            "Sekunde erneut.",
            "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Abfragen. Bitte versuchen Sie es in %(num)d "
            "Sekunden erneut.",
            seconds,
        )
    return ngettext(
        "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Abfragen. Bitte versuchen Sie es in %(num)d Minute erneut.",
        "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Abfragen. Bitte versuchen Sie es in %(num)d Minuten erneut.",
        (seconds + 59) // 60,
    )


def _local_day(found: verification.Found, municipality: Municipality | None) -> dt.date | None:
    """The day of submission where the municipality is: the date the Word section's reference line shows."""
    if found.submitted_at is None:
        return None
    zone = ZoneInfo(municipal.timezone_of(municipality, current_app.config))
    return found.submitted_at.replace(tzinfo=dt.UTC).astimezone(zone).date()


def _may_open(found: verification.Found) -> bool:
    """A logged-in reader of all checks of that municipality gets a link to the check itself."""
    return (
        current_user.is_authenticated
        and current_user.role in READERS_OF_ALL
        and current_user.municipality_id == found.municipality_id
    )


@bp.get("/pruefen")
def lookup():
    code_text = request.args.get("code", "")[:MAX_INPUT]
    number_text = request.args.get("nummer", "")[:MAX_INPUT]
    asked = bool(code_text.strip() or number_text.strip())
    context = {"code": code_text, "number": number_text, "asked": asked}
    status = 200
    if asked:
        limit, window = _limit()
        wait = ratelimit.hit(db(), BUCKET, client_address(), limit=limit, window=window)
        if wait:
            response = make_response(render_template("verify.html", throttled=_wait_message(wait), **context), 429)
            response.headers["Retry-After"] = str(wait)
            return _private(response)
        outcome = verification.lookup(db(), code_text, number_text)
        if outcome.found is not None:
            found = outcome.found
            municipality = db().get(Municipality, found.municipality_id)
            context.update(
                found=found,
                municipality=municipality.name if municipality else "",
                day=_local_day(found, municipality),
                verdict=_(VERDICT_LABELS[found.verdict]) if found.verdict in VERDICT_LABELS else "–",
                status_label=_(STATUS_LABELS.get(found.status, found.status)),
                may_open=_may_open(found),
            )
        else:
            field = "nummer" if outcome.field == "number" else "code"
            context.update(problem=_(outcome.problem, value=outcome.value), problem_field=field)
            # Not found: no such resource; malformed or not decidable without the number: fix the input.
            not_found = outcome.problem in (verification.NOT_FOUND, verification.NOT_FOUND_WITH_NUMBER)
            status = 404 if not_found else 422
    return _private(make_response(render_template("verify.html", **context), status))


def _private(response):
    """Answers about one check are nobody's to cache or index (a newer revision may come any day)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response

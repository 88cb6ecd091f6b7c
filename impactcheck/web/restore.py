"""Form input that arrives after the login expired: kept for its sender and offered back after login.

Only a session whose login ran out (the idle timeout) may leave input behind, and only that user
gets it back, once, on the page the form came from. A forged link or a stranger's POST gets nothing.
"""

from __future__ import annotations

from flask import flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from impactcheck.store import operations as ops
from impactcheck.web.context import commit, db

# A form POSTed to the first endpoint is shown again by the GET page of the second.
RESTORE_TO = {
    "wizard.new_check": "wizard.new_check",
    "wizard.paper": "wizard.paper",
    "wizard.step": "wizard.step",
    "wizard.alternative_step": "wizard.alternative_step",
    "wizard.alternative": "wizard.alternative",
    "wizard.submit": "wizard.review",
    "results.review": "results.view",
    "outcome.record": "outcome.record",
}
TOKEN_ARG = "wiederherstellen"
IDLE_USER = "expired_user"  # session key: whose login ran out in this browser


def stash_expired_post() -> str | None:
    """For a POST that came after the login expired: keep its form, return the page to show it on."""
    user_id = session.get(IDLE_USER)
    endpoint = RESTORE_TO.get(request.endpoint or "")
    if request.method != "POST" or user_id is None or endpoint is None:
        return None
    data = {
        k: (values if len(values) > 1 else values[0])
        for k in request.form
        if k != "csrf_token" and (values := request.form.getlist(k))
    }
    target = url_for(endpoint, **(request.view_args or {}))
    token = ops.stash_pending_input(db(), user_id, target, data)
    if token is None:
        return None
    commit()
    flash(
        _(
            "Ihre Anmeldung war abgelaufen. Ihre Eingaben sind aufbewahrt: Melden Sie sich an, dann sehen Sie sie "
            "wieder und können sie speichern."
        ),
        "info",
    )
    return f"{target}?{TOKEN_ARG}={token}"


def restored_input() -> MultiDict | None:
    """The input kept for the current user and this page, if the URL carries its token (once)."""
    token = request.args.get(TOKEN_ARG)
    if not token or not current_user.is_authenticated:
        return None
    data = ops.take_pending_input(db(), token, current_user, request.path)
    commit()
    if not data:
        return None
    flash(
        _(
            "Ihre Eingaben von vor der Anmeldung sind wiederhergestellt, aber noch nicht gespeichert. Prüfen Sie "
            "sie und speichern Sie."
        ),
        "info",
    )
    pairs = [(k, v) for k, values in data.items() for v in (values if isinstance(values, list) else [values])]
    return MultiDict(pairs)


def form_with_restored_input(form_class):
    """(form, restored?): on a GET with a token, the form filled with the kept input; else as usual
    (Flask-WTF reads the POST itself – passing formdata=None would empty it)."""
    data = restored_input() if request.method == "GET" else None
    if data is None:
        return form_class(), False
    return form_class(formdata=data), True

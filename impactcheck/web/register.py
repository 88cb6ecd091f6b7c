"""The register of all checks of the municipality, for the climate department, council and admin."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from impactcheck.core.model import VERDICT_LABELS
from impactcheck.store.models import STATUS_LABELS, Check
from impactcheck.web.access import READERS_OF_ALL, roles_required
from impactcheck.web.context import db

bp = Blueprint("register", __name__)


@bp.get("/register")
@roles_required(*READERS_OF_ALL)
def all_checks():
    checks = (
        db()
        .scalars(
            select(Check)
            .where(Check.municipality_id == current_user.municipality_id)
            .options(selectinload(Check.revisions), selectinload(Check.owner))  # one query each, not one per check
            .order_by(Check.id.desc())
        )
        .all()
    )
    status = request.args.get("status") or None
    verdict = request.args.get("verdict") or None
    flagged = request.args.get("markiert") == "1"
    fragile = request.args.get("fragil") == "1"
    open_points = request.args.get("offen") == "1"
    rows = []
    for check in checks:
        current = check.current
        latest = next((r for r in reversed(check.revisions) if not r.is_draft), None)
        if current_user.role == "council" and latest is None:
            continue  # councillors see what was submitted
        shown = latest or current
        # Councillors see the state of what was submitted, not that an author is revising it.
        state = shown if current_user.role == "council" else current
        if status and state.status != status:
            continue
        if verdict and shown.verdict != verdict:
            continue
        if flagged and not shown.flagged:
            continue
        if fragile and not shown.fragile:
            continue
        if open_points and not shown.open_points:
            continue
        rows.append({"check": check, "state": state, "shown": shown})
    return render_template(
        "register.html",
        rows=rows,
        status=status,
        verdict=verdict,
        flagged=flagged,
        fragile=fragile,
        open_points=open_points,
        statuses=STATUS_LABELS,
        verdicts=VERDICT_LABELS,
    )

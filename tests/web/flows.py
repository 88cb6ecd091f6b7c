"""Drive the wizard through the test client the way an author would, from an answers dict."""

from __future__ import annotations

import io
import re
from typing import Any

import yaml

from impactcheck.core.numbers import format_number
from impactcheck.core.registry import resolve_ruleset
from tests.support import RULES


def _topics(ruleset_id: str = "kassel-2030") -> list[str]:
    """The topic questions of the screening ("betrifft_…"), read from the rule set, not copied."""
    step = resolve_ruleset(ruleset_id).steps[0]
    return [q.id for q in step.questions if q.type == "yes_no" and q.id.startswith("betrifft_")]


TOPICS = _topics()
# The screening as the wizard form sends it for a concrete measure ("massnahme") that touches none
# of the topics: the check exits to the "not relevant" page.
SCREEN_NO = {"entscheidung_art": "massnahme", **dict.fromkeys(TOPICS, "nein")}


PAPER = {
    "reference": "101.26.0601",
    "title": "Ersatz der Heizungsanlage in der Kita Wolfsanger",
    "department": "Amt für Hochbau und Gebäudebewirtschaftung",
    "committee": "Bau- und Planungsausschuss",
    "meeting_date": "2026-12-08",
}


def form_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int | float):
        return format_number(value)
    return value


def start(browser, ruleset: str = "kassel-2030", upload: bytes | None = None, **paper) -> int:
    data = {**PAPER, **paper, "ruleset": ruleset}
    # Tests start checks on purpose, often of one paper: past the warning that its reference has a
    # check already, as "Trotzdem neu beginnen" does (the warning itself: test_wizard).
    data.setdefault("trotzdem", data["reference"].strip().lower())
    kwargs = {}
    if upload is not None:
        data["paper"] = (io.BytesIO(upload), "Vorlage 101.26.0601.docx")
        kwargs["content_type"] = "multipart/form-data"
    response = browser.submit("/klimachecks/neu", data, **kwargs)
    assert response.status_code == 302, browser.last_html[:2000]
    m = re.search(r"/klimachecks/(\d+)/schritt/", response.headers["Location"])
    assert m, response.headers["Location"]
    return int(m.group(1))


def step_data(ruleset_id: str, step_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    rs = resolve_ruleset(ruleset_id)
    step = next(s for s in rs.all_steps if s.id == step_id)
    return {q.id: form_value(answers[q.id]) for q in step.questions if q.id in answers}


def answer_all(
    browser,
    check_id: int,
    answers: dict[str, Any],
    ruleset_id: str = "kassel-2030",
    alternative: bool = False,
    max_steps: int = 30,
) -> list[str]:
    """Post every step the server leads to until the review page; returns the step ids visited."""
    prefix = f"/klimachecks/{check_id}/alternative/schritt/" if alternative else f"/klimachecks/{check_id}/schritt/"
    location = browser.get(f"/klimachecks/{check_id}/weiter" + ("?alternative=1" if alternative else "")).headers[
        "Location"
    ]
    if alternative and prefix not in location:
        first = resolve_ruleset(ruleset_id).all_steps[0].id
        location = prefix + first
    visited = []
    for _ in range(max_steps):
        if location.endswith("/pruefen"):
            return visited
        assert prefix in location, location
        step_id = location.split(prefix, 1)[1].split("?")[0]
        visited.append(step_id)
        response = browser.submit(location, {**step_data(ruleset_id, step_id, answers), "action": "next"})
        assert response.status_code == 302, (step_id, browser.last_html[:3000])
        location = response.headers["Location"]
    raise AssertionError(f"wizard did not end after {max_steps} steps: {visited}")


def example(name: str, ruleset_id: str = "kassel-2030") -> dict[str, Any]:
    """An example answers file of rules/examples/ as data."""
    return yaml.safe_load((RULES / "examples" / ruleset_id / f"{name}.yaml").read_text(encoding="utf-8"))


def submit_example(browser, name: str, upload: bytes | None = None, **paper) -> int:
    """Start, answer (and assess the alternative of) an example through the wizard, then submit."""
    data = example(name)
    check_id = start(browser, upload=upload, **paper)
    answer_all(browser, check_id, data["answers"])
    if "alternative" in data:
        browser.submit(f"/klimachecks/{check_id}/alternative", {"description": data["alternative"]["description"]})
        alt = {k: v for k, v in {**data["answers"], **data["alternative"]["answers"]}.items() if v is not None}
        answer_all(browser, check_id, alt, alternative=True)
    review = browser.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert browser.post(f"/klimachecks/{check_id}/einreichen", {"version": browser.version(review)}).status_code == 302
    return check_id

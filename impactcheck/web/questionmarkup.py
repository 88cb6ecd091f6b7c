"""The markup of one wizard question, kept per process instead of rendered on every page.

A step page is mostly its questions: legend, help, example and every choice, the same for every author
on that rule set. Rendering them was the largest part of a step's time under load (bench/bench_load.py),
so the rendered block of a question is kept, keyed by everything it is made of: the rule set's SHA-256
(an edited rule file is a new key), the page's language, the question, its browser condition, whether it
starts hidden, its error and the answer it shows. Typed text and numbers are not kept (they rarely
repeat); a choice's answer is one of a few values. The template `_question.html` stays the one place of
the markup.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, get_template_attribute
from markupsafe import Markup

from impactcheck.web.templating import current_locale

CHOICE_TYPES = ("yes_no", "single_choice", "multiple_choice", "scale")
_KEPT: dict[tuple, Markup] = {}
_KEPT_MAX = 4096  # a few MB at most; when full it starts again (as the step form classes do)


def question_markup(view: Any, error: str | None) -> Markup:
    """The rendered question block of `view` (a stepform.QuestionView) with `error` (or None)."""
    # Not while templates reload on change (development): the kept markup would hide the edit.
    key = None if current_app.jinja_env.auto_reload else _key(view, error)
    if key is not None:
        kept = _KEPT.get(key)
        if kept is not None:
            return kept
    markup = Markup(_macro()(view, error))
    if key is not None:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        _KEPT[key] = markup
    return markup


def _macro():
    # Looked up once per app (not per question), unless templates reload on change (development).
    if current_app.jinja_env.auto_reload:
        return get_template_attribute("_question.html", "question_block")
    macro = current_app.extensions.get("impactcheck.question_macro")
    if macro is None:
        macro = get_template_attribute("_question.html", "question_block")
        current_app.extensions["impactcheck.question_macro"] = macro
    return macro


def _key(view: Any, error: str | None) -> tuple | None:
    sha = view.ruleset_sha256
    if not sha:  # a rule set built in memory has no fingerprint to key it by
        return None
    q, data = view.question, view.field.data
    if q.type in CHOICE_TYPES:
        # Only the question's own values: a posted value of any other length or kind is not kept.
        offered = {c.value for c in view.field.choices}
        data = tuple(data) if isinstance(data, list | tuple) else data
        if not (data is None or data in offered or (isinstance(data, tuple) and set(data) <= offered)):
            return None
    elif data not in (None, ""):
        return None
    return (sha, current_locale(), q.id, view.when, view.hidden, None if error is None else str(error), data)

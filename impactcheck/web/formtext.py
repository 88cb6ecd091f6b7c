"""WTForms' own messages ("Dieses Feld wird benötigt." …) in the page's language, each catalogue read once.

Flask-WTF would load and parse WTForms' catalogue again in every request that makes a form; it takes the
request's `wtforms_translations` when set, so a per-language cache here saves that on every page.
"""

from __future__ import annotations

import functools

from flask import Flask, request


@functools.lru_cache(maxsize=8)
def _translations(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def init_app(app: Flask) -> None:
    @app.before_request
    def _wtforms_translations() -> None:
        if request.endpoint == "static":  # no form, and no reason to look at the user for a file
            return
        from flask_babel import get_locale

        request.wtforms_translations = _translations(str(get_locale() or "de"))

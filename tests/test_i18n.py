"""Every text of the interface goes through Flask-Babel, so a translation can be added later."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support import ROOT

TEMPLATES = sorted((ROOT / "impactcheck" / "templates").glob("*.html"))


def visible_text(source: str) -> str:
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"<script.*?</script>", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return text


def test_templates_have_no_unwrapped_text():
    assert TEMPLATES
    for path in TEMPLATES:
        leftovers = [w for w in visible_text(path.read_text(encoding="utf-8")).split() if re.search(r"[^\W\d_]", w)]
        assert not leftovers, f"{path.name}: text outside _(): {leftovers[:10]}"


def test_messages_can_be_extracted(tmp_path):
    pot = tmp_path / "messages.pot"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    catalog = pot.read_text(encoding="utf-8")
    assert catalog.count("msgid ") > 150
    for text in (
        "Prüfen Sie Ihre Angaben",
        "Schritt %(n)d von %(m)d",
        "Zwischenspeichern",
        "Drucksachen-Nummer",
        "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.",
    ):
        assert f'msgid "{text}"' in catalog, text

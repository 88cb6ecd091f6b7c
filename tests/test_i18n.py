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


# --- the English catalogue ----------------------------------------------------------------------

CATALOGUE = ROOT / "impactcheck" / "translations" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\w*[^{}]*\}")


def _extract(tmp_path):
    """The messages of the current sources, extracted with the project's babel.cfg (its keywords)."""
    from babel.messages.pofile import read_po

    pot = tmp_path / "current.pot"
    proc = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with pot.open("rb") as fp:
        return read_po(fp)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_english_catalogue_is_complete(tmp_path):
    """Every message of the sources has a finished English translation with the same placeholders."""
    from babel.messages.pofile import read_po

    template = _extract(tmp_path)
    with (CATALOGUE / "messages.po").open("rb") as fp:
        english = read_po(fp, locale="en")
    untranslated, fuzzy, placeholders = [], [], []
    for message in template:
        if not message.id:
            continue
        done = english.get(message.id)
        forms = [] if done is None else ([done.string] if isinstance(done.string, str) else list(done.string))
        if not forms or not all(f.strip() for f in forms):
            untranslated.append(message.id)
            continue
        if done.fuzzy:
            fuzzy.append(message.id)
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for form in forms:
            if _placeholders(form) != _placeholders(ids[-1]) and _placeholders(form) != _placeholders(ids[0]):
                placeholders.append((message.id, form))
    assert not untranslated, f"{len(untranslated)} without English: {untranslated[:15]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:15]}"
    assert not placeholders, f"placeholders differ: {placeholders[:10]}"


def test_compiled_catalogue_is_current():
    """The committed messages.mo is exactly what compiling the committed messages.po gives."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with (CATALOGUE / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="en")
    fresh = io.BytesIO()
    write_mo(fresh, catalog)
    assert (CATALOGUE / "messages.mo").read_bytes() == fresh.getvalue(), (
        "messages.mo is outdated: pybabel compile -d impactcheck/translations"
    )


def test_plurals_are_extracted_with_both_forms(tmp_path):
    """babel.cfg's keywords keep ngettext's plural (a `-k ngettext` would extract the singular alone)."""
    template = _extract(tmp_path)
    message = template.get(("%(num)d Klimacheck", "%(num)d Klimachecks"))
    assert message is not None and message.pluralizable

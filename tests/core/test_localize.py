"""A Result in either language (issue 11, point 5): texts resolved from ids, the stored Result unchanged.

The German proof: resolving every text of a Result again from its ids gives exactly the Result the engine
stored, for every example – so nothing of it is left to the stored words, and the English rendering is
complete. The English proof: the text report, the Word section and the annex in English contain none of
the German fixed words (a word list), once the rule set's own German texts – which stay German where the
rule set has no English – and what the author typed are taken out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.examples import example_files, readings, scenario_folders
from impactcheck.core.i18n import Message, gettext_for, speaking, translated
from impactcheck.core.loader import load_ruleset
from impactcheck.core.localize import localize, resolve
from impactcheck.core.registry import resolve_ruleset
from impactcheck.core.result import result_from_dict
from impactcheck.core.textreport import render_text
from impactcheck.core.verification import Reference, verification_code
from impactcheck.word.annex import build_annex
from impactcheck.word.chart import chart_alt_text
from impactcheck.word.section import Layout, build_section
from impactcheck.word.styles import StyleSheet
from tests.support import ARCHIVE, RULES
from tests.web.old_catalogue import FIXTURES, NAMES

RULESETS = {rs: resolve_ruleset(rs, RULES) for rs in ("kassel-2030", "schnellcheck")}
FILES = [
    (rs, path)
    for rs in RULESETS
    for path in [*example_files(RULES, rs), *(p for s in scenario_folders(RULES, rs) for p in readings(s))]
]
REFERENCE = Reference(check_id="12-3", author="Erika Mustermann", date=dt.date(2026, 11, 20))

# Words of the German fixed texts (engine sentences, report, section, annex, chart), none of them English.
GERMAN = re.compile(
    r"\b(Ergebnis\w*|Begründung|Handlungsfeld\w*|Bewertung|Emissionen|Emissionsquelle|Emissionsfaktor|Jahre?|"
    r"Quelle\w*|Kennwert|Klimakosten|Regelwerk|Hinweis|nachrichtlich|gesamt|Vorlage|verworfen|Vorprüfung|"
    r"stützt|Offene|Schwelle|Methode|einmalig|vermieden|Prüfcode|Stand|bearbeitet|Anlage|Antworten?|Frage|"
    r"Beschreibung|Diagramm|Balkendiagramm|deutlich|eher|keine|nicht|Treibhausgasemissionen|"
    r"Erheblichkeitsschwelle|Einsparung|Menge|Preis|Entscheidung|Wirkung|geprüft|Ja|Nein|über|pro|Angabe|"
    r"beziffert|Nr|Schätzung|vereinfacht|detailliert|direkt|indirekt|graue|positiv|negativ|klimarelevant)\b"
)
GERMAN_DECIMAL = re.compile(r"\d,\d{1,2}(?!\d)")  # "−256,9": a German decimal comma (English: 12,842.6)


def _texts(obj: Any, out: set[str]) -> set[str]:
    """Every text of a rule set or factor table (what may stay German without an English sibling)."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            _texts(getattr(obj, name), out)
    elif isinstance(obj, dict):
        for value in obj.values():
            _texts(value, out)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _texts(value, out)
    elif isinstance(obj, str) and len(obj) > 1:
        out.add(obj)
    return out


def _own_texts(*rulesets) -> list[str]:
    found: set[str] = set()
    for rs in rulesets:
        _texts(rs, found)
        if rs.factor_table is not None:
            _texts(rs.factor_table, found)
    return sorted(found, key=len, reverse=True)  # longest first: a label inside a sentence goes with it


def _without(text: str, result, own: list[str]) -> str:
    typed = [str(v) for v in result.paper.values() if v]
    if result.alternative is not None:
        typed.append(result.alternative.description)
    typed += [str(a.value) for a in result.assessment.answers if isinstance(a.value, str)]
    for piece in sorted({*typed, *own}, key=len, reverse=True):  # longest first: no piece cut by a shorter one
        text = text.replace(piece, " ")
    return text


def _german_left(text: str) -> list[str]:
    return sorted(set(GERMAN.findall(text))) + GERMAN_DECIMAL.findall(text)


def _section_text(result) -> str:
    code = verification_code(result.to_dict(), REFERENCE.check_id)
    parts = [
        build_section(result, REFERENCE, code, Layout(StyleSheet(None), show_paper=True), None),
        build_annex(result, REFERENCE, code, Layout(StyleSheet(None))),
    ]
    words = []
    for part in parts:
        words += [t.text or "" for t in part.iter("{*}t")]
        words += [
            c.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
            for c in part.iter("{*}tblCaption")
        ]
    return "\n".join(words)


@pytest.fixture(scope="module")
def results():
    out = []
    for rs_id, path in FILES:
        try:
            out.append((RULESETS[rs_id], evaluate_submission(RULESETS[rs_id], load_submission(path)), path))
        except Exception as exc:  # pragma: no cover - the examples suite says why
            pytest.fail(f"{path}: {exc}")
    return out


def test_english_catalogue_is_there():
    assert gettext_for("en")("Bewertung nach Handlungsfeldern") == "Assessment by field of action"
    assert gettext_for("de")("Bewertung nach Handlungsfeldern") == "Bewertung nach Handlungsfeldern"


def test_resolving_again_in_german_gives_the_stored_result(results):
    """Every text of every example's Result comes back from ids and numbers, word for word."""
    assert len(results) > 100
    for rs, result, path in results:
        again = resolve(result, rs, "de")
        assert again.to_dict() == result.to_dict(), path
        assert localize(result, rs, "de") is result  # German: the stored rendering itself


def test_english_keeps_the_stored_result_and_its_code(results):
    for rs, result, path in results[:20]:
        en = localize(result, rs, "en")
        assert en.locale == "en"
        assert en.to_dict() == result.to_dict(), path  # the JSON stays the stored one
        assert verification_code(en.to_dict(), "1-1") == verification_code(result.to_dict(), "1-1")
        assert en.assessment.verdict == result.assessment.verdict
        assert [s.score for s in en.sectors] == [s.score for s in result.sectors]
        if result.verdict != "neutral":  # the same word in both languages
            assert en.assessment.verdict_label != result.assessment.verdict_label


def test_text_report_in_english_has_no_german_fixed_text(results):
    for rs, result, path in results:
        text = render_text(localize(result, rs, "en"))
        left = _german_left(_without(text, result, _own_texts(rs)))
        assert not left, f"{path}: {left}\n{text}"
    assert "Result: " in text and "Rule set: " in text


def test_word_section_and_annex_in_english_have_no_german_fixed_text(results):
    for rs, result, path in results:
        en = localize(result, rs, "en")
        text = _section_text(en) + "\n" + chart_alt_text(en)
        left = _german_left(_without(text, result, _own_texts(rs)))
        assert not left, f"{path}: {left}"
    assert "Climate check" in text


def test_german_section_is_unchanged_by_the_resolution(results):
    for rs, result, path in results[::7]:
        assert _section_text(resolve(result, rs, "de")) == _section_text(result), path


def test_rule_set_english_texts_are_used_where_they_exist(results):
    """A text with an English sibling appears in English; `localized` falls back to German otherwise."""
    rs, result, _ = next(x for x in results if x[1].assessment.answers and not x[1].assessment.screening.exited)
    sector = rs.sectors[0]
    english = getattr(sector, "label_en", None)
    en = localize(result, rs, "en")
    assert en.sectors[0].label == (english or sector.label)


@pytest.mark.parametrize("name", NAMES)
def test_old_stored_check_renders_in_english(name):
    """A Result stored under 2026.1 (German labels in its JSON): with its own rule text, and with today's
    rule set of the same id (another version: only its English texts are taken, the rest stays as stored)."""
    stored = result_from_dict(json.loads((FIXTURES / f"{name}.result.json").read_text(encoding="utf-8")))
    archived = load_ruleset(ARCHIVE / "kassel-2030.yaml")
    assert archived.sha256 == stored.ruleset.sha256
    current = RULESETS["kassel-2030"]
    for ruleset in (archived, current, None):
        en = localize(stored, ruleset, "en")
        assert en.to_dict() == stored.to_dict()
        own = _own_texts(archived, current)
        for text in (render_text(en), _section_text(en)):
            left = _german_left(_without(text, stored, own))
            assert not left, f"{name} with {getattr(ruleset, 'version', None)}: {left}\n{text}"
        assert localize(stored, ruleset, "de") == stored
        assert render_text(localize(stored, ruleset, "de")) == render_text(stored)


def test_core_messages_translate_the_pattern_then_fill_it_in():
    from impactcheck.core.errors import AnswersError
    from impactcheck.core.evaluate import evaluate

    rs = RULESETS["kassel-2030"]
    with pytest.raises(AnswersError) as caught:
        evaluate(rs, {"no_such_question": 1})
    german = caught.value.one_line()
    assert "unbekannte Frage „no_such_question“" in german
    english = caught.value.one_line("en")
    assert "unknown question “no_such_question”" in english and "unbekannt" not in english
    with speaking("en"):
        assert caught.value.one_line() == english
    assert caught.value.one_line() == german  # outside: German again
    nested = Message("Frage „{id}“: {problem}", id="x", problem=Message("„{value}“ ist keine Zahl", value="abc"))
    assert nested == "Frage „x“: „abc“ ist keine Zahl"
    assert translated(nested, "en") == "Question “x”: “abc” is not a number"
    with pytest.raises(AnswersError) as caught:
        evaluate(rs, {q: "viel" for q, question in rs.questions.items() if question.type == "number"})
    assert "is not a number" in caught.value.one_line("en")


# A value of the wrong shape for each question type of today's rule set (an answer stored when the question
# was asked differently): the words stored with the check must stay, never an error.
MISFIT = {"single_choice": ["a", "b"], "multiple_choice": 120, "scale": 7, "number": "gas", "yes_no": None}


@pytest.mark.parametrize("name", NAMES)
def test_an_old_answer_that_no_longer_fits_its_question_keeps_its_stored_words(name):
    data = json.loads((FIXTURES / f"{name}.result.json").read_text(encoding="utf-8"))
    current = RULESETS["kassel-2030"]
    changed = {}
    for answer in data["answers"]:
        question = current.questions.get(answer["id"])
        if question is not None and MISFIT.get(question.type) is not None:
            answer["value"] = MISFIT[question.type]
            changed[answer["id"]] = answer["display"]
    assert changed, "the fixture answers no question of today's rule set"
    stored = result_from_dict(data)
    en = localize(stored, current, "en")  # another version of the rule set: not the exact text
    shown = {a.id: a.display for a in en.assessment.answers}
    assert {qid: shown[qid] for qid in changed} == changed
    assert en.to_dict() == stored.to_dict()

"""English texts in rule sets and factor tables (`text_en` beside `text`), falling back to German.

The shipped catalogues carry English for every text a reader sees; adding it left their German text
byte for byte as stored checks recorded it (the files without their `_en` entries hash to the SHA-256
of the version's German text), so the version stays and every stored check stays reproducible.
"""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest
import yaml
from click.testing import CliRunner

from impactcheck.cli import cli
from impactcheck.core import model as m
from impactcheck.core.loader import _texts, load_factor_table, load_ruleset
from tests.support import RULES

# The SHA-256 of each shipped file's German text (the file without its `_en` entries), per version: the
# text checks submitted under that version were stored with. Changing a German text is a new version
# (archived under rules/archive/, README „Aufbau eines Regelwerks“); adding English is not.
GERMAN_TEXT = {
    ("kassel-2030", "2026.2"): "e9ae7e570dc3f94edf4235278386de8f04fcee449c083cb6a2d5a7f7f3eab609",
    ("schnellcheck", "2026.1"): "f90aa9197633b20dcaeebbda31cb29f7b213b5042173ca1b92e396ad81d18e81",
    ("de-2026", None): "bdc51f11aba1d33b66990a895825e859ecf2cee1b0809b5c0fb556f88b6401fc",
}


def _last_leaf(node: yaml.Node) -> yaml.Node:
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def german_only(text: str) -> str:
    """The file without its English entries: block lines `x_en: …` and inline `, x_en: "…"` removed."""
    lines = text.split("\n")
    cuts: list[tuple[int, int | None, int, int | None]] = []  # (from line, col, to line, col)

    def visit(node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            previous = None
            for key, value in node.value:
                if key.value.endswith("_en"):
                    if node.flow_style:
                        start = previous.end_mark
                        cuts.append((start.line, start.column, value.end_mark.line, value.end_mark.column))
                    else:
                        end = _last_leaf(value).end_mark
                        stop = end.line if end.column == 0 else end.line + 1
                        while stop - 1 > key.start_mark.line and not lines[stop - 1].strip():
                            stop -= 1
                        cuts.append((key.start_mark.line, None, stop, None))
                else:
                    visit(value)
                previous = value
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                visit(item)

    visit(yaml.compose(text))
    for start, col, stop, end_col in sorted(cuts, reverse=True):
        if col is None:
            del lines[start:stop]
        else:
            assert start == stop, "an inline English entry spans lines"
            lines[start] = lines[start][:col] + lines[start][end_col:]
    return "\n".join(lines)


SHIPPED = [
    (RULES / "kassel-2030.yaml", load_ruleset),
    (RULES / "schnellcheck.yaml", load_ruleset),
    (RULES / "factors" / "de-2026.yaml", load_factor_table),
]


@pytest.mark.parametrize(("path", "load"), SHIPPED, ids=lambda p: getattr(p, "name", ""))
def test_adding_english_left_the_german_text_as_stored(path, load):
    loaded = load(path)
    key = (loaded.id, getattr(loaded, "version", None))
    assert key in GERMAN_TEXT, f"{path.name}: a new version needs the SHA-256 of its German text here"
    german = german_only(path.read_text(encoding="utf-8"))
    assert "_en:" not in german
    assert hashlib.sha256(german.encode("utf-8")).hexdigest() == GERMAN_TEXT[key], (
        f"{path.name}: its German text changed – raise the version (archive the old one) and record it here"
    )


def test_german_only_reverses_block_and_inline_entries():
    text = (
        "a:\n  label: Eins\n  label_en: One\n  help: >\n    lang\n  help_en: >\n    long\n\n"
        'b: [{id: x, label: Zwei, label_en: "Two"}]\n'
    )
    assert german_only(text) == "a:\n  label: Eins\n  help: >\n    lang\n\nb: [{id: x, label: Zwei}]\n"


@pytest.mark.parametrize("name", ["kassel-2030", "schnellcheck"])
def test_every_text_of_the_shipped_rule_sets_has_english(name):
    rs = load_ruleset(RULES / f"{name}.yaml")
    texts = list(_texts(rs))
    assert len(texts) > 20
    missing = [path for path, _field, _german, english in texts if not english]
    assert missing == []
    for _path, _field, german, english in texts:
        assert not re.search(r"[äöüßÄÖÜ„]", english), english  # no German left in the English
        assert _places(german) == _places(english)


def _places(text: str) -> list[str]:
    return sorted(re.findall(r"\{[a-z_]+\}|%\([a-z_]+\)s", text))


def test_factor_labels_and_sources_shown_in_results_have_english():
    table = load_factor_table(RULES / "factors" / "de-2026.yaml")
    assert table.title_en
    assert all(f.label_en and f.source_en for f in table.factors)
    assert all(v.label_en and v.source_en for v in table.typical_values)
    co2_prices = load_ruleset(RULES / "kassel-2030.yaml").settings.co2_prices
    assert all(p.label_en and p.source_en for p in co2_prices)


def test_localized_picks_english_for_english_locales_and_falls_back_to_german():
    option = m.Option(id="gas", label="Erdgas", label_en="Natural gas", help="Hilfe")
    assert m.localized(option, "label", "en") == "Natural gas"
    assert m.localized(option, "label", "en_GB") == "Natural gas"
    assert m.localized(option, "label", "EN-us") == "Natural gas"
    assert m.localized(option, "label", "de") == "Erdgas"
    assert m.localized(option, "label", None) == "Erdgas"
    assert m.localized(option, "help", "en") == "Hilfe"  # no English: the German text
    blank = m.Option(id="gas", label="Erdgas", label_en="   ")
    assert m.localized(blank, "label", "en") == "Erdgas"


def test_answers_display_in_the_readers_language():
    rs = load_ruleset(RULES / "kassel-2030.yaml")
    heating = rs.questions["heizung_neu"]
    assert heating.display("gas", "en") == "Natural gas"
    assert heating.display("gas") == "Erdgas"
    area = rs.questions["geb_flaeche_m2"]
    assert area.display(1250.5, "en") == "1,250.5 m²"
    assert area.display(1250.5) == "1.250,5 m²"
    vehicles = next(q for q in rs.questions.values() if q.type == "number" and q.unit == "Fahrzeuge")
    assert vehicles.display(3, "en") == "3 vehicles"
    heat = rs.questions["anpassung_hitze"]
    assert heat.display(-2, "en") == "-2 (much more heat)"
    assert heat.display(-2) == "-2 (deutlich mehr Hitze)"
    assert heat.name_in("en") == "Heat" and heat.name_in("de") == "Hitze"


def test_the_exit_step_carries_its_english_texts():
    rs = load_ruleset(RULES / "kassel-2030.yaml")
    exit_step = rs.exit_step()
    assert m.localized(exit_step, "title", "en") == "Not climate-relevant – brief reason"
    reason, explanation = exit_step.questions
    assert m.localized(reason, "text", "en") == "Why is the paper not climate-relevant?"
    assert reason.display("personal", "en") == "Staff matter"
    assert m.localized(explanation, "help", "en").startswith("One sentence is enough.")
    # schnellcheck gives no help for the reason: the default words, in English too
    quick = load_ruleset(RULES / "schnellcheck.yaml").exit_step().questions[0]
    assert (quick.help, quick.help_en) == (
        "Wählen Sie den Grund, der am besten passt.",
        "Choose the reason that fits best.",
    )


# --- rules check ----------------------------------------------------------------------------------


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "schnellcheck.yaml"
    shutil.copy(RULES / "schnellcheck.yaml", target)
    return target


def _check(path):
    return CliRunner().invoke(cli, ["rules", "check", str(path)])


def test_rules_check_rejects_english_that_loses_a_placeholder(rules_copy):
    text = rules_copy.read_text(encoding="utf-8")
    text = text.replace("    label: Klimaschutz\n", "    label: Klimaschutz in {ort}\n", 1)
    text = text.replace("    label_en: Climate protection\n", "    label_en: Climate protection in {town}\n", 1)
    rules_copy.write_text(text, encoding="utf-8")
    result = _check(rules_copy)
    assert result.exit_code == 2
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "label_en: Climate protection in" in row)
    assert (
        f"{rules_copy}:{line}: „label_en“ muss dieselben Platzhalter enthalten wie „label“: {{ort}} statt {{town}}"
        in (result.output)
    )


def test_rules_check_names_missing_english_as_information_only(rules_copy):
    text = rules_copy.read_text(encoding="utf-8")
    first = next(row for row in text.splitlines() if row.strip().startswith("label_en:"))
    rules_copy.write_text(text.replace(first + "\n", "", 1), encoding="utf-8")
    result = _check(rules_copy)
    assert result.exit_code == 0, result.output
    assert f"OK  {rules_copy}" in result.output
    assert "Hinweis: 1 von 32 Texten ohne englische Fassung (zuerst Zeile " in result.output


def test_rules_check_says_once_that_a_rule_set_has_no_english(rules_copy):
    rules_copy.write_text(german_only(rules_copy.read_text(encoding="utf-8")), encoding="utf-8")
    result = _check(rules_copy)
    assert result.exit_code == 0, result.output
    assert result.output.count("Hinweis:") == 1
    assert "Hinweis: keine englischen Texte; die englische Oberfläche zeigt die deutschen Texte" in result.output


def test_an_english_text_must_be_text(rules_copy):
    text = rules_copy.read_text(encoding="utf-8")
    rules_copy.write_text(
        text.replace("    label_en: Climate protection\n", "    label_en: [Climate]\n", 1), encoding="utf-8"
    )
    result = _check(rules_copy)
    assert result.exit_code == 2
    assert "„label_en“ muss Text sein" in result.output

"""Store-level messages in English (issue 11, point 5): a climate target file that cannot be used, a backup
that cannot be made or restored. German stays as it was; English has its own numbers and no German left."""

from __future__ import annotations

import re

import pytest

from impactcheck.core.errors import InputError
from impactcheck.store import backup
from impactcheck.store import targets as t
from tests.support import RULES

LAUTERN = RULES / "kommunen" / "kaiserslautern" / "ziele" / "klimaziel.yaml"
KASSEL = RULES / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml"
GERMAN = re.compile(r"\b(?:der|die|das|und|nicht|ist|gibt|es|im|mit|bis|Pfad|Sektor|Datei)\b|[„äöüÄÖÜß]")


def refused_target(tmp_path, source, old: str, new: str) -> tuple[str, str]:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "klimaziel.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(t.TargetFileError) as refused:
        t.load_target(path, rules_dir=RULES)
    german, english = refused.value.one_line("de"), refused.value.one_line("en")
    assert german.startswith(f"{path}:") and english.startswith(f"{path}:")
    return german, english.replace(str(path), "")


def test_a_rising_residual_budget_with_english_numbers(tmp_path):
    german, english = refused_target(tmp_path, LAUTERN, "budget_t: 4000000", "budget_t: 90000000")
    assert "Der Pfad steigt: mit 90.000.000 t CO2e bis 2035" in german
    assert "The pathway rises: with 90,000,000 t CO2e up to 2035, " in english, english
    assert re.search(r"\d{1,3}(?:,\d{3})+ t would be allowed in 20\d\d, more than in the base year", english)
    assert not GERMAN.findall(english), english


def test_a_sector_mapped_twice(tmp_path):
    german, english = refused_target(
        tmp_path, KASSEL, "    rule_sectors: [food]\n", "    rule_sectors: [food, mobility]\n"
    )
    assert "schon dem Sektor „mobilitaet“ zugeordnet" in german
    assert (
        "Field of action “mobility” is already assigned to sector “mobilitaet”; each belongs to one sector" in english
    )
    assert not GERMAN.findall(english.replace("mobilitaet", "")), english


def test_backup_and_restore_refusals(tmp_path):
    with pytest.raises(InputError) as refused:
        backup.backup("sqlite:///:memory:", tmp_path / "sicherung.sqlite3")
    assert refused.value.one_line("de") == "Eine SQLite-Datenbank im Speicher lässt sich nicht sichern."
    assert refused.value.one_line("en") == "An in-memory SQLite database cannot be backed up."
    missing = tmp_path / "fehlt.sqlite3"
    with pytest.raises(InputError) as refused:
        backup.restore(f"sqlite:///{tmp_path / 'db.sqlite3'}", missing, head="0001")
    assert refused.value.one_line("de") == f"{missing}: Datei gibt es nicht"
    assert refused.value.one_line("en") == f"{missing}: file does not exist"
    not_a_backup = tmp_path / "kein.sqlite3"
    not_a_backup.write_bytes(b"Das ist keine Datenbank." * 100)
    with pytest.raises(InputError) as refused:
        backup.restore(f"sqlite:///{tmp_path / 'db.sqlite3'}", not_a_backup, head="0001")
    assert refused.value.one_line("en").startswith(f"{not_a_backup}: not a backup of impactcheck (")

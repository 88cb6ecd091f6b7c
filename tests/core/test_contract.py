"""The Result JSON keeps the shape DESIGN.md promises to other programs."""

from __future__ import annotations

import json

from impactcheck.core.answers import evaluate_submission, load_submission
from tests.support import RULES

EXAMPLE = RULES / "examples" / "kassel-2030" / "gasheizung-ersatz-kita/schaetzt.yaml"


def test_result_json_has_the_documented_fields(kassel):
    result = evaluate_submission(kassel, load_submission(EXAMPLE))
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data["ruleset"]) >= {"id", "version", "sha256"}
    assert data["verdict"] in ("not_relevant", "positive", "neutral", "negative")
    assert isinstance(data["requires_alternative"], bool)
    for sector in data["sectors"]:
        assert set(sector) >= {"id", "label", "score", "reasons"}
        assert -2 <= sector["score"] <= 2
    em = data["emissions"]
    assert set(em) >= {"t_co2e_per_year", "lifetime_years", "t_co2e_total", "method", "lines"}
    assert em["method"] in ("detailed", "simplified", "estimate")
    for line in em["lines"]:
        assert set(line) >= {"label", "quantity", "unit", "factor_id", "t_co2e_per_year"}
    assert isinstance(data["messages"], list)
    alt = data["alternative"]
    assert set(alt) >= {"description", "verdict", "sectors", "emissions"}


def test_sha256_is_the_rule_files_own(kassel):
    import hashlib

    assert kassel.sha256 == hashlib.sha256((RULES / "kassel-2030.yaml").read_bytes()).hexdigest()
    result = evaluate_submission(kassel, load_submission(EXAMPLE))
    table = RULES / "factors" / "de-2026.yaml"
    assert result.ruleset.factors == {"id": "de-2026", "sha256": hashlib.sha256(table.read_bytes()).hexdigest()}


def test_metadata_is_loaded(kassel, schnell):
    assert kassel.id == "kassel-2030"
    assert kassel.municipality == "Stadt Kassel"
    assert kassel.language == "de"
    assert str(kassel.valid_from) == "2026-12-01"
    assert kassel.settings.significance_threshold == 100
    assert {p.id for p in kassel.settings.co2_prices} == {"behg", "uba"}
    assert [s.label for s in kassel.sectors][:6] == [
        "Gebäude",
        "Mobilität",
        "Industrie und Wirtschaft",
        "Strom und Energie",
        "Ernährung",
        "Landnutzung",
    ]
    assert schnell.id == "schnellcheck"
    assert len(schnell.steps) == 1


def test_every_question_has_help_and_example(kassel, schnell):
    for rs in (kassel, schnell):
        for q in rs.questions.values():
            assert q.help.strip() and q.example.strip(), q.id


def test_result_survives_json_round_trip(kassel, schnell):
    """A stored check renders the Result it was submitted with, so JSON must carry everything."""
    from impactcheck.core.examples import example_files
    from impactcheck.core.result import result_from_dict

    for rs in (kassel, schnell):
        for path in example_files(RULES, rs.id):
            result = evaluate_submission(rs, load_submission(path))
            stored = json.loads(json.dumps(result.to_dict()))
            again = result_from_dict(stored)
            assert again.to_dict() == result.to_dict()
            assert again.verdict == result.verdict
            assert again.emissions == result.emissions
            assert (again.alternative is None) == (result.alternative is None)

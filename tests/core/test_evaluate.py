"""Semantics of evaluate(): visibility, validation, scores, emissions, verdict, alternative."""

from __future__ import annotations

import pytest

from impactcheck.core.errors import AnswersError
from impactcheck.core.evaluate import evaluate, merge_alternative, steps_for
from impactcheck.core.loader import load_ruleset
from tests.core.mini import write


@pytest.fixture
def mini(tmp_path):
    return load_ruleset(write(tmp_path))


def problems(rs, answers, **kw):
    with pytest.raises(AnswersError) as exc:
        evaluate(rs, answers, **kw)
    return [p.message for p in exc.value.problems]


def test_screening_exit_needs_reason_from_the_list(mini):
    assert any("exit_reason" in m for m in problems(mini, {"relevant": False}))
    assert any("keine der angebotenen Optionen" in m for m in problems(mini, {"relevant": False, "exit_reason": "x"}))
    # The explanation is required by default as well.
    assert any("exit_explanation" in m for m in problems(mini, {"relevant": False, "exit_reason": "formal"}))
    result = evaluate(mini, {"relevant": False, "exit_reason": "formal", "exit_explanation": "Nur ein Name."})
    assert result.verdict == "not_relevant"
    assert result.assessment.screening.reason_label == "Formal"
    assert "Nur ein Name." in result.assessment.verdict_reason
    assert not result.requires_alternative


def test_exit_hides_later_steps_and_drops_their_answers(mini):
    result = evaluate(
        mini,
        {"relevant": False, "exit_reason": "formal", "exit_explanation": "x", "heating": "gas", "gas_kwh": 5},
    )
    assert result.verdict == "not_relevant"
    dropped = [m for m in result.messages if "verworfen" in m]
    assert len(dropped) == 2
    assert all(s.score == 0 for s in result.sectors)
    assert [s.id for s in steps_for(mini, {"relevant": False})] == ["screen", "exit"]
    assert [s.id for s in steps_for(mini, {"relevant": True})] == ["screen", "build"]


def test_hidden_question_answer_is_dropped_and_reported(mini):
    result = evaluate(mini, {"relevant": True, "heating": "heat_pump", "gas_kwh": 50000})
    assert result.emissions.t_co2e_per_year is None  # the gas quantity did not count
    assert any("gas_kwh" in m and "verworfen" in m for m in result.messages)
    assert "gas_kwh" not in {a.id for a in result.assessment.answers}


@pytest.mark.parametrize(
    ("answers", "needle"),
    [
        ({"relevant": True}, "Pflichtfrage „heating“"),
        ({"relevant": "ja", "heating": "gas"}, "keine Ja/Nein-Antwort"),
        ({"relevant": True, "heating": "oil"}, "keine der angebotenen Optionen"),
        ({"relevant": True, "heating": "gas", "gas_kwh": 2_000_000}, "über dem Höchstwert"),
        ({"relevant": True, "heating": "gas", "gas_kwh": -1}, "unter dem Mindestwert"),
        ({"relevant": True, "heating": "gas", "gas_kwh": "viel"}, "keine Zahl"),
        ({"relevant": True, "heating": "gas", "gas_kwh": True}, "keine Zahl"),
        ({"relevant": True, "heating": "gas", "years": 2.5}, "keine ganze Zahl"),
        ({"relevant": True, "heating": "gas", "heat": 3}, "außerhalb der Skala"),
        ({"relevant": True, "heating": "gas", "heat": 0.5}, "kein Wert der Skala"),
        ({"relevant": True, "heating": "gas", "features": "pv"}, "Liste"),
        ({"relevant": True, "heating": "gas", "features": ["pv", "pv"]}, "doppelt"),
        ({"relevant": True, "heating": "gas", "features": ["wind"]}, "keine der angebotenen Optionen"),
        ({"relevant": True, "heating": "gas", "note": "x" * 51}, "Text zu lang"),
        ({"relevant": True, "heating": "gas", "note": 5}, "erwartet wird ein Text"),
        ({"relevant": True, "heating": "gas", "colour": "rot"}, "unbekannte Frage „colour“"),
    ],
)
def test_invalid_answers_are_named(mini, answers, needle):
    found = problems(mini, answers)
    assert any(needle in m for m in found), found


def test_all_problems_are_reported_at_once(mini):
    found = problems(mini, {"relevant": True, "heating": "oil", "colour": 1, "heat": 9})
    assert len(found) == 3


def test_scores_clamp_and_carry_reasons(mini):
    result = evaluate(mini, {"relevant": True, "heating": "heat_pump", "features": ["pv"], "note": "leise"})
    buildings = result.sectors[0]
    assert buildings.score == 2  # 1 + 2 clamped to the scale
    assert buildings.reasons == ("WP: leise", "PV")
    assert result.verdict == "positive"


def test_sector_outside_verdict_does_not_decide(mini):
    result = evaluate(mini, {"relevant": True, "heating": "heat_pump", "heat": -2})
    adaptation = result.sectors[1]
    assert adaptation.score == -2 and not adaptation.affects_verdict
    assert result.verdict == "positive"  # only buildings (+1) counts


def test_emissions_yearly_and_one_off(mini):
    result = evaluate(mini, {"relevant": True, "heating": "gas", "gas_kwh": 100_000, "concrete_t": 500, "years": 25})
    em = result.emissions
    # 100,000 kWh × 250 g = 25 t per year; 500 t concrete × 100 kg = 50 t once, over 25 years = 2 t per year.
    assert em.t_co2e_per_year == pytest.approx(27.0)
    assert em.t_co2e_total == pytest.approx(25 * 25 + 50)
    assert em.lifetime_years == 25
    assert em.method == "estimate"  # no method question in this rule set
    gas, concrete = em.lines
    assert gas.t_co2e_per_year == pytest.approx(25.0) and gas.t_co2e_once is None
    assert concrete.t_co2e_once == pytest.approx(50.0) and concrete.scope == "grey"
    assert concrete.factor_source == "Ökobaudat"
    (cost,) = em.climate_cost
    assert cost.eur_per_year == pytest.approx(27 * 55)
    assert not em.significant


def test_default_lifetime_and_threshold(mini):
    result = evaluate(mini, {"relevant": True, "heating": "gas", "gas_kwh": 500_000})
    assert result.emissions.lifetime_years == 10
    assert result.emissions.t_co2e_per_year == pytest.approx(125.0)
    assert result.emissions.significant
    assert result.verdict == "negative"
    assert result.assessment.verdict_reason == "Erheblich mehr"  # the first matching rule wins


def test_alternative_is_evaluated_with_changes_on_top(mini):
    answers = {"relevant": True, "heating": "gas", "gas_kwh": 80_000}
    result = evaluate(
        mini,
        answers,
        alternative={"description": "Wärmepumpe", "answers": {"heating": "heat_pump", "gas_kwh": None}},
    )
    assert result.verdict == "negative" and result.requires_alternative
    alt = result.alternative
    assert alt is not None and alt.description == "Wärmepumpe"
    assert alt.assessment.verdict == "positive"
    assert alt.assessment.emissions.t_co2e_per_year is None
    assert not any("Alternative muss" in m for m in result.messages)
    assert merge_alternative(answers, {"gas_kwh": None}) == {"relevant": True, "heating": "gas"}


def test_missing_alternative_is_said(mini):
    result = evaluate(mini, {"relevant": True, "heating": "gas"})
    assert result.requires_alternative and result.alternative is None
    assert any("Alternative" in m for m in result.messages)


def test_alternative_problems_are_named(mini):
    found = problems(mini, {"relevant": True, "heating": "gas"}, alternative={"answers": {"heating": "coal"}})
    assert any("Beschreibung" in m for m in found)
    assert any(m.startswith("Alternative: Frage „heating“") for m in found)


def test_numbers_from_json_and_floats_are_normalised(mini):
    # A scale answer 1.0 (JSON) is the integer 1; an integer question accepts 20.0.
    result = evaluate(mini, {"relevant": True, "heating": "heat_pump", "heat": 1.0, "years": 20.0})
    answers = {a.id: a.value for a in result.assessment.answers}
    assert answers["heat"] == 1 and isinstance(answers["heat"], int)
    assert answers["years"] == 20 and isinstance(answers["years"], int)


def test_kassel_negative_example_numbers(kassel_2026_1):
    from impactcheck.core.answers import evaluate_submission, load_submission
    from tests.support import ARCHIVE

    # The archived 2026.1 catalogue still evaluates its own examples as before.
    result = evaluate_submission(kassel_2026_1, load_submission(ARCHIVE / "examples/kassel-2030/gasheizung-kita.yaml"))
    # 95,000 kWh gas × 250 g CO2e/kWh = 23.75 t per year; over 20 years 475 t.
    assert result.emissions.t_co2e_per_year == pytest.approx(23.75)
    assert result.emissions.t_co2e_total == pytest.approx(475.0)
    behg, uba = result.emissions.climate_cost
    assert behg.eur_per_year == pytest.approx(23.75 * 55)
    assert uba.eur_total == pytest.approx(475_000)
    assert result.alternative.assessment.verdict == "positive"

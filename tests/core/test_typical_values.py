"""A check with facts only (floor area, use, heating; no kWh) gets a figure from typical values, cited."""

from __future__ import annotations

import pytest

from impactcheck.core.evaluate import evaluate
from impactcheck.core.textreport import render_text

SCREENING_NO = dict.fromkeys(
    (
        "betrifft_mobilitaet",
        "betrifft_energie",
        "betrifft_flaechen",
        "betrifft_beschaffung",
        "betrifft_ernaehrung",
        "betrifft_wirtschaft",
        "betrifft_foerderung",
        "betrifft_nachfrage",
        "betrifft_anpassung",
    ),
    False,
)


def facts_only(**facts):
    return {"entscheidung_art": "massnahme", "betrifft_gebaeude": True, **SCREENING_NO, **facts}


@pytest.mark.parametrize(
    ("use", "area", "heating"),
    [("verwaltung", 2000, "gas"), ("schule", 4500, "fernwaerme"), ("kita", 900, "waermepumpe")],
)
def test_floor_area_use_and_heating_give_a_simplified_figure_with_every_typical_value_cited(kassel, use, area, heating):
    answers = facts_only(
        geb_massnahme="neubau",
        geb_bezug="zusaetzlich",
        geb_nutzung=use,
        geb_flaeche_m2=area,
        geb_standard="geg",
        heizung_neu=heating,
        geb_pv="nein",
    )
    result = evaluate(kassel, answers)  # no kWh: only the facts above
    emissions = result.emissions
    assert emissions.method == "simplified"
    assert emissions.t_co2e_per_year > 0, "an added building uses energy and materials"
    by_typical = [line for line in emissions.lines if line.terms]
    assert by_typical, "the operating energy comes from typical values per m²"
    for line in emissions.lines:
        assert line.method == "simplified"
        assert line.quantity == area
        assert line.factor_source and line.factor_year
        for term in line.terms:  # typical values and plain multipliers (a standard against the old stock)
            assert term.source and term.year and term.value > 0, term
    text = render_text(result)
    assert "Methode: vereinfacht" in text
    for line in by_typical:
        for term in line.terms:
            assert f"{term.label}: " in text and f"({term.year}; {term.source})" in text
        assert f"Faktor {line.factor_year}, Quelle: {line.factor_source}" in text


def test_the_grid_factor_is_the_newest_federal_mix_with_upstream_chains(kassel):
    factor = kassel.factor("electricity_grid")
    assert factor.basis == "life-cycle"
    assert factor.year >= 2024
    assert "Umweltbundesamt" in factor.source


@pytest.mark.parametrize(("origin", "method"), [("detailed", "detailed"), ("estimate", "estimate")])
def test_the_authors_own_kwh_figure_keeps_the_method_the_author_names(kassel, origin, method):
    answers = {
        **facts_only(),
        "betrifft_gebaeude": False,
        "betrifft_energie": True,
        "energie_massnahmen": ["mehr_verbrauch"],
        "strom_mehr_kwh": 50_000,
        "methode": origin,
    }
    emissions = evaluate(kassel, answers).emissions
    assert emissions.method == method
    assert emissions.t_co2e_per_year == pytest.approx(50_000 * kassel.factor("electricity_grid").value / 1e6, rel=1e-3)

"""A small, complete rule set for tests that need to change one thing and see what happens."""

from __future__ import annotations

from pathlib import Path

MINI = """\
id: mini
version: "1"
title: Mini
municipality: Teststadt
valid_from: 2026-01-01
language: de
factors: mini-factors
settings:
  significance_threshold: 100
  default_lifetime_years: 10
  co2_prices:
    - {id: behg, label: BEHG, eur_per_t: 55, source: BEHG}
screening:
  exit_when: {question: relevant, equals: false}
  exit_reasons:
    - {id: formal, label: Formal}
    - {id: personal, label: Personal}
  exit_step:
    title: Ausstieg
    reason_text: Warum?
    explanation_text: Erläuterung
    explanation_help: Ein Satz.
    explanation_example: Nur ein Name.
sectors:
  - {id: buildings, label: Gebäude}
  - {id: adaptation, label: Anpassung, affects_verdict: false}
steps:
  - id: screen
    stage: screening
    title: Vorprüfung
    questions:
      - id: relevant
        type: yes_no
        text: Relevant?
        help: Hilfe
        example: Beispiel
  - id: build
    stage: sectors
    title: Gebäude
    questions:
      - id: heating
        type: single_choice
        text: Heizung?
        help: Hilfe
        example: Beispiel
        options:
          - {id: gas, label: Gas}
          - {id: heat_pump, label: Wärmepumpe}
      - id: gas_kwh
        type: number
        unit: kWh/a
        max: 1000000
        required: false
        text: Gas
        help: Hilfe
        example: Beispiel
        when: {question: heating, equals: gas}
      - id: features
        type: multiple_choice
        required: false
        text: Merkmale
        help: Hilfe
        example: Beispiel
        options:
          - {id: pv, label: PV}
          - {id: green_roof, label: Gründach}
      - id: concrete_t
        type: number
        unit: t
        max: 100000
        required: false
        text: Beton
        help: Hilfe
        example: Beispiel
      - id: heat
        type: scale
        required: false
        text: Hitze
        help: Hilfe
        example: Beispiel
      - id: note
        type: text
        required: false
        max_length: 50
        text: Notiz
        help: Hilfe
        example: Beispiel
      - id: years
        type: number
        unit: Jahre
        min: 1
        max: 100
        integer: true
        required: false
        text: Jahre
        help: Hilfe
        example: Beispiel
effects:
  - {sector: buildings, when: {question: heating, equals: gas}, score: -2, reason: Gas}
  - {sector: buildings, when: {question: heating, equals: heat_pump}, score: 1, reason: WP, reason_from: note}
  - {sector: buildings, when: {question: features, contains: pv}, score: 2, reason: PV}
  - {sector: adaptation, score_from: heat, reason: Hitze}
quantification:
  lifetime_question: years
  lines:
    - {id: gas, label: Erdgas, sector: buildings, scope: direct, quantity: gas_kwh,
       factor: gas, effect: adds, per: year}
    - {id: concrete, label: Beton, sector: buildings, scope: grey, quantity: concrete_t,
       factor: concrete, effect: adds, per: once}
verdict:
  rules:
    - verdict: negative
      when: {value: significant_increase, equals: true}
      reason: Erheblich mehr
    - verdict: negative
      when: {value: lowest_score, lte: -2}
      reason: Deutlich negativ
    - verdict: positive
      when: {value: score_sum, gt: 0}
      reason: Positiv
    - verdict: neutral
      reason: Neutral
"""

FACTORS = """\
id: mini-factors
title: Testfaktoren
factors:
  - {id: gas, label: Gas, value: 250, unit: g CO2e/kWh, basis: life-cycle, year: 2020, source: GEMIS}
  - {id: concrete, label: Beton, value: 100, unit: kg CO2e/t, basis: life-cycle, year: 2020, source: Ökobaudat}
"""


def write(tmp_path: Path, text: str = MINI, factors: str = FACTORS, name: str = "mini.yaml") -> Path:
    (tmp_path / "factors").mkdir(exist_ok=True)
    (tmp_path / "factors" / "mini-factors.yaml").write_text(factors, encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path

"""Numbers read and written per locale (core/numbers.py), and the browser reading them the same way.

One table of typed texts goes through the server's parser and through `parseNumber` of
static/conditions.js (loaded in node, without a page): the conditional questions a page shows must
depend on the number the server will store, never on another reading of the same text.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import sys

import pytest

from impactcheck.core.numbers import format_eur, format_input, format_number, format_t, parse_number
from tests.support import ROOT, require

CONDITIONS_JS = ROOT / "impactcheck" / "static" / "conditions.js"

A = "ambiguous"
K = "thousands"
N = "number"

# (locale, typed text, units of the question, what it means: a number, or why it is none)
CASES = [
    # German pages: the German forms, a point decimal where it cannot be thousands
    ("de", "95.000", (), 95000),
    ("de", "95000", (), 95000),
    ("de", "1,5", (), 1.5),
    ("de", "1.5", (), 1.5),
    ("de", "12.500,5", (), 12500.5),
    ("de", "1.250.000", (), 1250000),
    ("de", "12345.678", (), 12345.678),
    ("de", "2,0", (), 2.0),
    ("de", "0,500", (), 0.5),
    ("de", "0.346", (), 0.346),
    ("de", "-2,5", (), -2.5),
    ("de", "−2,5", (), -2.5),
    ("de", "+7", (), 7),
    ("de", "95 000", (), 95000),
    ("de", "95\u00a0000", (), 95000),
    ("de", "95\u202f000", (), 95000),
    ("de", "95.000 kWh/a", ("kWh/a",), 95000),
    ("de", "95.000 kWh", ("kWh/a",), 95000),
    ("de", "95.000 kwh pro Jahr", ("kWh/a",), 95000),
    ("de", "95.000kWh/Jahr", ("kWh/a",), 95000),
    ("de", "1,5 t", ("t",), 1.5),
    ("de", "120 m²", ("m²",), 120),
    ("de", "3 Fahrzeuge", ("Fahrzeuge", "vehicles"), 3),
    ("de", "3 vehicles", ("Fahrzeuge", "vehicles"), 3),
    # … and what a German page asks about or refuses
    ("de", "2,500", (), A),
    ("de", "-2,500", (), A),
    ("de", "1,250,000", (), K),
    ("de", "12,500.5", (), N),
    ("de", "1.234.5", (), N),
    ("de", "1e5", (), N),
    ("de", "viel", (), N),
    ("de", "95.000 kWh per year", ("kWh/a",), N),
    ("de", "٣", (), N),
    ("de", "", (), None),
    ("de", "   ", (), None),
    ("de", "kWh/a", ("kWh/a",), None),
    # English pages: the mirror image
    ("en", "95,000", (), 95000),
    ("en", "1.5", (), 1.5),
    ("en", "1,5", (), 1.5),
    ("en", "12,500.5", (), 12500.5),
    ("en", "1,250,000", (), 1250000),
    ("en", "2,500", (), 2500),
    ("en", "0.500", (), 0.5),
    ("en", "−3.5", (), -3.5),
    ("en", "95,000 kWh per year", ("kWh/a",), 95000),
    ("en", "95,000 kWh pro Jahr", ("kWh/a",), 95000),
    ("en", "95,000 kWh/a", ("kWh/a",), 95000),
    ("en", "2.500", (), A),
    ("en", "1.250.000", (), K),
    ("en", "12.500,5", (), N),
    ("en", "lots", (), N),
    # a locale written like the browser sends it
    ("en-GB", "2,500", (), 2500),
    ("de-DE", "2.500", (), 2500),
]


def _meaning(value, problem):
    return problem.kind if problem is not None else value


@pytest.mark.parametrize(("locale", "text", "units", "expected"), CASES)
def test_server_reads_each_case(locale, text, units, expected):
    value, problem = parse_number(text, units, locale=locale)
    assert _meaning(value, problem) == expected
    if isinstance(expected, int):
        assert type(value) is int  # whole numbers stay int: the stored JSON says 95000, not 95000.0
    elif isinstance(expected, float):
        assert type(value) is float


def test_ambiguous_input_names_both_readings_in_the_pages_locale():
    assert parse_number("2,500")[1].readings == ("2.500", "2,5")
    assert parse_number("2.500", locale="en")[1].readings == ("2,500", "2.5")
    assert parse_number("1,250,000")[1].readings == ("1.250.000",)
    assert parse_number("1.250.000", locale="en")[1].readings == ("1,250,000",)


def test_a_whole_number_is_asked_for_where_the_question_wants_one():
    assert parse_number("zwanzig", integer=True)[1].kind == "integer"


def _node_readings(cases: list[tuple[str, str, tuple[str, ...]]]) -> list:
    script = (
        "const {parseNumber} = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map(c => parseNumber(c[1], c[0], c[2]))));"
    )
    proc = subprocess.run(
        ["node", "-e", script, str(CONDITIONS_JS)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_browser_reads_every_case_as_the_server_does():
    require(shutil.which("node"), "node is not installed")
    # The cases of the table, and random texts of digits, separators and signs around them.
    rng = random.Random(11)
    more = ["".join(rng.choice("0123456789.,-+− ") for _ in range(rng.randint(1, 9))) for _ in range(3000)]
    cases = [(loc, text, list(units)) for loc, text, units, _ in CASES]
    cases += [(loc, text, []) for text in more for loc in ("de", "en")]
    browser = _node_readings(cases)
    for (locale, text, units), seen in zip(cases, browser, strict=True):
        value, problem = parse_number(text, tuple(units), locale=locale)
        server = None if problem is not None else value
        assert seen == server, f"{locale} {text!r}: browser {seen!r}, server {server!r}"


def test_the_script_loads_without_a_page():
    """In node there is no document: the script exports its parser and touches nothing else."""
    require(shutil.which("node"), "node is not installed")
    out = subprocess.run(
        [
            "node",
            "-e",
            "const m = require(process.argv[1]); console.log(Object.keys(m).sort().join(','))",
            str(CONDITIONS_JS),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "babelLocale,parseNumber"


# --- writing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "de", "en"),
    [
        (1234.5, None, "1.234,5", "1,234.5"),
        (1234567, None, "1.234.567", "1,234,567"),
        (95000.0, None, "95.000", "95,000"),
        (0.1234, None, "0,123", "0.123"),
        (2.5, 0, "2", "2"),  # Python's rounding, the same digits in every locale
        (23.75, 1, "23,8", "23.8"),
        (-4.25, 1, "-4,2", "-4.2"),
        (-1234.5, 2, "-1.234,50", "-1,234.50"),
        (1e16, None, "10.000.000.000.000.000", "10,000,000,000,000,000"),
        (True, None, "Ja", "Yes"),
        (False, None, "Nein", "No"),
    ],
)
def test_format_number_per_locale(value, decimals, de, en):
    assert format_number(value, decimals) == de
    assert format_number(value, decimals, locale="en") == en
    assert format_number(value, decimals, locale="en_US") == en


def test_tonnes_and_euros():
    assert format_t(1234.56) == "1.234,6 t CO2e"
    assert format_t(1234.56, "en") == "1,234.6 t CO2e"
    assert format_eur(55000.4) == "55.000 €"
    assert format_eur(55000.4, "en") == "55,000 €"
    assert format_t(None) == format_eur(None) == "–"
    assert format_number(math.inf) == "inf"
    # More digits than Decimal's default precision (28): still every digit, grouped.
    assert format_number(10**30) == "1" + ".000" * 10
    assert format_number(-(10**30), locale="en") == "-1" + ",000" * 10


@pytest.mark.parametrize("locale", ["de", "en"])
def test_what_a_form_shows_reads_back_as_the_same_number(locale):
    """A stored answer the step shows again (stepform.number_text) is saved again unchanged: never
    asked about, never misread."""
    rng = random.Random(5)
    values = [rng.randint(-(10**9), 10**9) for _ in range(500)]
    values += [round(rng.uniform(-1e6, 1e6), rng.randint(1, 3)) for _ in range(500)]
    values += [1.234, -0.5, 999.999, 12.5, 0.001]
    for v in values:
        text = format_input(v, locale=locale)
        value, problem = parse_number(text, locale=locale)
        assert problem is None, (v, text)
        assert value == pytest.approx(v, abs=5e-4), (v, text)
    assert format_input(1.234) == "1,2340"
    assert format_input(1.234, "en") == "1.2340"
    assert format_input(1234) == "1.234"
    assert format_input(1234, "en") == "1,234"


def test_importing_the_module_does_not_load_babel():
    code = "import sys, impactcheck.core.numbers; print('babel' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"

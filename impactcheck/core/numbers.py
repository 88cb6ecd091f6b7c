"""Numbers as people read and type them: German (1.234,5) by default, English (1,234.5) on request.

Babel reads numbers (`parse_decimal`); the project's own rules sit on top: how many decimals a figure
gets, which input is ambiguous and must be asked about rather than guessed, units typed after the number,
the minus sign "−". Numbers are written with the two locales' separators directly (the same as Babel's
`#,##0.###` patterns give, checked in tests/core/test_number_format.py): loading Babel's locale data costs
a process about 40 ms (a pickle, babel.dates, the local time zone), more than writing a Word section.
Babel is imported when a number is first parsed, so commands that read none do not load it.

The rules of reading, per locale (the same in `static/conditions.js`, tests/core/test_numbers.py):

- The locale's own forms: German "95.000", "1,5", "12.500,5"; English "95,000", "1.5", "12,500.5".
- The other decimal separator where it cannot be a thousands separator: German "1.5", English "1,5" → 1.5.
- The locale's decimal separator followed by exactly three digits looks like the other locale's thousands:
  German "2,500", English "2.500" are ambiguous (2500 or 2.5?) and are asked about, never guessed.
  Several such groups ("1,250,000" in German, "1.250.000" in English) can only be thousands: the message
  names the number in the locale's own form.
- Spaces (also no-break and narrow no-break spaces) are ignored; "−" (U+2212) is a minus; the question's
  unit may follow the number ("95.000 kWh/a", "95.000 kWh pro Jahr", "95,000 kWh per year").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

DEFAULT_LOCALE = "de"
LOCALES = ("de", "en")


def babel_locale(locale: str | None) -> str:
    """ "en", "en_GB", "en-US" → "en"; everything else → "de" (the two locales impactcheck speaks)."""
    return "en" if locale and locale.lower().startswith("en") else DEFAULT_LOCALE


@lru_cache(maxsize=4)
def _locale(name: str):
    from babel import Locale

    return Locale.parse(name)


def _digits(value: float | int, decimals: int | None) -> tuple[str, int | None, bool]:
    """The rounded digits (as Python rounds, so every locale shows the same figure), the places, and
    whether trailing zeros may go."""
    if decimals is None:
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
            return str(int(value)), None, False
        # Up to three decimal places, without trailing zeros.
        return f"{value:.3f}", 3, True
    return f"{value:.{decimals}f}", decimals, False


def format_number(value: float | int, decimals: int | None = None, locale: str = DEFAULT_LOCALE) -> str:
    """1234.5 -> '1.234,5' ('1,234.5' in English); integers stay without decimals; `decimals` fixes the places."""
    if isinstance(value, bool):
        if babel_locale(locale) == "en":
            return "Yes" if value else "No"
        return "Ja" if value else "Nein"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    digits, _, optional = _digits(value, decimals)
    thousands, decimal = _SEPARATORS[babel_locale(locale)]
    # What Babel's "#,##0.0…" / "#,##0.#…" patterns make of the rounded digits: groups of three, the sign
    # kept as rounded (also "-0"), optional trailing zeros dropped.
    whole, _, fraction = digits.removeprefix("-").partition(".")
    if optional:
        fraction = fraction.rstrip("0")
    grouped = f"{int(whole):,}".replace(",", thousands)
    return ("-" if digits.startswith("-") else "") + grouped + (decimal + fraction if fraction else "")


def format_input(value: float | int, locale: str = DEFAULT_LOCALE) -> str:
    """A number as an input field shows it, so that `parse_number` reads it back unchanged: 1.234 is
    written "1,2340" in German (and "1.2340" in English), since "1,234" would be asked about."""
    text = format_number(value, locale=locale)
    problem = parse_number(text, locale=locale)[1]
    return text + "0" if problem is not None and problem.kind == "ambiguous" else text


def round_t(value: float) -> float:
    """Round tonnes to kilograms: more digits would only pretend precision, and JSON stays stable."""
    if not math.isfinite(value):
        return value
    rounded = round(value, 3)
    return 0.0 if rounded == 0 else rounded


def format_t(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    if value is None:
        return "–"
    return f"{format_number(value, 1, locale)} t CO2e"


def format_eur(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    if value is None:
        return "–"
    return f"{format_number(round(value), 0, locale)} €"


# --- reading what people type ---------------------------------------------------------------------

# Per locale: the thousands separator, the decimal separator, words for "per year" after a unit.
_SEPARATORS = {"de": (".", ","), "en": (",", ".")}
_PER_YEAR = {"de": ("pro Jahr", "/Jahr", "im Jahr"), "en": ("per year", "/year", "a year", "/yr")}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_MINUS = "\u2212"


@dataclass(frozen=True)
class NumberProblem:
    """Why a text is not a number, for the caller to say in its language.

    `kind`: "ambiguous" (readings: the thousands reading and the decimal reading, formatted), "thousands"
    (readings: the one number it can be), "integer" (a whole number was expected), "number" (no number)."""

    kind: Literal["ambiguous", "thousands", "integer", "number"]
    readings: tuple[str, ...] = ()


def _shapes(thousands: str, decimal: str) -> dict[str, re.Pattern[str]]:
    t, d = re.escape(thousands), re.escape(decimal)
    ascii_digits = re.ASCII  # "٣" is no digit here, as in the browser's \d
    return {
        # The locale's own grouped form, with optional decimals: 95.000 / 12.500,5 (German).
        "grouped": re.compile(rf"[+-]?[1-9]\d{{0,2}}({t}\d{{3}})+({d}\d+)?", ascii_digits),
        # The locale's own plain form: 95000 / 1,5 (German).
        "plain": re.compile(rf"[+-]?\d+({d}\d+)?", ascii_digits),
        # The other separator once, not as the locale's thousands groups: a decimal, 1.5 (German).
        "other_decimal": re.compile(rf"[+-]?\d+{t}\d+", ascii_digits),
        # Looks like the other locale's thousands: 2,500 / 1,250,000 (German). A group never starts
        # with 0: "0,500" is a decimal, "0.346" too.
        "ambiguous": re.compile(rf"[+-]?[1-9]\d{{0,2}}({d}\d{{3}})+", ascii_digits),
    }


@lru_cache(maxsize=4)
def _shapes_for(name: str) -> dict[str, re.Pattern[str]]:
    return _shapes(*_SEPARATORS[name])


def strip_unit(text: str, units: tuple[str, ...] = (), locale: str = DEFAULT_LOCALE) -> str:
    """'250.000 kWh/a', '250.000 kWh' or '250.000 kWh pro Jahr' → '250.000' (the unit is beside the field)."""
    suffixes: set[str] = set()
    for unit in units:
        if not unit:
            continue
        base = unit.split("/")[0].strip()
        suffixes |= {unit, base, *(f"{base} {w}" if w[0] != "/" else f"{base}{w}" for w in _PER_YEAR["de"])}
        suffixes |= {f"{base} {w}" if w[0] != "/" else f"{base}{w}" for w in _PER_YEAR[babel_locale(locale)]}
    for suffix in sorted(suffixes, key=len, reverse=True):
        if suffix and text.lower().endswith(suffix.lower()):
            return text[: -len(suffix)].strip()
    return text


def parse_number(
    text: str,
    unit: str | tuple[str, ...] | None = None,
    integer: bool = False,
    locale: str = DEFAULT_LOCALE,
) -> tuple[int | float | None, NumberProblem | None]:
    """'95.000' → 95000, '1,5' → 1.5, '1.5' → 1.5, '95.000 kWh/a' → 95000 (German); (None, None) for no
    text; (None, problem) for text that is not a number or must not be guessed. `unit` may name the
    German and the English unit of the question; either may follow the number."""
    from babel.numbers import NumberFormatError, parse_decimal

    name = babel_locale(locale)
    units = (unit,) if isinstance(unit, str) else tuple(u for u in (unit or ()) if u)
    t = _SPACES.sub("", strip_unit(text.strip(), units, name)).replace(_MINUS, "-")
    if not t:
        return None, None
    decimal = _SEPARATORS[name][1]
    shapes = _shapes_for(name)
    if shapes["ambiguous"].fullmatch(t):
        whole = int(t.replace(decimal, ""))
        as_thousands = format_number(whole, locale=name)
        if t.count(decimal) == 1:
            as_decimal = format_number(float(t.replace(decimal, ".")), locale=name)
            return None, NumberProblem("ambiguous", (as_thousands, as_decimal))
        return None, NumberProblem("thousands", (as_thousands,))
    if shapes["grouped"].fullmatch(t) or shapes["plain"].fullmatch(t):
        reading, has_decimals = name, decimal in t
    elif shapes["other_decimal"].fullmatch(t):
        # Read in the locale whose decimal separator it is.
        reading, has_decimals = ("en" if name == "de" else "de"), True
    else:
        return None, NumberProblem("integer" if integer else "number")
    try:
        value = parse_decimal(t.lstrip("+"), locale=_locale(reading), strict=True)
    except NumberFormatError:  # pragma: no cover - the shapes above only let through what Babel reads
        return None, NumberProblem("integer" if integer else "number")
    if not has_decimals and value == value.to_integral_value():
        return int(value), None
    return float(value), None

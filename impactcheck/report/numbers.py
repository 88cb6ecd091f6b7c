"""Numbers in the report, the German way (1.234,5), through Babel with the locale "de".

The same digits as the web pages (core/numbers.format_number): one decimal for tonnes and shares,
none for counts; a missing figure is a dash, never 0.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

LOCALE = "de"
DASH = "–"


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    # The float's exact value (Babel would round its shortest repr, 12.95 → 13,0): the same digits as
    # the web pages (core/numbers.format_number, Python's rounding of the binary value).
    text = format_decimal(Decimal(value), format=pattern, locale=LOCALE)
    return "0" + text[2:] if text.startswith("-0") and not any(c in "123456789" for c in text) else text


def count(value: int) -> str:
    return number(value)


def tonnes(value: float | None) -> str:
    """t CO2e with one decimal ("−" for savings as Babel writes it: a hyphen-minus, like the web pages)."""
    return number(value, 1)


def signed_tonnes(value: float | None) -> str:
    """With the sign said: "+12,3" more emissions, "-4,5" savings."""
    if value is None:
        return DASH
    text = tonnes(value)
    return f"+{text}" if value > 0 and text != "0,0" else text


def percent(share: float | None) -> str:
    return DASH if share is None else f"{number(share * 100, 1)}\u00a0%"


def checks(n: int) -> str:
    """„1 Klimacheck“, „12 Klimachecks“."""
    return f"{count(n)} Klimacheck" if n == 1 else f"{count(n)} Klimachecks"

"""Numbers the German way (1.234,5) without pulling a locale library into the headless core."""

from __future__ import annotations

import math


def format_number(value: float | int, decimals: int | None = None) -> str:
    """1234.5 -> '1.234,5'; integers stay without decimals; `decimals` fixes the places."""
    if isinstance(value, bool):
        return "Ja" if value else "Nein"
    if decimals is None:
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
            text = f"{int(value):,}"
        else:
            # Up to three decimal places, without trailing zeros.
            text = f"{value:,.3f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def round_t(value: float) -> float:
    """Round tonnes to kilograms: more digits would only pretend precision, and JSON stays stable."""
    if not math.isfinite(value):
        return value
    rounded = round(value, 3)
    return 0.0 if rounded == 0 else rounded


def format_t(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{format_number(value, 1)} t CO2e"


def format_eur(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{format_number(round(value), 0)} €"

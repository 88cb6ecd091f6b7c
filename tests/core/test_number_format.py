"""`format_number` writes numbers itself (no Babel locale data to load); it must say exactly what Babel's
patterns say, for both locales, every number of places, signs, zeros, huge and tiny values."""

from __future__ import annotations

import random
from decimal import Decimal, localcontext

import pytest
from babel import Locale
from babel.numbers import parse_pattern

from impactcheck.core.numbers import _digits, format_number


def _babel(value: float | int, decimals: int | None, locale: str) -> str:
    """The former implementation: Babel's pattern applied to the same rounded digits."""
    digits, places, optional = _digits(value, decimals)
    pattern = parse_pattern("#,##0." + ("#" if optional else "0") * places if places else "#,##0")
    with localcontext() as context:
        context.prec = max(context.prec, len(digits) + 2)
        return pattern.apply(Decimal(digits), Locale.parse(locale), decimal_quantization=False)


def _values() -> list[float | int]:
    rng = random.Random(12)
    fixed = [0, 1, -1, 7, 999, 1000, -1000, 12345678, 10**30, -(10**18), 0.0, -0.0, 0.5, -0.5, 0.04, -0.04]
    fixed += [0.0005, 0.0004, 1.25, 2.5, 1234.5, -1234.5, 999.9999, 1e15, 1.5e15, 1e20, -3.75e16, 123.456789]
    fixed += [1 / 3, 2 / 3, 180000.0, 95000.0, 1e-9]
    drawn = [rng.uniform(-1, 1) * 10 ** rng.randint(-4, 17) for _ in range(1500)]
    drawn += [rng.randint(-(10**12), 10**12) for _ in range(300)]
    return fixed + drawn


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("decimals", [None, 0, 1, 2, 3])
def test_format_number_says_what_babel_says(locale, decimals):
    for value in _values():
        assert format_number(value, decimals, locale) == _babel(value, decimals, locale), (value, decimals)


def test_the_separators_and_signs_of_each_locale():
    assert format_number(1234567.891, 2) == "1.234.567,89"
    assert format_number(1234567.891, 2, "en") == "1,234,567.89"
    assert format_number(-1234.5) == "-1.234,5"
    assert format_number(1.5, 3) == "1,500"  # fixed places keep their zeros
    assert format_number(1.5) == "1,5"  # free places lose them
    assert format_number(-0.04, 1) == "-0,0"  # rounded as Python rounds, the sign kept (as Babel did)
    assert format_number(10**30) == "1" + ".000" * 10

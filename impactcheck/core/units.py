"""Just enough unit algebra to check that a quantification line multiplies out to tonnes per year.

A unit is written as in the rule files: `kWh/(m²·a)`, `Fz-km/a`, `m²`, `1`. Products use `·` (or
`*`), one `/` separates the denominator, parentheses around it are optional. Singular and plural of
a counted thing are the same unit (`Fahrzeug`, `Fahrzeuge`), and `Jahr` is `a`.
"""

from __future__ import annotations

import re
from collections import Counter

# Plural → singular, so "12 Fahrzeuge × 15.000 Fz-km/(Fahrzeug·a)" cancels.
_SAME = {
    "jahr": "a",
    "jahre": "a",
    "fahrzeuge": "fahrzeug",
    "bäume": "baum",
    "geräte": "gerät",
    "lichtpunkte": "lichtpunkt",
    "tage": "tag",
    "personen": "person",
    "stück": "stück",
    "plätze": "platz",
    "stellplätze": "stellplatz",
    "besuche": "besuch",
    "mahlzeiten": "mahlzeit",
    "essen": "mahlzeit",
}

Dims = tuple[tuple[str, int], ...]


class UnitError(ValueError):
    pass


def _tokens(part: str) -> list[str]:
    part = part.strip()
    if part.startswith("(") and part.endswith(")"):
        part = part[1:-1]
    tokens = [t.strip() for t in re.split(r"[·*]", part) if t.strip()]
    if not tokens or any(re.search(r"[()/]", t) for t in tokens):
        raise UnitError(part)
    return [t for t in tokens if t != "1"]


def dims(unit: str) -> Counter:
    """'kWh/(m²·a)' -> Counter({'kwh': 1, 'm²': -1, 'a': -1})."""
    if unit.count("/") > 1:
        raise UnitError(unit)
    num, _, den = unit.partition("/")
    out: Counter = Counter()
    for t in _tokens(num) if num.strip() != "1" else []:
        out[_norm(t)] += 1
    if den:
        for t in _tokens(den):
            out[_norm(t)] -= 1
    return out


def _norm(token: str) -> str:
    t = token.lower()
    return _SAME.get(t, t)


def combine(*units: Counter) -> Counter:
    total: Counter = Counter()
    for u in units:
        total.update(u)
    return Counter({k: v for k, v in total.items() if v})


def show(c: Counter) -> str:
    num = [k if v == 1 else f"{k}^{v}" for k, v in sorted(c.items()) if v > 0]
    den = [k if v == -1 else f"{k}^{-v}" for k, v in sorted(c.items()) if v < 0]
    text = "·".join(num) or "1"
    if den:
        text += "/" + ("(" + "·".join(den) + ")" if len(den) > 1 else den[0])
    return text


PER_YEAR = Counter({"a": -1})
ONCE: Counter = Counter()


def inverse(c: Counter) -> Counter:
    return Counter({k: -v for k, v in c.items()})

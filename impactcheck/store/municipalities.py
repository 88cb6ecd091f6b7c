"""A municipality's own settings, falling back to the installation's, and where its rule sets live.

The one place that answers "which time zone, which rule sets, which rules folder" for a
municipality: the web app (web/context.py), the CLI and the exports ask here, never the settings
directly. No Flask here.

Rule sets: the installation's rules folder (setting RULES_DIR) holds the shared rule sets, offered to
every municipality that lists them. A municipality's own rule sets live in
`RULES_DIR/kommunen/<slug>/`, laid out like RULES_DIR itself (`<id>.yaml`, `factors/`, `examples/`);
only that municipality sees them. A rule set id is looked up in the municipality's own folder first,
then in the shared one; `impactcheck rules check` refuses an own rule set that has a shared one's id,
so an id means one rule set for every check of a municipality. Stored checks keep id, version and
SHA-256 and are always resolved from their own municipality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from impactcheck.core.errors import Problem
from impactcheck.core.i18n import N_, Message

# The folder below RULES_DIR that holds one folder per municipality; beside factors/, examples/, archive/.
OWN_RULES_DIR = "kommunen"
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
NEUTRALITY_YEARS = (2000, 2100)
MAX_NAME = 200


def own_rules_dir(rules_dir: Path, slug: str) -> Path:
    """The folder of a municipality's own rule sets (it may not exist: then it has none)."""
    return Path(rules_dir) / OWN_RULES_DIR / slug


def shared_ids(rules_dir: Path) -> list[str]:
    return sorted(p.stem for p in Path(rules_dir).glob("*.yaml") if p.is_file())


def own_ids(rules_dir: Path, slug: str) -> list[str]:
    folder = own_rules_dir(rules_dir, slug)
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def available_ids(rules_dir: Path, slug: str) -> list[str]:
    """Every rule set id the municipality may offer: its own, then the shared ones."""
    own = own_ids(rules_dir, slug)
    return own + [i for i in shared_ids(rules_dir) if i not in own]


def folder_of(rules_dir: Path, slug: str | None, ruleset_id: str) -> Path:
    """The folder that holds rule set `ruleset_id` for this municipality: its own, else the shared one."""
    if slug:
        own = own_rules_dir(rules_dir, slug)
        if (own / f"{ruleset_id}.yaml").is_file():
            return own
    return Path(rules_dir)


def own_folders(rules_dir: Path) -> list[Path]:
    """Every municipality's own rules folder that exists (for `rules check`)."""
    base = Path(rules_dir) / OWN_RULES_DIR
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def timezone_of(municipality: Any, config: dict[str, Any]) -> str:
    """The municipality's time zone, else the installation's setting TIMEZONE."""
    return (getattr(municipality, "timezone", None) or config.get("TIMEZONE") or "Europe/Berlin").strip()


@cache
def _zones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def timezone_problem(value: str) -> str | None:
    if value not in _zones():
        return Message(
            N_("Zeitzone „{value}“ unbekannt; bitte eine IANA-Zeitzone wie „Europe/Berlin“ angeben."), value=value
        )
    return None


@dataclass
class MunicipalityData:
    """What a municipality is made of, as a form or the CLI gives it (rulesets: offered, default first)."""

    name: str
    timezone: str | None
    rulesets: list[str]
    neutrality_year: int | None = None
    # The council information system's OParl endpoint (System or Body URL); None: the installation's setting.
    oparl_endpoint: str | None = None


def slug_problem(slug: str) -> str | None:
    if not SLUG.fullmatch(slug or ""):
        return Message(
            N_(
                "Kürzel „{slug}“ ungültig: nur Kleinbuchstaben a–z, Ziffern und Bindestriche, "
                "höchstens 64 Zeichen, nicht mit einem Bindestrich am Anfang oder Ende."
            ),
            slug=slug,
        )
    return None


def problems(data: MunicipalityData, available: list[str]) -> list[Problem]:
    """Everything wrong with `data`, each with the field it belongs to (path[0])."""
    found: list[Problem] = []
    name = (data.name or "").strip()
    if not name:
        found.append(Problem(N_("Bitte geben Sie den Namen der Kommune an."), path=("name",)))
    elif len(name) > MAX_NAME or not name.isprintable():
        found.append(
            Problem(
                Message(N_("Der Name darf höchstens {n} Zeichen und keine Steuerzeichen haben."), n=MAX_NAME),
                path=("name",),
            )
        )
    if data.timezone is not None:
        message = timezone_problem(data.timezone)
        if message:
            found.append(Problem(message, path=("timezone",)))
    if not data.rulesets:
        found.append(Problem(N_("Bitte mindestens ein Regelwerk anbieten."), path=("rulesets",)))
    unknown = [r for r in data.rulesets if r not in available]
    if unknown:
        found.append(
            Problem(
                Message(
                    N_("Regelwerk „{id}“ unbekannt; vorhanden: {known}."),
                    id=unknown[0],
                    known=", ".join(available) or Message(N_("keine")),
                ),
                path=("rulesets",),
            )
        )
    if len(set(data.rulesets)) != len(data.rulesets):
        found.append(Problem(N_("Jedes Regelwerk nur einmal angeben."), path=("rulesets",)))
    year = data.neutrality_year
    low, high = NEUTRALITY_YEARS
    if year is not None and not low <= year <= high:
        found.append(
            Problem(
                Message(N_("Das Jahr der Klimaneutralität muss zwischen {low} und {high} liegen."), low=low, high=high),
                path=("neutrality_year",),
            )
        )
    if data.oparl_endpoint is not None:
        message = oparl_endpoint_problem(data.oparl_endpoint)
        if message:
            found.append(Problem(message, path=("oparl_endpoint",)))
    return found


MAX_URL = 2000  # the column's width


def oparl_endpoint_problem(url: str) -> str | None:
    """Why `url` cannot be an OParl endpoint (an absolute http(s) address with a host), or None."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if len(url) > MAX_URL or not url.isprintable() or " " in url:
        return Message(
            N_("Die OParl-Adresse darf höchstens {n} Zeichen und keine Leer- oder Steuerzeichen haben."), n=MAX_URL
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return N_("Die OParl-Adresse muss mit http:// oder https:// beginnen, z. B. https://ris.example.de/oparl/v1.")
    return None


class Rulesets:
    """Loaded rule sets per folder (each a core RulesetCache, reloaded when its files change), looked
    up by id as a municipality sees them. Shared by the web app and the CLI's export."""

    def __init__(self, rules_dir: Path, shared: Any = None):
        from impactcheck.core.registry import RulesetCache

        self.rules_dir = Path(rules_dir)
        self._caches: dict[Path, Any] = {self.rules_dir: shared or RulesetCache(self.rules_dir)}

    def get(self, ruleset_id: str, slug: str | None = None):
        folder = folder_of(self.rules_dir, slug, ruleset_id)
        cache = self._caches.get(folder)
        if cache is None:
            from impactcheck.core.registry import RulesetCache

            cache = self._caches.setdefault(folder, RulesetCache(folder))
        return cache.get(ruleset_id)

    def getter(self, slug: str | None):
        return lambda ruleset_id: self.get(ruleset_id, slug)


def own_folder_problems(rules_dir: Path) -> list[Problem]:
    """A municipality's folder whose name is no slug, or an own rule set with a shared one's id: either
    would make an id mean two things."""
    found: list[Problem] = []
    shared = set(shared_ids(rules_dir))
    for folder in own_folders(rules_dir):
        if slug_problem(folder.name):
            found.append(Problem(N_("Ordnername ist kein Kürzel einer Kommune (a–z, 0–9, Bindestrich)"), str(folder)))
            continue
        for ident in own_ids(rules_dir, folder.name):
            if ident in shared:
                found.append(
                    Problem(
                        Message(
                            N_(
                                "Regelwerk „{id}“ gibt es auch gemeinsam für alle Kommunen; "
                                "ein eigenes Regelwerk braucht eine eigene ID (Dateiname)"
                            ),
                            id=ident,
                        ),
                        str(folder / f"{ident}.yaml"),
                    )
                )
    return found


def timezone_of_check(s: Any, ref: str, config: dict[str, Any]) -> str:
    """The time zone of the municipality of check "12" or "12-3" (the installation's for anything else:
    the lookup of the check itself says what is wrong with `ref`)."""
    from impactcheck.store.models import Check, Municipality

    m = re.match(r"\s*(\d+)", ref)
    check = s.get(Check, int(m.group(1))) if m and len(m.group(1)) < 12 else None
    return timezone_of(s.get(Municipality, check.municipality_id) if check else None, config)

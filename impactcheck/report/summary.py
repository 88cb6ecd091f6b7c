"""The summary in plain German: sentences built from the report's figures, nothing else."""

from __future__ import annotations

from impactcheck.report.figures import ReportFigures
from impactcheck.report.numbers import checks, count, signed_tonnes, tonnes


def _verdicts(f: ReportFigures) -> dict[str | None, int]:
    return {s.key: s.count for s in f.overview.by_verdict}


def _was(n: int) -> str:
    return "war" if n == 1 else "waren"


def summary(f: ReportFigures) -> list[str]:
    o = f.overview
    y = f.year
    out = []
    if not o.submitted:
        return [f"Im Jahr {y} wurde in {f.municipality} kein Klimacheck eingereicht."]
    v = _verdicts(f)
    out.append(
        f"Im Jahr {y} wurden in {f.municipality} {checks(o.submitted)} zu Beschlussvorlagen eingereicht. "
        f"{count(o.quick_exits)} davon {_was(o.quick_exits)} nach der Vorprüfung nicht klimarelevant; von den "
        f"übrigen {count(o.relevant)} {_was(o.relevant)} {count(v.get('positive', 0))} positiv, "
        f"{count(v.get('neutral', 0))} neutral und {count(v.get('negative', 0))} negativ."
    )
    if o.negative:
        of = (
            "der einen negativ bewerteten Vorlage"
            if o.negative == 1
            else f"der {count(o.negative)} negativ bewerteten Vorlagen"
        )
        out.append(
            f"Bei {count(o.adopted_alternative)} {of} hat der Rat die klimafreundlichere Alternative beschlossen."
        )
    if o.recorded_outcomes:
        out.append(
            f"Für {checks(o.recorded_outcomes)} ist der Beschluss des Rats eingetragen; "
            f"{_papers(f.changed_by_check)} wegen des Klimachecks ganz oder teilweise geändert."
        )
    if o.t_proposed is not None:
        out.append(
            f"Die Vorlagen mit Zahlen hätten die Emissionen zusammen um {signed_tonnes(o.t_proposed)} t CO2e pro "
            "Jahr verändert (negative Werte sind Einsparungen)."
        )
    b = f.budget
    if b is not None:
        target = b.target
        year = b.year
        decided = len(b.decisions)
        if year is not None:
            out.append(
                f"Der Zielpfad ({target.title}) erlaubt {y} noch {tonnes(year.allowed_t)} t CO2e. "
                f"Die bis Ende {y} beschlossenen Vorhaben verändern die Emissionen {y} um "
                f"{signed_tonnes(year.effect_t)} t CO2e."
            )
        out.append(
            f"Im Jahr {y} hat der Rat {count(decided)} Vorhaben mit Zahlen beschlossen; über ihre Lebensdauer "
            f"verändern sie die Emissionen um {signed_tonnes(sum(d.total_t or 0.0 for d in b.decisions))} t CO2e."
            if decided
            else f"Im Jahr {y} hat der Rat kein Vorhaben mit Zahlen beschlossen."
        )
        left = b.budget.residual_left_t()
        if left is not None:
            out.append(f"Vom Restbudget bleiben nach den Beschlüssen {tonnes(left)} t CO2e.")
    open_parts = []
    if f.without_numbers:
        open_parts.append(f"{checks(len(f.without_numbers))} ohne Zahlen")
    if o.fragile:
        open_parts.append(
            "1 nicht robustes Ergebnis" if o.fragile == 1 else f"{count(o.fragile)} nicht robuste Ergebnisse"
        )
    if o.with_open_points:
        open_parts.append(f"{checks(o.with_open_points)} mit offenen Punkten („unbekannt“)")
    if open_parts:
        out.append(
            "Offen bleiben "
            + _join(open_parts)
            + "; Klimachecks ohne Zahlen zählen nicht als null, sie sind im Abschnitt „Offene Punkte“ aufgeführt."
        )
    return out


def _papers(n: int) -> str:
    """„1 Vorlage wurde“, „3 Vorlagen wurden“."""
    return "1 Vorlage wurde" if n == 1 else f"{count(n)} Vorlagen wurden"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " und " + parts[-1]

"""The Result as plain German text, for `impactcheck assess --format text`."""

from __future__ import annotations

from impactcheck.core.model import METHOD_LABELS, SCOPE_LABELS
from impactcheck.core.numbers import format_eur, format_number, format_t
from impactcheck.core.result import Assessment, Result


def _assessment_lines(a: Assessment) -> list[str]:
    out = [f"Ergebnis: {a.verdict_label.upper()}", f"Begründung: {a.verdict_reason}"]
    if a.screening.exited:
        return out
    out.append("")
    out.append("Handlungsfelder:")
    width = max(len(s.label) for s in a.sectors)
    for s in a.sectors:
        note = "" if s.affects_verdict else " (nicht urteilsrelevant)"
        out.append(f"  {s.label:<{width}}  {s.score:+d}{note}")
        for r in s.reasons:
            out.append(f"  {'':<{width}}    – {r}")
    em = a.emissions
    out.append("")
    if em.t_co2e_per_year is None:
        out.append("Emissionen: nicht quantifiziert")
    else:
        out.append(
            f"Emissionen: {format_t(em.t_co2e_per_year)} pro Jahr, {format_t(em.t_co2e_total)} über "
            f"{format_number(em.lifetime_years)} Jahre (Methode: {METHOD_LABELS.get(em.method, em.method)}; "
            f"Schwelle {format_number(em.threshold_t_co2e_per_year)} t/Jahr)"
        )
        for line in em.lines:
            amount = f"{format_number(line.quantity)} {line.unit}"
            out.append(
                f"  {line.label}: {amount} × {format_number(line.factor_value)} {line.factor_unit} "
                f"= {format_t(line.t_co2e_per_year)}/Jahr ({SCOPE_LABELS[line.scope]}; Quelle: {line.factor_source})"
            )
        for c in em.climate_cost:
            out.append(
                f"  Klimakosten {c.label}: {format_eur(c.eur_per_year)} pro Jahr, {format_eur(c.eur_total)} gesamt"
            )
    return out


def render_text(result: Result) -> str:
    r = result.ruleset
    lines = []
    if result.paper:
        ref = result.paper.get("reference", "")
        title = result.paper.get("title", "")
        lines.append(f"Vorlage {ref}: {title}".strip(": "))
    lines.append(f"Regelwerk: {r.title} ({r.id}, Version {r.version})")
    lines.append("")
    lines += _assessment_lines(result.assessment)
    if result.alternative:
        lines.append("")
        lines.append(f"Alternative: {result.alternative.description}")
        lines += ["  " + line if line else "" for line in _assessment_lines(result.alternative.assessment)]
    if result.messages:
        lines.append("")
        lines += [f"Hinweis: {m}" for m in result.messages]
    return "\n".join(lines) + "\n"

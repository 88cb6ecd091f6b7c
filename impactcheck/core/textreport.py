"""The Result as plain German text, for `impactcheck assess --format text`."""

from __future__ import annotations

from impactcheck.core.model import METHOD_LABELS, SCOPE_LABELS
from impactcheck.core.numbers import format_eur, format_number, format_t
from impactcheck.core.result import Assessment, Result
from impactcheck.core.sensitivity import sentences


def _assessment_lines(a: Assessment) -> list[str]:
    label = a.verdict_label.upper()
    if a.emissions.significant and a.verdict in ("positive", "negative"):
        label += " (erheblich)"
    out = [f"Ergebnis: {label}", f"Begründung: {a.verdict_reason}"]
    if a.screening.exited:
        return out
    if a.decision is not None:
        out.append(f"Art der Entscheidung: {a.decision.label}" + (" – Wirkung indirekt" if a.decision.indirect else ""))
    if a.basis:
        out.append("Das Ergebnis stützt sich auf: " + "; ".join(f"{b.name}: {b.display}" for b in a.basis))
    robust = sentences(a.robustness, own=False)
    if robust:
        out.append("Das Ergebnis ist nicht robust:")
        out += [f"  – {s}" for s in robust]
    elif a.robustness is not None:
        out.append(f"Robust: keine andere plausible Angabe ändert das Ergebnis ({a.robustness.tried} geprüft).")
    if a.open_points:
        out.append("Offene Punkte (unbekannt oder in dieser Vorlage nicht entschieden):")
        out += [f"  – {p.name}" for p in a.open_points]
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
            rest = (
                line.terms[1:]
                if line.method == "estimate" and line.terms and line.terms[0].unit == line.unit
                else line.terms
            )
            chain = "".join(f" × {format_number(t.value)} {t.unit}" for t in rest if t.unit != "1") + "".join(
                f" × {format_number(t.value)}" for t in rest if t.unit == "1"
            )
            note = "" if line.counts else "; nachrichtlich, nicht im Ergebnis"
            method = f"; {METHOD_LABELS[line.method]}" if line.method else ""
            out.append(
                f"  {line.label}: {amount}{chain} × {format_number(line.factor_value)} {line.factor_unit} "
                f"= {format_t(line.t_co2e_per_year)}/Jahr ({SCOPE_LABELS[line.scope]}{method}{note}; "
                f"Quelle: {line.factor_source})"
            )
            for t in line.terms:
                if t.source:
                    unit = "" if t.unit == "1" else f" {t.unit}"
                    out.append(f"      Kennwert {t.label}: {format_number(t.value)}{unit} ({t.year}; {t.source})")
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

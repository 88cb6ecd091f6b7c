"""The Result as plain text, for `impactcheck assess --format text`: German, or the Result's language
(a Result localized with `core.localize`; its fixed texts come from the catalogue)."""

from __future__ import annotations

from impactcheck.core.i18n import N_, Words
from impactcheck.core.model import METHOD_LABELS, SCOPE_LABELS
from impactcheck.core.result import Assessment, Result
from impactcheck.core.sensitivity import sentences


def _assessment_lines(a: Assessment, w: Words) -> list[str]:
    label = a.verdict_label.upper()
    if a.emissions.significant and a.verdict in ("positive", "negative"):
        label += w(N_(" (erheblich)"))
    out = [w(N_("Ergebnis: {verdict}"), verdict=label), w(N_("Begründung: {reason}"), reason=a.verdict_reason)]
    if a.screening.exited:
        return out
    if a.decision is not None:
        kind = w(N_("Art der Entscheidung: {kind}"), kind=a.decision.label)
        out.append(kind + (w(N_(" – Wirkung indirekt")) if a.decision.indirect else ""))
    if a.basis:
        basis = "; ".join(f"{b.name}: {b.display}" for b in a.basis)
        out.append(w(N_("Das Ergebnis stützt sich auf: {answers}"), answers=basis))
    robust = sentences(a.robustness, own=False, locale=w.locale)
    if robust:
        out.append(w(N_("Das Ergebnis ist nicht robust:")))
        out += [f"  – {s}" for s in robust]
    elif a.robustness is not None:
        out.append(
            w(
                N_("Robust: keine andere plausible Angabe ändert das Ergebnis ({tried} geprüft)."),
                tried=a.robustness.tried,
            )
        )
    if a.open_points:
        out.append(w(N_("Offene Punkte (unbekannt oder in dieser Vorlage nicht entschieden):")))
        out += [f"  – {p.name}" for p in a.open_points]
    out.append("")
    out.append(w(N_("Handlungsfelder:")))
    width = max(len(s.label) for s in a.sectors)
    for s in a.sectors:
        note = "" if s.affects_verdict else w(N_(" (nicht urteilsrelevant)"))
        out.append(f"  {s.label:<{width}}  {s.score:+d}{note}")
        for r in s.reasons:
            out.append(f"  {'':<{width}}    – {r}")
    em = a.emissions
    out.append("")
    if em.t_co2e_per_year is None:
        out.append(w(N_("Emissionen: nicht quantifiziert")))
    else:
        out.append(
            w(
                N_(
                    "Emissionen: {per_year} pro Jahr, {total} über {years} Jahre (Methode: {method}; "
                    "Schwelle {threshold} t/Jahr)"
                ),
                per_year=w.t(em.t_co2e_per_year),
                total=w.t(em.t_co2e_total),
                years=w.num(em.lifetime_years),
                method=w(METHOD_LABELS[em.method]) if em.method in METHOD_LABELS else em.method,
                threshold=w.num(em.threshold_t_co2e_per_year),
            )
        )
        for line in em.lines:
            amount = f"{w.num(line.quantity)} {line.unit}"
            rest = (
                line.terms[1:]
                if line.method == "estimate" and line.terms and line.terms[0].unit == line.unit
                else line.terms
            )
            chain = "".join(f" × {w.num(t.value)} {t.unit}" for t in rest if t.unit != "1") + "".join(
                f" × {w.num(t.value)}" for t in rest if t.unit == "1"
            )
            note = w(N_("; nachrichtlich, nicht im Ergebnis")) if not line.counts else ""
            method = f"; {w(METHOD_LABELS[line.method])}" if line.method else ""
            out.append(
                w(
                    N_(
                        "  {label}: {amount}{chain} × {factor} {factor_unit} = {tonnes}/Jahr "
                        "({scope}{method}{note}; Faktor {factor_year}, Quelle: {source})"
                    ),
                    label=line.label,
                    amount=amount,
                    chain=chain,
                    factor=w.num(line.factor_value),
                    factor_unit=line.factor_unit,
                    factor_year=line.factor_year,
                    tonnes=w.t(line.t_co2e_per_year),
                    scope=w(SCOPE_LABELS[line.scope]),
                    method=method,
                    note=note,
                    source=line.factor_source,
                )
            )
            for t in line.terms:
                if t.source:
                    unit = "" if t.unit == "1" else f" {t.unit}"
                    out.append(
                        w(
                            N_("      Kennwert {label}: {value}{unit} ({year}; {source})"),
                            label=t.label,
                            value=w.num(t.value),
                            unit=unit,
                            year=t.year,
                            source=t.source,
                        )
                    )
        for c in em.climate_cost:
            out.append(
                w(
                    N_("  Klimakosten {label}: {per_year} pro Jahr, {total} gesamt"),
                    label=c.label,
                    per_year=w.eur(c.eur_per_year),
                    total=w.eur(c.eur_total),
                )
            )
    return out


def render_text(result: Result) -> str:
    w = Words(result.locale)
    r = result.ruleset
    lines = []
    if result.paper:
        ref = result.paper.get("reference", "")
        title = result.paper.get("title", "")
        lines.append(w(N_("Vorlage {reference}: {title}"), reference=ref, title=title).strip(": "))
    lines.append(w(N_("Regelwerk: {title} ({id}, Version {version})"), title=r.title, id=r.id, version=r.version))
    lines.append("")
    lines += _assessment_lines(result.assessment, w)
    if result.alternative:
        lines.append("")
        lines.append(w(N_("Alternative: {description}"), description=result.alternative.description))
        lines += ["  " + line if line else "" for line in _assessment_lines(result.alternative.assessment, w)]
    if result.messages:
        lines.append("")
        lines += [w(N_("Hinweis: {message}"), message=m) for m in result.messages]
    return "\n".join(lines) + "\n"

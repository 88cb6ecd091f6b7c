"""The report's chapters, in order, from the figures (report/figures.py) into the document (report/document.py).

Every table carries the figures a chart shows, so the report reads the same printed in black and white,
read aloud, or with the charts removed.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

from impactcheck.core.model import VERDICT_LABELS
from impactcheck.report import charts
from impactcheck.report.document import Writer
from impactcheck.report.figures import ReportFigures
from impactcheck.report.numbers import DASH, count, number, percent, signed_tonnes, tonnes
from impactcheck.report.summary import summary
from impactcheck.store.current import CHANGED_LABELS, OUTCOME_LABELS

TOP = 10  # decisions with the largest effect
PATH_KINDS = {
    "yearly_percent": "jedes Jahr {percent} % der Emissionen des Basisjahres {base} weniger",
    "linear": "in gerader Linie vom Basisjahr {base} bis null im Jahr {neutral}",
    "residual_budget": "ein Restbudget von {budget} t CO2e ab {start}, verbraucht bis {neutral}",
}


def verdict_label(key: str | None) -> str:
    return VERDICT_LABELS.get(key, key) if key else "noch nicht eingereicht"


def outcome_label(key: str | None) -> str:
    return OUTCOME_LABELS.get(key, key) if key else "noch kein Beschluss eingetragen"


def changed_label(key: str | None) -> str:
    return CHANGED_LABELS.get(key, key) if key else "ohne Angabe"


def _date(value: dt.date | None) -> str:
    return f"{value:%d.%m.%Y}" if value else DASH


def title_page(w: Writer, f: ReportFigures, today: dt.date) -> None:
    w.title(f"Klimacheck-Bericht {f.year}")
    w.subtitle(f.municipality)
    w.paragraph(f"Bericht an den Rat über die Klimachecks und die Beschlüsse des Jahres {f.year}")
    if f.budget is not None:
        w.paragraph(f"Klimaziel: {f.budget.target.title}")
    w.paragraph(f"Stand: {format_date(today, format='long', locale='de')}")
    w.paragraph(
        "Erstellt mit impactcheck aus den gespeicherten Ergebnissen der Klimachecks und den eingetragenen "
        "Beschlüssen des Rats.",
        small=True,
    )
    w.page_break()


def summary_section(w: Writer, f: ReportFigures) -> None:
    w.heading("Zusammenfassung", 1)
    for sentence in summary(f):
        w.paragraph(sentence)


def _share_rows(shares, label) -> list[list[str]]:
    return [[label(s.key), count(s.count), percent(s.share)] for s in shares]


def overview_section(w: Writer, f: ReportFigures) -> None:
    o = f.overview
    w.heading(f"Klimachecks im Jahr {f.year}", 1)
    w.paragraph(
        f"Gezählt sind die im Jahr {f.year} eingereichten Klimachecks ({checks_text(o.submitted)}), "
        "wie die Übersicht der Klimaschutzstelle sie zeigt."
    )
    w.heading("Ergebnisse", 2)
    w.caption("Klimachecks nach Ergebnis")
    w.table(
        ["Ergebnis", "Anzahl", "Anteil"], _share_rows(o.by_verdict, verdict_label), widths=(3, 1, 1), numeric=(1, 2)
    )
    w.heading("Schnellausstiege und ihre Gründe", 2)
    if o.quick_exits:
        w.caption(f"Schnellausstiege nach Grund ({count(o.quick_exits)})")
        w.table(["Grund", "Anzahl", "Anteil"], _share_rows(o.exits, f.exit_label), widths=(3, 1, 1), numeric=(1, 2))
    else:
        w.paragraph("Kein Klimacheck endete in der Vorprüfung.")
    w.heading("Negative Klimachecks und Alternativen", 2)
    if o.negative:
        w.paragraph(
            f"{count(o.negative)} Klimachecks waren negativ; bei {count(o.adopted_alternative)} davon wurde die "
            "Alternative beschlossen."
        )
        w.caption("Negative Klimachecks nach Beschluss")
        w.table(
            ["Beschluss", "Anzahl", "Anteil"],
            _share_rows(o.negative_by_outcome, outcome_label),
            widths=(3, 1, 1),
            numeric=(1, 2),
        )
    else:
        w.paragraph("Kein Klimacheck war negativ.")
    w.heading("Beschlüsse des Rats", 2)
    w.caption("Beschlüsse zu den Vorlagen")
    w.table(["Beschluss", "Anzahl", "Anteil"], _share_rows(o.outcomes, outcome_label), widths=(3, 1, 1), numeric=(1, 2))
    if o.recorded_outcomes:
        w.caption("Wurde die Vorlage wegen des Klimachecks geändert?")
        w.table(
            ["Geändert", "Anzahl", "Anteil"], _share_rows(o.changed, changed_label), widths=(3, 1, 1), numeric=(1, 2)
        )
        n = f.changed_by_check
        w.paragraph(f"Wegen des Klimachecks ganz oder teilweise geändert: {count(n)} Vorlage{'' if n == 1 else 'n'}.")
    w.heading("Emissionen je Handlungsfeld", 2)
    if o.sectors:
        rows = [
            [f.sector_label(s.sector), tonnes(s.proposed), count(s.proposed_checks), tonnes(s.adopted)]
            for s in sorted(o.sectors, key=lambda s: f.sector_label(s.sector))
        ]
        w.caption("t CO2e pro Jahr je Handlungsfeld: vorgeschlagen und beschlossen (negativ: Einsparung)")
        w.table(
            ["Handlungsfeld", "vorgeschlagen", "Klimachecks", "beschlossen"],
            rows,
            widths=(3, 1.4, 1.2, 1.4),
            numeric=(1, 2, 3),
            total=["Summe", tonnes(o.t_proposed), count(o.relevant - o.without_numbers), tonnes(o.t_adopted)],
        )
    else:
        w.paragraph("Kein Klimacheck des Jahres hat Zahlen in t CO2e.")


def checks_text(n: int) -> str:
    return "1 Klimacheck" if n == 1 else f"{count(n)} Klimachecks"


def budget_section(w: Writer, f: ReportFigures) -> None:
    b = f.budget
    w.heading(f"Klimabudget {f.year}", 1)
    if b is None:
        w.paragraph("Für diese Kommune ist kein Klimaziel hinterlegt.")
        return
    t = b.target
    kind = PATH_KINDS.get(t.path_kind, t.path_kind).format(
        percent=count(t.percent_per_year or 0) if t.percent_per_year is not None else DASH,
        base=t.base_year,
        neutral=t.neutrality_year,
        budget=tonnes(t.budget_t),
        start=t.start_year or DASH,
    )
    w.paragraph(
        f"Ziel: klimaneutral im Jahr {t.neutrality_year}. Zielpfad: {kind}. Basisjahr {t.base_year} mit "
        f"{tonnes(t.base_total_t)} t CO2e. Herkunft der Basiswerte: {' '.join(t.source.split())}"
    )
    year = b.year
    if year is None:
        w.paragraph(f"Das Jahr {f.year} liegt außerhalb des Zielpfads.")
    else:
        rows = []
        for sector in b.budget.sector_ids:
            allowed = year.allowed_by_sector.get(sector)
            effect = year.effect_by_sector.get(sector, 0.0)
            share = effect / allowed if allowed else None
            rows.append(
                [
                    t.label_of(sector),
                    tonnes(t.base_t.get(sector)),
                    tonnes(allowed),
                    signed_tonnes(effect),
                    percent(share),
                ]
            )
        w.caption(f"Zielpfad und Wirkung der beschlossenen Vorhaben im Jahr {f.year}, t CO2e, je Sektor")
        total_share = year.effect_t / year.allowed_t if year.allowed_t else None
        w.table(
            ["Sektor", f"Basisjahr {t.base_year}", f"Zielpfad {f.year}", f"Wirkung {f.year}", "Anteil am Pfad"],
            rows,
            widths=(2.4, 1.5, 1.5, 1.5, 1.3),
            numeric=(1, 2, 3, 4),
            total=[
                "Summe",
                tonnes(t.base_total_t),
                tonnes(year.allowed_t),
                signed_tonnes(year.effect_t),
                percent(total_share),
            ],
        )
        w.paragraph(
            "„Wirkung“: was die bis zum Jahresende beschlossenen Vorhaben in diesem Jahr an Emissionen hinzufügen "
            "(+) oder einsparen (−), laufende Wirkungen über die Lebensdauer und graue Emissionen im Jahr, in dem "
            "sie anfallen. „Anteil am Pfad“: die Wirkung im Verhältnis zu den im Jahr zulässigen Emissionen.",
            small=True,
        )
        charts.sector_chart(w, f)
    w.heading("Zielpfad und Wirkung der Beschlüsse über die Jahre", 2)
    charts.path_chart(w, f)
    w.caption("Zielpfad und kumulierte Wirkung der beschlossenen Vorhaben, t CO2e")
    w.table(
        ["Jahr", "Zielpfad", "Wirkung im Jahr", "kumuliert", "Vorhaben ab dem Jahr"],
        [
            [
                str(y.year),
                tonnes(y.allowed_t),
                signed_tonnes(y.effect_t),
                signed_tonnes(y.cumulative_effect_t),
                count(y.decisions),
            ]
            for y in b.budget.years
        ],
        widths=(1, 1.6, 1.6, 1.6, 1.4),
        numeric=(1, 2, 3, 4),
    )
    left = b.budget.residual_left_t()
    if left is not None:
        w.paragraph(
            f"Restbudget ab {t.start_year}: {tonnes(t.residual_budget_t())} t CO2e; nach der Wirkung der "
            f"Beschlüsse bleiben {tonnes(left)} t CO2e."
        )


def movers_section(w: Writer, f: ReportFigures) -> None:
    w.heading(f"Die {TOP} Beschlüsse mit der größten Wirkung", 1)
    b = f.budget
    movers = b.movers(TOP) if b is not None else ()
    if not movers:
        w.paragraph(f"Im Jahr {f.year} hat der Rat kein Vorhaben mit Zahlen beschlossen.")
        return
    w.paragraph(
        f"Die im Jahr {f.year} beschlossenen Vorhaben mit der größten Wirkung über ihre Lebensdauer, "
        "Mehr- wie Minderemissionen, in t CO2e: pro Jahr, einmalig (graue Emissionen) und über die Lebensdauer "
        "gesamt (negativ: Einsparung).",
        keep=True,
    )
    rows = [
        [
            str(i),
            d.reference,
            d.title,
            outcome_label(d.outcome),
            str(d.effective_year),
            signed_tonnes(d.t_per_year),
            signed_tonnes(d.grey_t),
            signed_tonnes(d.total_t),
        ]
        for i, d in enumerate(movers, 1)
    ]
    w.table(
        ["Nr.", "Drucksache", "Titel", "Beschluss", "ab", "pro Jahr", "einmalig", "gesamt"],
        rows,
        widths=(0.6, 1.7, 2.5, 1.6, 0.75, 1.3, 1.3, 1.35),
        numeric=(0, 4, 5, 6, 7),
        small=True,
    )


def open_points_section(w: Writer, f: ReportFigures) -> None:
    w.heading("Offene Punkte", 1)
    o = f.overview
    missing = f.without_numbers
    w.heading(f"Klimachecks ohne Zahlen ({count(len(missing))})", 2)
    if missing:
        w.paragraph(
            "Diese klimarelevanten Klimachecks nennen keine Emissionen in t CO2e. Sie zählen in keiner Summe als "
            "null; ihre Wirkung ist offen.",
            keep=True,
        )
        w.table(
            ["Drucksache", "Titel", "Ergebnis", "Beschluss"],
            [[c.reference, c.title, verdict_label(c.verdict), outcome_label(c.outcome)] for c in missing],
            widths=(1.3, 4, 1.2, 2),
            small=True,
        )
    else:
        w.paragraph("Jeder klimarelevante Klimacheck des Jahres nennt Zahlen.")
    if f.budget is not None and f.budget.without_numbers:
        w.paragraph(
            f"Von den im Jahr {f.year} beschlossenen Vorhaben sind {count(len(f.budget.without_numbers))} ohne Zahlen; "
            "sie fehlen im Klimabudget."
        )
    w.heading(f"Nicht robuste Ergebnisse ({count(o.fragile)})", 2)
    if f.fragile:
        w.paragraph("Bei diesen Klimachecks würde eine andere plausible Angabe das Ergebnis ändern.", keep=True)
        w.table(
            ["Drucksache", "Titel", "Ergebnis", "Woran es hängt"],
            [
                [x.row.reference, x.row.title, verdict_label(x.row.verdict), " ".join(x.because) or DASH]
                for x in f.fragile
            ],
            widths=(1.2, 2.6, 1, 3.7),
            small=True,
        )
    else:
        w.paragraph("Kein Ergebnis des Jahres ist nicht robust.")
    if o.with_open_points:
        w.paragraph(
            f"{checks_text(o.with_open_points)} enthalten zusammen {count(o.open_points)} Angaben „unbekannt / wird "
            "in dieser Vorlage nicht entschieden“; sie zählen im Ergebnis als 0."
        )


def method_section(w: Writer, f: ReportFigures) -> None:
    m = f.method
    w.heading("Methode und Quellen", 1)
    w.paragraph(
        "Jede Zahl dieses Berichts stammt aus den gespeicherten Ergebnissen der Klimachecks (so, wie sie "
        "eingereicht wurden) und aus den eingetragenen Beschlüssen des Rats – nicht aus den heutigen Regeln. "
        f"Derselbe Bericht für {f.year} ergibt später dieselben Zahlen. Gezählt sind die im Jahr {f.year} "
        f"eingereichten Klimachecks; als Beschlüsse des Jahres gelten die mit einem Sitzungsdatum im Jahr {f.year}. "
        f"Beschlüsse zählen in allen Zahlen nur mit einem Sitzungsdatum bis zum 31.12.{f.year}; ein späterer "
        "Beschluss gehört in den Bericht seines Jahres. Das Klimabudget rechnet laufende Wirkungen ab dem Jahr, in "
        "dem sie wirksam werden, über ihre Lebensdauer, graue Emissionen im Jahr, in dem sie anfallen."
    )
    w.heading("Regelwerke", 2)
    if m.rulesets:
        w.table(
            ["Regelwerk", "Version", "Titel", "SHA-256", "Klimachecks"],
            [[r.id, r.version or DASH, r.title or DASH, (r.sha256 or DASH)[:16], count(r.checks)] for r in m.rulesets],
            widths=(1.5, 1, 3.2, 1.6, 1),
            numeric=(4,),
            small=True,
        )
    else:
        w.paragraph("Im Jahr wurde kein Klimacheck eingereicht; kein Regelwerk wurde verwendet.")
    w.heading("Faktortabellen", 2)
    if m.factor_tables:
        w.table(
            ["Faktortabelle", "Titel", "SHA-256", "Einträge"],
            [[t.id, t.title or DASH, t.sha256[:16], count(t.entries)] for t in m.factor_tables],
            widths=(1.5, 4, 1.6, 1),
            numeric=(3,),
            small=True,
        )
    else:
        w.paragraph("Die Ergebnisse des Jahres rechnen mit keiner Faktortabelle.")
    w.heading("Verwendete Faktoren und Kennwerte mit Quellen", 2)
    if m.factors:
        w.paragraph(
            "Die Emissionsfaktoren und Kennwerte, mit denen die gespeicherten Ergebnisse des Jahres rechnen, so wie "
            "sie sie zitieren (Wert, Einheit, Bezugsjahr, Quelle).",
            keep=True,
        )
        w.table(
            ["Faktor oder Kennwert", "Wert", "Einheit", "Jahr", "Quelle", "Ergebnisse"],
            [
                [
                    x.label,
                    number(x.value, 3).rstrip("0").rstrip(","),
                    x.unit,
                    str(x.year or DASH),
                    x.source,
                    count(x.results),
                ]
                for x in m.factors
            ],
            widths=(2.5, 0.8, 1.2, 0.75, 3.2, 0.9),
            numeric=(1, 3, 5),
            small=True,
        )
    else:
        w.paragraph("Kein Ergebnis des Jahres rechnet mit Faktoren.")
    if f.budget is not None:
        t = f.budget.target
        w.heading("Klimaziel", 2)
        w.paragraph(
            f"{t.title}, Version {t.version} (SHA-256 {t.sha256[:16]}). "
            f"Quelle der Basiswerte: {' '.join(t.source.split())}"
        )


def annex_section(w: Writer, f: ReportFigures) -> None:
    w.page_break()
    w.heading(f"Anhang: alle Klimachecks des Jahres {f.year}", 1)
    if not f.checks:
        w.paragraph("Keine.")
        return
    rows = []
    for c in f.checks:
        notes = []
        if c.fragile:
            notes.append("nicht robust")
        if c.open_points:
            notes.append(f"{c.open_points} offen")
        if c.without_numbers:
            notes.append("ohne Zahlen")
        rows.append(
            [
                c.reference,
                c.title,
                c.department,
                _date(c.submitted),
                verdict_label(c.verdict),
                tonnes(c.t_co2e_per_year),
                outcome_label(c.outcome) if c.outcome else DASH,
                changed_label(c.changed) if c.outcome else DASH,
                ", ".join(notes),
            ]
        )
    w.table(
        ["Drucksache", "Titel", "Amt", "eingereicht", "Ergebnis", "t CO2e/Jahr", "Beschluss", "geändert", "Hinweise"],
        rows,
        widths=(1.3, 2.6, 1.3, 1.3, 1.1, 0.9, 1.6, 0.9, 1.1),
        numeric=(5,),
        small=True,
    )

"""The yearly report to the council (issue 12, point 4): ~200 checks over two years made through the
operations (tests/web/reportworld.py), on SQLite and PostgreSQL. Every figure of the report is recomputed
here from the database (plain SQL and the stored Result JSON, with the target file read as YAML) and found
in the document's tables; a past year built again says the same; two municipalities never mix; the .docx
reopens in python-docx and converts in LibreOffice (pages rendered to artifacts/report-*.png); foreign
house templates from the corpus; the CLI and the download route."""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import shutil
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import docx
import pytest
import yaml
from sqlalchemy import bindparam, select, text

from impactcheck import cli
from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.core.numbers import format_number
from impactcheck.report import ReportError, build_report
from impactcheck.report.template import DEFAULT_TEMPLATE, TemplateError
from impactcheck.store import operations as ops
from impactcheck.store.models import Check, Municipality, Revision, User
from tests.support import CORPUS, ROOT, RULES, require, require_program
from tests.web import reportworld as rw
from tests.web.conftest import PASSWORD, Browser, _config

YEAR, LAST = rw.YEAR, rw.LAST
TODAY = dt.date(YEAR, 12, 1)
ARTIFACTS = ROOT / "artifacts"
ADOPTED = {"adopted": "proposal", "adopted_changed": "proposal", "adopted_alternative": "alternative"}
VERDICTS = {"negative": "negativ", "neutral": "neutral", "positive": "positiv", "not_relevant": "nicht klimarelevant"}
OUTCOMES = {
    "adopted": "beschlossen wie vorgeschlagen",
    "adopted_alternative": "mit der Alternative beschlossen",
    "adopted_changed": "geändert beschlossen",
    "rejected": "abgelehnt",
    "withdrawn": "zurückgezogen",
    "deferred": "vertagt",
    None: "noch kein Beschluss eingetragen",
}
KASSEL = ("kassel", "Stadt Kassel", 100, "KS")
KAISERSLAUTERN = ("kaiserslautern", "Stadt Kaiserslautern", 12, "KL")


@dataclass
class World:
    app: Any
    database: Any
    kind: str
    municipalities: dict[str, dict]
    reports: dict[tuple[str, int], bytes]

    def session(self):
        return self.database.session()


@pytest.fixture(scope="module")
def world(backend, tmp_path_factory):
    kind, fresh = backend
    url = fresh()
    tmp = tmp_path_factory.mktemp("report")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "i")})
    prepared = prepare(_config(url, tmp), create_admin=False)
    clock = rw.Clock()
    mp = pytest.MonkeyPatch()
    mp.setattr(ops, "utcnow", clock)
    mp.setattr(ops, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    try:
        made = {m[0]: rw.fill(prepared.database, *m, clock=clock, mp=mp) for m in (KASSEL, KAISERSLAUTERN)}
    finally:
        mp.undo()
    reports = {}
    with prepared.database.session() as s:
        for slug, year in (("kassel", YEAR), ("kassel", LAST), ("kaiserslautern", YEAR)):
            municipality = s.scalar(select(Municipality).where(Municipality.slug == slug))
            reports[(slug, year)] = build_report(s, municipality, year, rules_dir=RULES, today=TODAY)
        s.commit()
    yield World(app, prepared.database, kind, made, reports)
    app.extensions["impactcheck.db"].dispose()
    prepared.database.dispose()


# --- reading the document ---------------------------------------------------------------------------


def document(data: bytes):
    return docx.Document(io.BytesIO(data))


def tables(data: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in document(data).tables]


def table(data: bytes, *header: str) -> list[list[str]]:
    """The body rows of the (first) table whose header row starts with `header`."""
    found = [t for t in tables(data) if tuple(t[0][: len(header)]) == header]
    assert found, (header, [t[0] for t in tables(data)])
    return found[0][1:]


W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


def _text_of(node) -> str:
    return "".join(t.text or "" for t in node.iter(W_T))


def table_after(data: bytes, caption: str) -> list[list[str]]:
    """The rows of the table that follows the paragraph `caption` (header row included)."""
    body = document(data).element.body
    seen = False
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p" and _text_of(child).strip() == caption:
            seen = True
        elif tag == "tbl" and seen:
            return [[_text_of(tc) for tc in tr.iterchildren("{*}tc")] for tr in child.iterchildren("{*}tr")]
    raise AssertionError(f"no table after {caption!r}")


def full_text(data: bytes) -> str:
    d = document(data)
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def t1(value: float | None) -> str:
    """One decimal the German way (the app's own formatter, not the report's Babel)."""
    if value is None:
        return "–"
    text = format_number(value, 1)
    return "0,0" if text == "-0,0" else text


def signed(value: float) -> str:
    text = t1(value)
    return f"+{text}" if value > 0 and text != "0,0" else text


# --- the figures, recomputed from the database ------------------------------------------------------


def year_checks(world: World, slug: str, year: int) -> list[dict]:
    """The municipality's checks submitted in `year`, as rows of plain SQL."""
    with world.session() as s:
        rows = s.execute(
            text(
                "SELECT c.id, c.reference, c.verdict, c.exit_reason, c.outcome, c.outcome_date, c.outcome_changed, "
                "c.fragile, c.t_co2e_per_year, c.submitted_at, c.alternative_verdict FROM klimacheck c "
                "JOIN municipality m ON m.id = c.municipality_id WHERE m.slug = :slug AND c.deleted_at IS NULL "
                "AND c.submitted_at >= :start AND c.submitted_at < :end"
            ),
            {"slug": slug, "start": dt.datetime(year - 1, 12, 31, 23), "end": dt.datetime(year, 12, 31, 23)},
        ).mappings()
        out = [dict(r) for r in rows]
    for row in out:  # SQLite gives the date as text
        if isinstance(row["outcome_date"], str):
            row["outcome_date"] = dt.date.fromisoformat(row["outcome_date"])
    return out


def test_overview_figures_match_the_database(world):
    rows = year_checks(world, "kassel", YEAR)
    assert len(rows) == 100
    report = world.reports[("kassel", YEAR)]
    verdicts = Counter(r["verdict"] for r in rows)
    shown = {r[0]: r[1] for r in table_after(report, "Klimachecks nach Ergebnis")[1:]}
    assert shown == {VERDICTS[v]: format_number(n) for v, n in verdicts.items()} | {
        VERDICTS[v]: "0" for v in VERDICTS if v not in verdicts
    }
    rules = yaml.safe_load((RULES / "kassel-2030.yaml").read_text(encoding="utf-8"))
    exit_labels = {r["id"]: r["label"] for r in rules["screening"]["exit_reasons"]}
    exits = Counter(r["exit_reason"] for r in rows if r["verdict"] == "not_relevant")
    quick = sum(exits.values())
    assert quick and f"Schnellausstiege nach Grund ({quick})" in full_text(report)
    shown = {r[0]: r[1] for r in table_after(report, f"Schnellausstiege nach Grund ({quick})")[1:]}
    assert {k: v for k, v in shown.items() if v != "0"} == {exit_labels[k]: str(n) for k, n in exits.items()}
    end = dt.date(YEAR, 12, 31)
    outcomes = Counter(r["outcome"] if r["outcome_date"] and r["outcome_date"] <= end else None for r in rows)
    shown = {r[0]: r[1] for r in table_after(report, "Beschlüsse zu den Vorlagen")[1:]}
    assert {k: v for k, v in shown.items() if v != "0"} == {OUTCOMES[k]: str(n) for k, n in outcomes.items()}
    negative = [r for r in rows if r["verdict"] == "negative"]
    alternative = sum(1 for r in negative if r["outcome"] == "adopted_alternative")
    assert alternative, "the world must adopt some alternatives"
    assert f"bei {alternative} davon wurde die Alternative beschlossen" in full_text(report)
    changed = sum(
        1 for r in rows if r["outcome"] and r["outcome_date"] <= end and r["outcome_changed"] in ("yes", "partly")
    )
    assert f"Wegen des Klimachecks ganz oder teilweise geändert: {changed} Vorlagen." in full_text(report)
    # t CO2e per year by sector, proposed: the stored per-sector figures of the year's checks.
    with world.session() as s:
        sums = dict(
            s.execute(
                text(
                    "SELECT cs.sector, SUM(cs.t_co2e_per_year) FROM check_sector cs JOIN klimacheck c ON c.id = "
                    "cs.check_id WHERE cs.variant = 'proposal' AND cs.t_co2e_per_year IS NOT NULL AND c.id IN :ids "
                    "AND c.t_co2e_per_year IS NOT NULL GROUP BY cs.sector"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": [r["id"] for r in rows]},
            ).all()
        )
    labels = {sec["id"]: sec["label"] for sec in rules["sectors"]}
    shown = {r[0]: r[1] for r in table(report, "Handlungsfeld", "vorgeschlagen") if r[1] != "–"}
    assert shown.pop("Summe") == t1(sum(r["t_co2e_per_year"] for r in rows if r["t_co2e_per_year"] is not None))
    assert shown == {labels[k]: t1(v) for k, v in sums.items()}


def _target(slug: str) -> dict:
    return yaml.safe_load((RULES / "kommunen" / slug / "ziele" / "klimaziel.yaml").read_text(encoding="utf-8"))


def _decisions(world: World, slug: str, year: int) -> list[dict]:
    """Every adopted decision up to the end of `year` with its effect per budget sector, from the stored
    Result JSON of the filed revision (the target file's mapping read here, not through store/targets)."""
    target = _target(slug)
    sector_of = {r: sec["id"] for sec in target["sectors"] for r in sec["rule_sectors"]}
    out = []
    with world.session() as s:
        rows = s.execute(
            select(Check, Revision.result)
            .join(Municipality, Municipality.id == Check.municipality_id)
            .join(Revision, (Revision.check_id == Check.id) & (Revision.number == Check.filed_number))
            .where(
                Municipality.slug == slug,
                Check.outcome.in_(tuple(ADOPTED)),
                Check.outcome_date <= dt.date(year, 12, 31),
            )
        ).all()
        for check, result in rows:
            if check.verdict == "not_relevant":
                continue
            part = result["alternative"] if ADOPTED[check.outcome] == "alternative" else result
            emissions = part["emissions"]
            yearly, once = defaultdict(float), defaultdict(float)
            for line in emissions.get("lines") or []:
                if line.get("counts") is False:
                    continue
                sector = sector_of.get(line["sector"], "nicht_zugeordnet")
                if line["per"] == "once":
                    once[sector] += line["t_co2e_once"]
                else:
                    yearly[sector] += line["t_co2e_per_year"]
            lifetime = emissions.get("lifetime_years") or 0
            total = None
            if yearly or once:
                total = sum(yearly.values()) * lifetime + sum(once.values())
            out.append(
                {
                    "reference": check.reference,
                    "decided": check.outcome_date,
                    "effective": check.outcome_date.year,
                    "yearly": yearly,
                    "once": once,
                    "lifetime": lifetime,
                    "total": total,
                }
            )
    return out


def _effect(decisions: list[dict], year: int) -> dict[str, float]:
    effect: dict[str, float] = defaultdict(float)
    for d in decisions:
        if d["total"] is None:
            continue
        offset = year - d["effective"]
        share = max(0.0, min(1.0, d["lifetime"] - offset)) if offset >= 0 else 0.0
        for sector, t in d["yearly"].items():
            effect[sector] += t * share
        if offset == 0:
            for sector, t in d["once"].items():
                effect[sector] += t
    return effect


def test_budget_per_sector_matches_the_database(world):
    report = world.reports[("kassel", YEAR)]
    target = _target("kassel")
    decisions = _decisions(world, "kassel", YEAR)
    assert sum(1 for d in decisions if d["total"] is not None) >= 10
    effect = _effect(decisions, YEAR)
    factor = max(0.0, 1 - target["path"]["percent_per_year"] / 100 * (YEAR - target["base_year"]))
    rows = table(report, "Sektor", f"Basisjahr {target['base_year']}", f"Zielpfad {YEAR}")
    shown = {r[0]: r for r in rows}
    for sector in target["sectors"]:
        row = shown[sector["label"]]
        assert row[1] == t1(sector["base_t"])
        assert row[2] == t1(sector["base_t"] * factor)
        assert row[3] == signed(effect.get(sector["id"], 0.0)), sector["id"]
    assert shown["Summe"][3] == signed(math.fsum(effect.values()))
    # The years' table: the cumulative effect of the decisions up to the year's end.
    years = {r[0]: r for r in table(report, "Jahr", "Zielpfad", "Wirkung im Jahr")}
    cumulative = 0.0
    for year in range(target["base_year"] + 1, target["neutrality_year"] + 1):
        year_effect = math.fsum(_effect(decisions, year).values())
        cumulative += year_effect
        assert years[str(year)][2] == signed(year_effect), year
        assert years[str(year)][3] == signed(cumulative), year


def test_the_ten_largest_decisions_either_way(world):
    report = world.reports[("kassel", YEAR)]
    decided = [d for d in _decisions(world, "kassel", YEAR) if d["decided"].year == YEAR and d["total"] is not None]
    expected = sorted(decided, key=lambda d: (-abs(d["total"]), d["reference"]))[:10]
    rows = table(report, "Nr.", "Drucksache", "Titel")
    assert [r[1] for r in rows] == [d["reference"] for d in expected]
    assert [r[7] for r in rows] == [signed(d["total"]) for d in expected]
    assert any(d["total"] < 0 for d in expected)  # savings count, too


def test_annex_and_open_points_list_exactly_the_years_checks(world):
    report = world.reports[("kassel", YEAR)]
    rows = year_checks(world, "kassel", YEAR)
    annex = table(report, "Drucksache", "Titel", "Amt", "eingereicht")
    assert sorted(r[0] for r in annex) == sorted(r["reference"] for r in rows)
    by_reference = {r["reference"]: r for r in rows}
    for line in annex:
        row = by_reference[line[0]]
        assert line[4] == VERDICTS[row["verdict"]]
        assert line[5] == t1(row["t_co2e_per_year"])
    without = {r["reference"] for r in rows if r["verdict"] != "not_relevant" and r["t_co2e_per_year"] is None}
    assert without, "the world must have checks without numbers"
    assert {r[0] for r in table(report, "Drucksache", "Titel", "Ergebnis", "Beschluss")} == without
    fragile = {r["reference"] for r in rows if r["fragile"]}
    assert fragile, "the world must have fragile checks"
    shown = table(report, "Drucksache", "Titel", "Ergebnis", "Woran es hängt")
    assert {r[0] for r in shown} == fragile
    assert all("hängt an der Angabe" in r[3] for r in shown)
    assert f"Klimachecks ohne Zahlen ({len(without)})" in full_text(report)


def test_method_names_the_stored_rule_set_versions_and_factor_tables(world):
    report = world.reports[("kassel", YEAR)]
    with world.session() as s:
        used = s.execute(
            text(
                "SELECT r.ruleset_id, r.ruleset_version, r.ruleset_sha256, r.factors_sha256, COUNT(*) FROM revision r "
                "JOIN klimacheck c ON c.id = r.check_id AND r.number = c.filed_number JOIN municipality m ON "
                "m.id = c.municipality_id WHERE m.slug = 'kassel' AND c.submitted_at >= :start "
                "AND c.submitted_at < :end "
                "GROUP BY r.ruleset_id, r.ruleset_version, r.ruleset_sha256, r.factors_sha256"
            ),
            {"start": dt.datetime(YEAR - 1, 12, 31, 23), "end": dt.datetime(YEAR, 12, 31, 23)},
        ).all()
    rows = table(report, "Regelwerk", "Version", "Titel", "SHA-256")
    assert sorted((r[0], r[1], r[3], r[4]) for r in rows) == sorted(
        (i, v, sha[:16], str(n)) for i, v, sha, _f, n in used
    )
    factor_rows = table(report, "Faktortabelle", "Titel", "SHA-256")
    assert {r[2] for r in factor_rows} == {f[:16] for *_x, f, _n in used if f}
    cited = table(report, "Faktor oder Kennwert", "Wert", "Einheit")
    assert cited and all(r[4] for r in cited)  # every cited factor with its source


def test_a_past_year_built_again_says_the_same(world, tmp_path):
    """Later decisions (on a paper of that year, too) and changed rule files do not change the report of a
    past year: only the stored results and the outcomes dated up to the year's end count."""
    first = world.reports[("kassel", LAST)]
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    for path in (rules / "kassel-2030.yaml", rules / "factors" / "de-2026.yaml"):
        content = path.read_text(encoding="utf-8")
        path.write_text(content.replace("label: Gebäude", "label: Häuser").replace("source: ", "source: GEÄNDERT "))
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        author = s.scalar(select(User).where(User.username == "KS-author"))
        undecided = s.scalars(
            select(Check).where(
                Check.municipality_id == kassel.id,
                Check.outcome.is_(None),
                Check.t_co2e_per_year.is_not(None),
                Check.verdict != "not_relevant",
                Check.submitted_at < dt.datetime(LAST, 12, 1),  # a paper of the past year, decided this year
            )
        ).first()
        assert undecided is not None
        ops.record_outcome(s, author, undecided, ops.OutcomeData("adopted", dt.date(YEAR, 11, 30), "no"))
        s.flush()
        again = build_report(s, kassel, LAST, rules_dir=rules, today=TODAY)
        later = build_report(s, kassel, YEAR, rules_dir=rules, today=TODAY)
        s.rollback()
    assert full_text(again) == full_text(first)
    assert "Häuser" not in full_text(again) and "GEÄNDERT" not in full_text(again)
    assert full_text(later) != full_text(world.reports[("kassel", YEAR)])  # the new decision counts in its year


def test_two_municipalities_never_mix(world):
    kassel = world.reports[("kassel", YEAR)]
    kl = world.reports[("kaiserslautern", YEAR)]
    kassel_text, kl_text = full_text(kassel), full_text(kl)
    assert "KS-" not in kl_text and "KL-" not in kassel_text
    assert document(kassel).paragraphs[1].text == "Stadt Kassel"
    assert document(kl).paragraphs[1].text == "Stadt Kaiserslautern"
    assert "klimaneutral im Jahr 2030" in kassel_text and "klimaneutral im Jahr 2035" in kl_text
    annex = table(kl, "Drucksache", "Titel", "Amt", "eingereicht")
    assert len(annex) == len(year_checks(world, "kaiserslautern", YEAR)) == 12
    kl_years = {r[0] for r in table(kl, "Jahr", "Zielpfad")}
    kassel_years = {r[0] for r in table(kassel, "Jahr", "Zielpfad")}
    assert "2035" in kl_years and "2035" not in kassel_years
    # No figure of the other's budget: the sector tables have nothing in common but the zeros.
    zeros = {"0,0", "–", "0,0\u00a0%"}
    kassel_figures = {c for r in table(kassel, "Sektor") for c in r[1:]} - zeros
    kl_figures = {c for r in table(kl, "Sektor") for c in r[1:]} - zeros
    assert not kassel_figures & kl_figures


def test_the_document_reopens_and_converts_in_libreoffice(world, tmp_path):
    data = world.reports[("kassel", YEAR)]
    d = document(data)
    assert d.paragraphs[0].text == f"Klimacheck-Bericht {YEAR}"
    assert d.paragraphs[0].style.name == "Title"
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"][:3] == [
        "Zusammenfassung",
        f"Klimachecks im Jahr {YEAR}",
        f"Klimabudget {YEAR}",
    ]
    charts = [p for p in d.part.package.iter_parts() if str(p.partname).startswith("/word/charts/")]
    assert len(charts) == 2  # the path and the sectors, as native charts
    if world.kind != "sqlite":
        return  # the document is the same; one conversion is enough
    soffice = require_program("soffice")
    pdftoppm = require_program("pdftoppm")
    from tests.word.libreoffice import convert

    pdf = convert({"bericht.docx": data}, "pdf", tmp_path, soffice)["bericht.docx"]
    assert pdf.startswith(b"%PDF")
    (tmp_path / "bericht.pdf").write_bytes(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "4", str(tmp_path / "bericht.pdf"), str(ARTIFACTS / "report")],
        check=True,
        timeout=120,
    )
    pages = sorted(ARTIFACTS.glob("report-*.png"))
    assert len(pages) >= 4 and all(p.stat().st_size > 10_000 for p in pages)
    text_out = subprocess.run(
        ["pdftotext", str(tmp_path / "bericht.pdf"), "-"], capture_output=True, text=True, check=False
    ).stdout
    if text_out:  # pdftotext is optional; where it exists the PDF carries the report's words
        assert "Klimacheck-Bericht" in text_out and "Zielpfad" in text_out


FOREIGN = (
    "pandoc/test_command_11113.docx",  # Word in German: ids "berschrift1", "Standard", "Titel"; no grid table
    "pandoc/test_docx_german_styled_lists.docx",  # a house template: "Dok_Titel", no title style
    "pandoc/test_docx_image_vml_as_object.docx",  # Word in French: "Titre1", "Titre"
)


@pytest.mark.parametrize("name", FOREIGN)
@pytest.mark.one_backend
def test_a_foreign_house_template(world, tmp_path, name):
    require(CORPUS.is_dir(), "corpus not present")
    source = CORPUS / name
    template = docx.Document(str(source))
    heading_ids = {s.style_id for s in template.styles if s.name == "Heading 1"}
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        data = build_report(s, kassel, YEAR, template=source, rules_dir=RULES, today=TODAY)
        s.rollback()
    d = document(data)
    headings = [p for p in d.paragraphs if p.text == "Zusammenfassung"]
    assert headings and headings[0].style.style_id in heading_ids  # the template's own heading style
    # The template's body is gone, its page setup kept.
    assert d.paragraphs[0].text == f"Klimacheck-Bericht {YEAR}"
    assert d.sections[-1].page_width == template.sections[-1].page_width
    assert len(table(data, "Drucksache", "Titel", "Amt", "eingereicht")) == 100
    if name.endswith("11113.docx"):
        soffice = require_program("soffice")
        pdftoppm = require_program("pdftoppm")
        from tests.word.libreoffice import convert

        pdf = convert({"vorlage.docx": data}, "pdf", tmp_path, soffice)["vorlage.docx"]
        (tmp_path / "vorlage.pdf").write_bytes(pdf)
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(
            [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "2", str(tmp_path / "vorlage.pdf"),
             str(ARTIFACTS / "report-house-template")],
            check=True, timeout=120,
        )  # fmt: skip


@pytest.mark.one_backend
def test_a_house_template_in_the_municipalitys_folder_is_used(world, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    shutil.copy(CORPUS / FOREIGN[0], rules / "kommunen" / "kassel" / "bericht-vorlage.docx")
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        data = build_report(s, kassel, YEAR, rules_dir=rules, today=TODAY)
        s.rollback()
    heading = next(p for p in document(data).paragraphs if p.text == "Zusammenfassung")
    assert heading.style.style_id == "berschrift1"


@pytest.mark.one_backend
def test_a_word_template_dotx_is_taken_as_a_document(world, tmp_path):
    """Word saves house templates as .dotx: the same package with another content type."""
    import zipfile

    dotx = tmp_path / "haus.dotx"
    with zipfile.ZipFile(DEFAULT_TEMPLATE) as z, zipfile.ZipFile(dotx, "w") as w:
        for info in z.infolist():
            content = z.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"document.main+xml", b"template.main+xml")
            w.writestr(info, content)
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        data = build_report(s, kassel, YEAR, template=dotx, rules_dir=RULES, today=TODAY)
        s.rollback()
    assert document(data).paragraphs[0].text == f"Klimacheck-Bericht {YEAR}"


def test_bad_templates_and_missing_targets_are_refused(world, tmp_path):
    broken = tmp_path / "kaputt.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        with pytest.raises(TemplateError) as refused:
            build_report(s, kassel, YEAR, template=broken, rules_dir=RULES)
        assert "kaputt.docx" in refused.value.one_line()
        default = s.scalar(select(Municipality).where(Municipality.slug == "default"))
        with pytest.raises(ReportError) as missing:
            build_report(s, default, YEAR, rules_dir=RULES)
        assert "kein Klimaziel" in missing.value.one_line()
        s.rollback()
    assert DEFAULT_TEMPLATE.is_file()  # shipped in the package


# --- the command line and the download ---------------------------------------------------------------


@pytest.fixture
def run(world, monkeypatch, capsys, tmp_path):
    for key in list(os.environ):
        if key.startswith("IMPACTCHECK_") and key not in ("IMPACTCHECK_TEST_POSTGRES_URL", "IMPACTCHECK_STRICT"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("IMPACTCHECK_DATABASE_URL", str(world.database.engine.url.render_as_string(hide_password=False)))

    def invoke(*args) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return invoke


def test_cli_writes_the_report(run, world, tmp_path):
    out = tmp_path / "bericht.docx"
    code, stdout, stderr = run("report", "--year", LAST, "--municipality", "kassel", "-o", out)
    assert (code, stderr) == (0, ""), stderr
    assert f"Klimacheck-Bericht {LAST} für Stadt Kassel" in stdout
    assert table(out.read_bytes(), "Sektor")[:-1] == table(world.reports[("kassel", LAST)], "Sektor")[:-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--year", YEAR, "--municipality", "nirgendwo"), "Kommune „nirgendwo“ gibt es nicht"),
        (("--year", YEAR, "--municipality", "default"), "kein Klimaziel"),
        (("--year", YEAR, "--municipality", "kassel", "--vorlage", "/nicht/da.docx"), "gibt es nicht"),
        (("--year", 1850, "--municipality", "kassel"), "kein Berichtsjahr"),
        (("--year", YEAR, "--municipality", "kassel", "-o", "/nicht/da/bericht.docx"), "existiert nicht"),
        (("--municipality", "kassel"), "--year"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(run, tmp_path, args, message):
    output = () if "-o" in args else ("-o", tmp_path / "b.docx")
    code, _out, err = run("report", *args, *output)
    assert code == 2
    assert err.count("\n") == 1 and message in err, err


def test_cli_broken_template_exits_2(run, tmp_path):
    broken = tmp_path / "vorlage.docx"
    broken.write_bytes(b"kein Word")
    code, _out, err = run(
        "report", "--year", YEAR, "--municipality", "kassel", "--vorlage", broken, "-o", tmp_path / "b.docx"
    )
    assert code == 2 and err.count("\n") == 1 and "vorlage.docx" in err, err
    assert not (tmp_path / "b.docx").exists()


def test_cli_bad_target_file_exits_2_with_file_and_line(run, monkeypatch, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    target = rules / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("base_year: 2019\n", ""), encoding="utf-8")
    monkeypatch.setenv("IMPACTCHECK_RULES_DIR", str(rules))
    code, _out, err = run("report", "--year", YEAR, "--municipality", "kassel", "-o", tmp_path / "b.docx")
    assert code == 2 and err.count("\n") == 1, err
    assert "klimaziel.yaml" in err and not (tmp_path / "b.docx").exists()


def test_download_for_the_budget_pages_readers(world):
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        for role in ("council", "author"):
            ops.create_user(s, None, municipality=kassel, username=f"dl-{role}", password=PASSWORD, role=role)
        s.commit()
    council = Browser(world.app.test_client())
    council.login("dl-council")
    response = council.get(f"/klimabudget/bericht/{YEAR}.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert f"Klimacheck-Bericht-{YEAR}-kassel.docx" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert table(data, "Sektor") == table(world.reports[("kassel", YEAR)], "Sektor")
    author = Browser(world.app.test_client())
    author.login("dl-author")
    assert author.get(f"/klimabudget/bericht/{YEAR}.docx").status_code == 403
    assert council.get("/klimabudget/bericht/1850.docx").status_code == 404


@pytest.mark.one_backend
def test_download_with_a_broken_house_template_says_so(world, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "kommunen" / "kassel" / "bericht-vorlage.docx").write_bytes(b"kein Word")
    with world.session() as s:
        kassel = s.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        ops.create_user(s, None, municipality=kassel, username="tpl-climate", password=PASSWORD, role="climate")
        s.commit()
    previous = world.app.config["RULES_DIR"]
    world.app.config["RULES_DIR"] = str(rules)
    try:
        climate = Browser(world.app.test_client())
        climate.login("tpl-climate")
        response = climate.get(f"/klimabudget/bericht/{YEAR}.docx")
    finally:
        world.app.config["RULES_DIR"] = previous
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Bericht nicht möglich" in page and "bericht-vorlage.docx" in page

"""The climate budget page (/klimabudget): the municipality's target path and what the council's
decisions add to it or take from it, per year and per sector, with the decisions that move it most.

The figures come from store/budget.py (stored results and recorded outcomes only); the target from the
municipality's file (store/targets.py). Charts are inline SVG (web/svgchart.py, as on the overview),
each with the same figures in a table beside it. Who may see it: store/permissions.may_see_budget.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from impactcheck.core.numbers import format_number
from impactcheck.store import budget as budgets
from impactcheck.store import permissions
from impactcheck.store import targets as t
from impactcheck.web import svgchart
from impactcheck.web.context import commit, db, municipality_timezone
from impactcheck.web.overview import _today

bp = Blueprint("budget", __name__)

MOVERS = 10
LISTED_WITHOUT_NUMBERS = 50  # more are counted, not listed (the register lists them all)
REPORT_ENDPOINT = "report.download"  # added by the yearly report; the link shows once it exists


def tonnes(value: float | None) -> str:
    return "–" if value is None else format_number(round(value), 0)


def signed(value: float | None) -> str:
    """An effect with its sign: "+1.234" more emissions, "−567" fewer."""
    if value is None:
        return "–"
    rounded = round(value)
    if rounded == 0:
        return "0" if abs(value) < 0.5 else format_number(value, 1)
    return ("+" if rounded > 0 else "−") + format_number(abs(rounded), 0)


def pct(part: float, whole: float) -> str:
    if not whole:
        return "–"
    return f"{format_number(part / whole * 100, 2)}\u00a0%".replace("-", "−")


def _rules_dir() -> Path:
    return Path(current_app.config["RULES_DIR"])


def _path_text(target: t.ClimateTarget) -> str:
    if target.path_kind == "yearly_percent":
        return _(
            "Jedes Jahr %(p)s %% der Emissionen von %(base)d weniger; klimaneutral %(year)d.",
            p=format_number(target.percent_per_year or 0),
            base=target.base_year,
            year=target.neutrality_year,
        )
    if target.path_kind == "linear":
        return _(
            "Auf einer Geraden von den Emissionen des Jahres %(base)d bis null im Jahr %(year)d.",
            base=target.base_year,
            year=target.neutrality_year,
        )
    return _(
        "Restbudget von %(budget)s t CO2e ab %(start)d, auf einer fallenden Geraden bis zur Klimaneutralität %(year)d.",
        budget=tonnes(target.budget_t),
        start=target.start_year or target.base_year + 1,
        year=target.neutrality_year,
    )


def _charts(result: budgets.Budget, labels: dict[str, str]) -> dict[str, Markup]:
    years = result.years
    sectors = result.sector_ids
    totals = {s: sum(y.effect_by_sector.get(s, 0.0) for y in years) for s in sectors}
    return {
        "path": svgchart.bar_chart(
            "kb-path",
            _("Zielpfad: erlaubte Emissionen je Jahr"),
            [svgchart.Bar(str(y.year), (y.allowed_t,)) for y in years],
            description=_("t CO2e je Jahr nach dem Klimaziel."),
            fmt=tonnes,
            axis_label=_("t CO2e pro Jahr"),
        ),
        "effect": svgchart.bar_chart(
            "kb-effect",
            _("Wirkung der Beschlüsse je Jahr und aufsummiert"),
            [svgchart.Bar(str(y.year), (y.effect_t, y.cumulative_effect_t)) for y in years],
            series=(svgchart.Series(_("im Jahr")), svgchart.Series(_("aufsummiert"), hatched=True)),
            description=_("Positive Werte: mehr Emissionen, negative: Einsparungen."),
            fmt=signed,
            axis_label=_("t CO2e"),
        )
        if result.decisions
        else Markup(""),
        "sectors": svgchart.bar_chart(
            "kb-sectors",
            _("Wirkung der Beschlüsse je Sektor, alle Jahre zusammen"),
            [svgchart.Bar(labels[s], (totals[s],)) for s in sectors],
            description=_("Positive Werte: mehr Emissionen, negative: Einsparungen."),
            fmt=signed,
            axis_label=_("t CO2e"),
        )
        if result.decisions
        else Markup(""),
    }


@bp.get("/klimabudget")
@login_required
def index():
    if not permissions.may_see_budget(current_user):
        abort(403)
    municipality = current_user.municipality
    rules_dir = _rules_dir()
    today = _today(municipality_timezone())
    file = t.target_file(municipality.slug, rules_dir)
    shown_file = _shown(file, rules_dir)
    try:
        target = t.target_of(municipality.slug, rules_dir)
    except t.TargetFileError as exc:
        problems = [_shown_problem(p, rules_dir) for p in exc.problems]
        return render_template("budget.html", target=None, problems=problems, file=shown_file, slug=municipality.slug)
    if target is None:
        return render_template("budget.html", target=None, problems=[], file=shown_file, slug=municipality.slug)
    s = db()
    if t.record(s, target, municipality.id, current_user):
        commit()
    result = budgets.budget(s, municipality.id, target)
    labels = {sid: target.label_of(sid) for sid in result.sector_ids}
    year = min(max(today.year, result.years[0].year), result.years[-1].year) if result.years else today.year
    current = result.for_year(year)
    report = REPORT_ENDPOINT in current_app.view_functions
    report_years = (today.year, today.year - 1)
    return render_template(
        "budget.html",
        target=target,
        problems=[],
        file=shown_file,
        slug=municipality.slug,
        budget=result,
        year=year,
        current=current,
        labels=labels,
        charts=_charts(result, labels),
        movers=result.movers(MOVERS),
        without_numbers=result.without_numbers[:LISTED_WITHOUT_NUMBERS],
        path_text=_path_text(target),
        bisko_text={
            s.id: ", ".join(_(t.BISKO_SECTORS[b]) for b in s.bisko) or _("außerhalb der BISKO-Bilanz")
            for s in target.sectors
        },
        report_links=[(y, url_for(REPORT_ENDPOINT, year=y)) for y in report_years] if report else [],
        residual=result.target.residual_budget_t(),
        residual_left=result.residual_left_t(),
        sector_totals={s: sum(y.effect_by_sector.get(s, 0.0) for y in result.years) for s in result.sector_ids},
        tonnes=tonnes,
        signed=signed,
        pct=pct,
        count=format_number,
    )


def _shown(path: Path, rules_dir: Path) -> str:
    """A file as the climate department names it: relative to the rules folder."""
    try:
        return str(Path(path).resolve().relative_to(rules_dir.resolve()))
    except ValueError:
        return str(path)


def _shown_problem(problem, rules_dir: Path) -> str:
    where = _shown(Path(problem.file), rules_dir) if problem.file else ""
    if where and problem.line:
        return _("%(file)s, Zeile %(line)d: %(message)s", file=where, line=problem.line, message=problem.message)
    return f"{where}: {problem.message}" if where else problem.message

"""The yearly monitoring report to the council (issue 12): a Word document built from the stored results
and the recorded outcomes of one municipality's year.

    build_report(session, municipality, year, *, template=None, rules_dir=None, target=None,
                 timezone=None, today=None) -> bytes
        The .docx. `municipality` is the Municipality row; `template` a path or the bytes of a house
        template (default: the municipality's `RULES_DIR/kommunen/<slug>/bericht-vorlage.docx`, else the
        template shipped here); `target` the ClimateTarget (default: the municipality's target file in
        `rules_dir`). Raises ReportError (an InputError: one German line) when there is no target or
        the template cannot be used. The target's text is recorded (store/targets.record); the caller
        commits.

Modules, one job each: figures.py (every figure, from the database), decided.py (the decisions as they
stood at the year's end), method.py (the rule set versions and factor tables from the stored snapshots),
summary.py (the plain-German sentences), sections.py
(the chapters), document.py and styles.py (writing into any template), charts.py (native Word charts),
template.py (which template), numbers.py (German numbers). No Flask here.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from impactcheck.core.errors import InputError
from impactcheck.report.template import TemplateError


class ReportError(InputError):
    """The report cannot be built: no climate target, a bad target file, an unusable template."""


def resolve_target(municipality: Any, rules_dir: Path | None) -> Any:
    """The municipality's climate target from its file; ReportError if it has none or it is bad."""
    from impactcheck.store import targets

    if rules_dir is None:
        raise ReportError(f"Kommune „{municipality.slug}“: kein Regelordner, also kein Klimaziel")
    target = targets.target_of(municipality.slug, rules_dir)  # TargetFileError (an InputError) if bad
    if target is None:
        where = targets.target_file(municipality.slug, rules_dir)
        raise ReportError(f"Kommune „{municipality.slug}“ hat kein Klimaziel ({where} fehlt)")
    return target


def build_report(
    session,
    municipality,
    year: int,
    *,
    template: Path | bytes | None = None,
    rules_dir: Path | None = None,
    target: Any = None,
    timezone: str | None = None,
    today: dt.date | None = None,
) -> bytes:
    from impactcheck.report import sections
    from impactcheck.report.document import Writer
    from impactcheck.report.figures import report_figures
    from impactcheck.report.template import open_template, template_for
    from impactcheck.store import targets

    if target is None:
        target = resolve_target(municipality, rules_dir)
    data, name = template_for(rules_dir, municipality.slug, template)
    document = open_template(data, name)
    targets.record(session, target, municipality.id)
    figures = report_figures(
        session, municipality, year, timezone=timezone or municipality.timezone or "Europe/Berlin", target=target
    )
    writer = Writer(document)
    sections.title_page(writer, figures, today or dt.date.today())
    sections.summary_section(writer, figures)
    sections.overview_section(writer, figures)
    sections.budget_section(writer, figures)
    sections.movers_section(writer, figures)
    sections.open_points_section(writer, figures)
    sections.method_section(writer, figures)
    sections.annex_section(writer, figures)
    props = document.core_properties
    props.title = f"Klimacheck-Bericht {year} – {municipality.name}"
    props.subject = "Bericht an den Rat"
    props.language = "de-DE"
    props.author = props.last_modified_by = municipality.name  # not whoever wrote the house template
    props.comments = props.keywords = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


__all__ = ["ReportError", "TemplateError", "build_report", "resolve_target"]

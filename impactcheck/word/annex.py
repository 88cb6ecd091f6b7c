"""The annex: every question and answer of the check (and of the alternative), for those who want it all.

`build_annex(result, reference, code, layout)` returns a block content control tagged
`klimacheck-anhang`; inserting it again replaces it, like the section. It starts on a new page.
"""

from __future__ import annotations

from itertools import groupby

from lxml import etree

from impactcheck.core.i18n import N_, Words
from impactcheck.core.result import Answer, Result
from impactcheck.core.verification import Reference
from impactcheck.word.anchor import ANNEX_MARK, ANNEX_TAG
from impactcheck.word.section import (
    HEADER_FILL,
    Cell,
    Layout,
    Tables,
    content_control,
    heading_paragraph,
    labelled,
    page_break_before,
    paper_text,
    reference_line,
    text_para,
)

ANNEX_TITLE = N_("Anlage: Fragen und Antworten zum Klimacheck")


def build_annex(result: Result, reference: Reference, code: str, layout: Layout, *, new_page: bool = True):
    """The annex; its fixed texts in the language of `result` (German unless localized)."""
    w = Words(result.locale)
    blocks = [heading_paragraph(w(ANNEX_TITLE), layout)]
    if new_page:
        page_break_before(blocks[0])
    if result.paper:
        blocks.append(text_para(paper_text(result, w), bold=True))
    tables = Tables(layout.sheet, layout.width)
    proposal = w(N_("Antworten zur Vorlage"))
    blocks.append(text_para(proposal, bold=True, keep_next=True))
    blocks.append(_answers_table(tables, result.assessment.answers, proposal, w))
    if result.alternative is not None:
        alternative = w(N_("Antworten zur Alternative"))
        blocks.append(text_para(alternative, bold=True, keep_next=True, before=240))
        blocks.append(labelled(w(N_("Beschreibung")), result.alternative.description))
        blocks.append(_answers_table(tables, result.alternative.assessment.answers, alternative, w))
    blocks.append(reference_line(result, reference, code))
    # The tag and the alias stay German: they find the annex again in every language.
    return content_control(ANNEX_TAG, "Klimacheck – Anlage", blocks, (ANNEX_MARK, layout.mark_id))


def _answers_table(tables: Tables, answers: tuple[Answer, ...], caption: str, w: Words) -> etree._Element:
    rows = [[Cell(w(N_("Frage"))), Cell(w(N_("Antwort")))]]
    for _, group in groupby(answers, key=lambda a: (a.step, a.step_title)):
        group = list(group)
        rows.append([Cell(group[0].step_title, span=2, fill=HEADER_FILL, bold=True)])
        rows += [[Cell(a.question), Cell(a.display)] for a in group]
    if len(rows) == 1:
        rows.append([Cell(w(N_("keine Antworten")), span=2)])
    return tables.table([0.62, 0.38], rows, caption=caption)

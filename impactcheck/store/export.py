"""Exports of the register: exactly the filtered, sorted set of `listing.register_query`, as CSV for
German Excel and as XLSX with typed cells. Shared by the web app (exports blueprint), the CLI
(`impactcheck export`) and the benchmark; no Flask here.

Streaming throughout: `export_rows` reads only the columns it needs with a server-side cursor in
batches (`yield_per`), resolves every label once before the first row, and yields plain tuples;
`iter_csv`/`write_csv` turn them into bytes batch by batch, `write_xlsx` into an openpyxl write-only
workbook (rows go to a temporary file, not into memory). 100,000 rows never exist at once.

The format (documented in the README, "Export des Registers"):
- one row per check, the columns of COLUMNS in that order, a German header row;
- CSV: UTF-8 with byte order mark, `;` between fields, CRLF line ends, quotes only where needed;
  numbers with a decimal comma and no thousands separator (`12,5`, `-3,25`), dates ISO (`2026-12-01`),
  times `2026-12-01 14:30` in the municipality's time zone; yes/no as `ja`/`nein`; empty for none;
- XLSX: one sheet "Klimachecks", numbers as numbers, dates and times as Excel dates (shown
  `TT.MM.JJJJ` and `TT.MM.JJJJ hh:mm`), yes/no as the text `ja`/`nein` (the autofilter then offers
  "ja"/"nein" like the CSV), a bold header row, the pane frozen below it, an autofilter over all rows;
- formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
  neutralised — in the CSV by a leading `'` (what Excel itself shows for text typed that way), in the
  XLSX by storing it as a text cell with Excel's "quote prefix" style (so it stays text even when
  someone edits the cell), the value itself unchanged. Numbers (also negative ones) stay numbers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from impactcheck.core.errors import InputError
from impactcheck.core.i18n import N_
from impactcheck.core.model import VERDICT_LABELS
from impactcheck.store.current import CHANGED_LABELS, OUTCOME_LABELS
from impactcheck.store.models import Check, User
from impactcheck.store.roles import STATUS_LABELS

BATCH = 1000  # rows per database round trip (server-side cursor) and per CSV chunk
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_TEXT = 32_767  # Excel's limit for one cell
XLSX_DATE = "DD.MM.YYYY"
XLSX_DATETIME = "DD.MM.YYYY HH:MM"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE = "Klimachecks"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # int | float | text | date | datetime | bool
    width: float  # XLSX column width (characters)


COLUMNS: tuple[Column, ...] = (
    Column(N_("Nummer"), "int", 9),
    Column(N_("Drucksache"), "text", 14),
    Column(N_("Titel"), "text", 50),
    Column(N_("Amt"), "text", 28),
    Column(N_("Gremium"), "text", 28),
    Column(N_("Sitzung"), "date", 11),
    Column(N_("Verfasser/in"), "text", 22),
    Column(N_("Stand"), "text", 14),
    Column(N_("Revision"), "int", 9),
    Column(N_("Eingereicht"), "datetime", 16),
    Column(N_("Geprüft"), "datetime", 16),
    Column(N_("Prüfer/in"), "text", 22),
    Column(N_("Regelwerk"), "text", 16),
    Column(N_("Version"), "text", 10),
    Column(N_("Votum Vorlage"), "text", 18),
    Column(N_("Votum Alternative"), "text", 18),
    Column(N_("t CO2e/a Vorlage"), "float", 14),
    Column(N_("t CO2e/a Alternative"), "float", 14),
    Column(N_("Votum beschlossen"), "text", 18),
    Column(N_("t CO2e/a beschlossen"), "float", 14),
    Column(N_("Ausnahme"), "text", 30),
    Column(N_("fragil"), "bool", 8),
    Column(N_("offene Punkte"), "int", 9),
    Column(N_("markiert"), "bool", 9),
    Column(N_("Beschluss"), "text", 26),
    Column(N_("Beschlussdatum"), "date", 11),
    Column(N_("geändert wegen Klimacheck"), "text", 12),
    Column(N_("Begründung der Änderung"), "text", 40),
    Column(N_("Link"), "text", 40),
)
HEADERS = tuple(c.header for c in COLUMNS)

# Only these columns are read: no ORM objects, no relationships, no revision JSON.
_SELECTED = (
    Check.id,
    Check.reference,
    Check.title,
    Check.department,
    Check.committee,
    Check.meeting_date,
    Check.owner_id,
    Check.status,
    Check.filed_status,
    Check.filed_number,
    Check.submitted_at,
    Check.reviewed_at,
    Check.reviewer_id,
    Check.ruleset_id,
    Check.ruleset_version,
    Check.verdict,
    Check.alternative_verdict,
    Check.t_co2e_per_year,
    Check.alternative_t_co2e_per_year,
    Check.adopted_verdict,
    Check.adopted_t_co2e_per_year,
    Check.exit_reason,
    Check.fragile,
    Check.open_points,
    Check.flagged,
    Check.outcome,
    Check.outcome_date,
    Check.outcome_changed,
    Check.outcome_note,
)


def _identity(text: str) -> str:
    return text


def headers(translate: Callable[[str], str] = _identity) -> list[str]:
    return [translate(h) for h in HEADERS]


def check_link(base: str | None) -> Callable[[int], str]:
    """The URL of check `id` from the app's address: "https://klima.example.de" (or with a path
    prefix) gives ".../klimachecks/12"; without one, the path alone."""
    root = (base or "").rstrip("/")
    return lambda ident: f"{root}/klimachecks/{ident}"


class ExitLabels:
    """Quick-exit reason ids -> labels, from each rule set once (a rule set that is gone: the id)."""

    def __init__(self, lookup: Callable[[str], Any] | None):
        self._lookup = lookup
        self._by_ruleset: dict[str, dict[str, str]] = {}

    def __call__(self, ruleset_id: str | None, reason: str | None) -> str | None:
        if not reason:
            return None
        key = ruleset_id or ""
        labels = self._by_ruleset.get(key)
        if labels is None:
            labels = {}
            if self._lookup is not None and ruleset_id:
                try:
                    screening = self._lookup(ruleset_id).screening
                except (InputError, OSError):  # a rule file removed or broken since: the export still works
                    screening = None
                if screening is not None:
                    labels = {r.id: r.label for r in screening.exit_reasons}
            self._by_ruleset[key] = labels
        return labels.get(reason, reason)


def export_rows(
    s: Session,
    query: Select,
    *,
    municipality_id: int,
    role: str,
    timezone: str = "Europe/Berlin",
    link: Callable[[int], str] | None = None,
    rulesets: Callable[[str], Any] | None = None,
    translate: Callable[[str], str] = _identity,
    batch: int = BATCH,
) -> Iterator[tuple]:
    """The rows of the export of `query` (a `listing.register_query`), in its order, as tuples in
    COLUMNS order with typed values (int, float, str, date, naive local datetime, bool, None).

    The labels and user names are resolved and the query is started here, before the first row is
    asked for, so a database error surfaces where the caller can still answer with an error page;
    the rows then come from a server-side cursor, `batch` at a time.
    Councillors (`role == "council"`) see the submitted state: their "Stand" is the submitted one.
    """
    zone = ZoneInfo(timezone)
    link = link or check_link(None)
    names = dict(s.execute(select(User.id, User.display_name).where(User.municipality_id == municipality_id)).all())
    verdicts = {k: translate(v) for k, v in VERDICT_LABELS.items()}
    statuses = {k: translate(v) for k, v in STATUS_LABELS.items()}
    outcomes = {k: translate(v) for k, v in OUTCOME_LABELS.items()}
    changed = {k: translate(v) for k, v in CHANGED_LABELS.items()}
    exit_labels = ExitLabels(rulesets)
    stmt = query.with_only_columns(*_SELECTED).execution_options(stream_results=True, yield_per=batch)
    result = s.execute(stmt)
    council = role == "council"

    def local(value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None, microsecond=0)

    def rows() -> Iterator[tuple]:
        try:
            for r in result:
                status = r.filed_status if council else r.status
                yield (
                    r.id,
                    r.reference,
                    r.title,
                    r.department,
                    r.committee,
                    r.meeting_date,
                    names.get(r.owner_id),
                    statuses.get(status, status) if status else None,
                    r.filed_number,
                    local(r.submitted_at),
                    local(r.reviewed_at),
                    names.get(r.reviewer_id) if r.reviewer_id is not None else None,
                    r.ruleset_id,
                    r.ruleset_version,
                    verdicts.get(r.verdict, r.verdict) if r.verdict else None,
                    verdicts.get(r.alternative_verdict, r.alternative_verdict) if r.alternative_verdict else None,
                    r.t_co2e_per_year,
                    r.alternative_t_co2e_per_year,
                    verdicts.get(r.adopted_verdict, r.adopted_verdict) if r.adopted_verdict else None,
                    r.adopted_t_co2e_per_year,
                    exit_labels(r.ruleset_id, r.exit_reason),
                    bool(r.fragile),
                    r.open_points or 0,
                    bool(r.flagged),
                    outcomes.get(r.outcome, r.outcome) if r.outcome else None,
                    r.outcome_date,
                    changed.get(r.outcome_changed, r.outcome_changed) if r.outcome_changed else None,
                    r.outcome_note,
                    link(r.id),
                )
        finally:
            result.close()  # also when the reader stops early (a download cut off)

    return rows()


# --- CSV --------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """Text that a spreadsheet would take for a formula, made plain text (CSV: a leading `'`)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_number(value: float | int) -> str:
    """12.5 -> "12,5" (German Excel reads it as a number); no thousands separator, no exponent."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


def _csv_cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "text":
        return neutralise(str(value))
    if kind in ("int", "float"):
        return csv_number(value)
    if kind == "bool":
        return "ja" if value else "nein"
    if kind == "datetime":
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == "date":
        return value.isoformat()
    return neutralise(str(value))


def iter_csv(
    rows: Iterable[Sequence], translate: Callable[[str], str] = _identity, batch: int = BATCH
) -> Iterator[bytes]:
    """The CSV as chunks of bytes (BOM and header first, then `batch` rows per chunk). The header is
    translated here, before the first chunk is asked for: the chunks need no request context."""
    kinds = [c.kind for c in COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in headers(translate)])
    head = codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")

    def chunks() -> Iterator[bytes]:
        yield head
        buffer.seek(0)
        buffer.truncate()
        pending = 0
        for row in rows:
            writer.writerow([_csv_cell(kind, value) for kind, value in zip(kinds, row, strict=True)])
            pending += 1
            if pending >= batch:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        if pending:
            yield buffer.getvalue().encode("utf-8")

    return chunks()


def write_csv(rows: Iterable[Sequence], out: IO[bytes], translate: Callable[[str], str] = _identity) -> int:
    """Write the CSV to a binary file object; returns the number of data rows."""
    count = 0

    def counted() -> Iterator[Sequence]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in iter_csv(counted(), translate):
        out.write(chunk)
    return count


# --- XLSX -------------------------------------------------------------------------------------


# Control characters XML cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE): they would abort the file halfway.
_XML_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _xlsx_text(text: str) -> str:
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("", text)
    return text if len(text) <= XLSX_MAX_TEXT else text[:XLSX_MAX_TEXT]


def write_xlsx(
    rows: Iterable[Sequence], out: str | os.PathLike | IO[bytes], translate: Callable[[str], str] = _identity
) -> int:
    """Write the XLSX to a path or a seekable binary file object; returns the number of data rows.

    openpyxl's write-only mode: each row goes to a temporary file at once, the sheet is zipped into
    `out` at the end. The autofilter's range is set after the last row (it is written after the rows).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.creator = "impactcheck"
    wb.properties.title = translate("Klimachecks")
    ws = wb.create_sheet(SHEET_TITLE)
    ws.freeze_panes = "A2"  # sheet views come before the rows: set before the first append
    for index, column in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)

    def header_cell(text: str):
        cell = WriteOnlyCell(ws, value=_xlsx_text(text))
        cell.data_type = "s"
        cell.font = bold
        return cell

    def dated(value, number_format: str):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell

    def text_cell(value: str):
        value = _xlsx_text(value)
        if not value.startswith(FORMULA_PREFIXES):
            return value  # openpyxl stores a plain string as text
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl would make "=…" a formula
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell

    def finite(value: float):
        return value if math.isfinite(value) else None

    # One converter per column, chosen once (None: the value as it is); None values stay empty.
    by_kind = {
        "text": lambda v: text_cell(str(v)),
        "bool": lambda v: "ja" if v else "nein",
        "datetime": lambda v: dated(v, XLSX_DATETIME),
        "date": lambda v: dated(v, XLSX_DATE),
        "float": finite,
        "int": None,
    }
    converters = [by_kind[c.kind] for c in COLUMNS]
    count = 0
    try:
        ws.append([header_cell(h) for h in headers(translate)])
        for row in rows:
            ws.append(
                [
                    value if value is None or convert is None else convert(value)
                    for convert, value in zip(converters, row, strict=True)
                ]
            )
            count += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
        wb.save(out)
    except BaseException:
        _discard_sheet_file(ws)
        raise
    return count


def _discard_sheet_file(ws) -> None:
    """openpyxl keeps the rows of an unfinished write-only sheet in a temporary file that only its
    save removes (else at process exit): remove it now, so failed exports leave nothing behind."""
    from openpyxl.worksheet import _writer

    writer = getattr(ws, "_writer", None)
    path = getattr(writer, "out", None)
    if writer is None or not isinstance(path, str):
        return
    try:
        ws.close()  # ends the sheet's XML and closes its file
    except Exception:
        for generator in (getattr(ws, "_rows", None), writer.xf):
            with contextlib.suppress(Exception):
                generator.close()
    with contextlib.suppress(OSError):
        os.remove(path)
    with contextlib.suppress(ValueError):
        _writer.ALL_TEMP_FILES.remove(path)


def filename(fmt: str, today: dt.date) -> str:
    """klimachecks-2026-12-01.csv"""
    return f"klimachecks-{today.isoformat()}.{fmt}"


def today_in(timezone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(timezone)).date()

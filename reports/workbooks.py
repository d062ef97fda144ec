"""The workbook attached to each department's notification (xlsx, built in memory).

Sheet 1 sums up the complaints by category, sheet 2 lists them one per row. The same
``sheets()`` feed the staff preview and the file, so what staff approve is what is sent.
Its texts are in the ``language`` given (the department's), whenever it is built.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from complaints.models import Category
from reports.periods import PERIOD_TIMEZONE

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | dt.date | None


@dataclass
class Sheet:
    """One worksheet: heading lines, a header row, the rows (any iterable, read once), a footer."""

    title: str
    header: list[str]
    rows: Iterable[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None
    heading: list[str] = field(default_factory=list)  # lines above the table
    widths: Sequence[int] = ()
    wrap_columns: Sequence[int] = ()  # free-text columns, wrapped


def category_label(value: str) -> str:
    return str(Category(value).label) if value in Category.values else value


def counts_in_order(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Categories with complaints, in the order of the category list (not by count)."""
    known = [(value, counts[value]) for value in Category.values if counts.get(value)]
    unknown = sorted((value, n) for value, n in counts.items() if value not in Category.values and n)
    return known + unknown


class NotificationWorkbook:
    """One department's notification as a workbook: ``sheets()`` for a preview, ``generate()`` for xlsx."""

    def __init__(
        self,
        *,
        department_name: str,
        period: str,
        first_day: dt.date,
        last_day: dt.date,
        counts_by_category: dict[str, int],
        items: Iterable,
        language: str,
    ) -> None:
        self.language = language
        self.department_name = department_name
        self.period = period
        self.first_day, self.last_day = first_day, last_day
        self.counts_by_category = counts_by_category
        self.items = list(items)

    @property
    def filename(self) -> str:
        # ASCII only: some mail clients still mangle encoded attachment names.
        return f"complaint-notification-{self.period}.xlsx"

    def sheets(self) -> list[Sheet]:
        with translation.override(self.language):
            return self._sheets()

    def _sheets(self) -> list[Sheet]:
        counts = counts_in_order(self.counts_by_category)
        summary = Sheet(
            title=_("Summary"),
            heading=[
                _("Complaint notification %(period)s: %(department)s")
                % {"period": self.period, "department": self.department_name},
                _("Complaints received %(first)s to %(last)s")
                % {"first": self.first_day.isoformat(), "last": self.last_day.isoformat()},
            ],
            header=[_("Category"), _("Number of complaints")],
            rows=[[category_label(value), count] for value, count in counts],
            footer=[_("Total"), sum(count for _value, count in counts)],
            widths=(60, 14),
        )
        complaints = Sheet(
            title=_("Complaints"),
            header=[_("Reference"), _("Received on"), _("Category"), _("What the complaint says")],
            rows=[
                [
                    item.reference,
                    item.received_at.astimezone(PERIOD_TIMEZONE).date(),
                    category_label(item.category),
                    item.text,
                ]
                for item in self.items
            ],
            widths=(16, 12, 36, 100),
            wrap_columns=(3,),
        )
        return [summary, complaints]

    def generate(self) -> bytes:
        """The xlsx file, written in openpyxl's write-only (streaming) mode."""
        buffer = io.BytesIO()
        write_workbook(self.sheets(), buffer)
        return buffer.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def write_workbook(sheets: Iterable[Sheet], target: IO[bytes]) -> None:
    """Write the sheets to ``target`` in write-only mode, consuming each sheet's rows once."""
    workbook = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        for index, width in enumerate(sheet.widths):
            worksheet.column_dimensions[_column_letter(index)].width = width
        for line in sheet.heading:
            worksheet.append([_cell(worksheet, line, font=bold)])
        if sheet.heading:
            worksheet.append([])
        worksheet.append([_cell(worksheet, value, font=bold) for value in sheet.header])
        for row in sheet.rows:
            worksheet.append(
                [
                    _cell(worksheet, value, alignment=wrap if index in sheet.wrap_columns else None)
                    for index, value in enumerate(row)
                ]
            )
        if sheet.footer:
            worksheet.append([_cell(worksheet, value, font=bold) for value in sheet.footer])
    workbook.save(target)


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"


def _cell(worksheet, value: Cell, *, font: Font | None = None, alignment: Alignment | None = None):
    if isinstance(value, str):
        # Control characters pasted into a complaint would make openpyxl refuse the whole file.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        # A complaint is text, never a formula: "=HYPERLINK(…)" must not run in a department's Excel.
        cell.data_type = "s"
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell

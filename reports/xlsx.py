"""Workbooks written in openpyxl's write-only mode, shared by the notification and the ledger
workbooks: a sheet's rows are consumed once, so a big export never sits in memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

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

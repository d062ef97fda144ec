"""The dashboard as workbooks (xlsx, openpyxl write-only): the whole dashboard with one sheet per
section, and the department league table alone. Built from the same lines and rows as the page,
so the file and the screen never disagree; rates are stored as fractions formatted as percents."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.periods import SHANGHAI
from reports import inspection_figures
from reports.dashboard.figures import DAYS, PERCENT
from reports.dashboard.selectors import DashboardReport
from reports.dashboard.tables import (
    CATEGORY_COLUMNS,
    CHANNEL_COLUMNS,
    LEAGUE_COLUMNS,
    TREND_KEY,
    Number,
    Row,
    category_rows,
    channel_rows,
    column_labels,
    inspection_column_labels,
    inspection_league_rows,
    inspection_lines,
    league_rows,
    sections,
)
from reports.xlsx import XLSX_CONTENT_TYPE

__all__ = ["XLSX_CONTENT_TYPE", "DashboardWorkbook", "LeagueTableWorkbook"]

FORMATS = {PERCENT: "0.0%", DAYS: "0.0"}


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    heading: list[str] = field(default_factory=list)
    widths: tuple[int, ...] = ()


def _change(current: Number, earlier: Number):
    if current.value is None or earlier.value is None:
        return None
    return current.value - earlier.value


class DashboardWorkbook:
    """The whole dashboard: ``sheets()`` for inspection, ``generate()`` for the file."""

    def __init__(self, report: DashboardReport) -> None:
        self.report = report

    @property
    def filename(self) -> str:
        return f"dashboard-{self.report.quarter.label}.xlsx"

    def heading(self, title: str) -> list[str]:
        report = self.report
        return [
            title,
            _("%(quarter)s, compared with %(previous)s and %(year_earlier)s")
            % {
                "quarter": report.quarter.display,
                "previous": report.previous.quarter.display,
                "year_earlier": report.year_earlier.quarter.display,
            },
            _("Figures as of %(moment)s (Beijing time)")
            % {"moment": report.current.as_of.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")},
        ]

    def quarter_header(self) -> list[str]:
        report = self.report
        return [
            _("Figure"),
            report.quarter.display,
            report.previous.quarter.display,
            _("Change on the previous quarter"),
            report.year_earlier.quarter.display,
            _("Change on a year earlier"),
            _("Definition"),
        ]

    def section_sheets(self) -> list[Sheet]:
        result = []
        for section in sections(self.report):
            rows = [
                [
                    ("    " if line.indent else "") + line.label,
                    line.current,
                    line.previous,
                    Number(_change(line.current, line.previous), line.current.kind),
                    line.year_earlier,
                    Number(_change(line.current, line.year_earlier), line.current.kind),
                    line.definition,
                ]
                for line in section.lines
            ]
            result.append(
                Sheet(
                    section.title,
                    self.quarter_header(),
                    rows,
                    self.heading(section.title),
                    (44, 12, 12, 14, 12, 14, 90),
                )
            )
        return result

    def breakdown_sheet(self, title: str, first: str, columns: list[str], rows: list[Row]) -> Sheet:
        report = self.report
        header = [
            first,
            *column_labels(columns),
            _("Received %(quarter)s") % {"quarter": report.previous.quarter.display},
            _("Received %(quarter)s") % {"quarter": report.year_earlier.quarter.display},
        ]
        body = [
            [
                row.label,
                *[row.cells[key] for key in columns],
                row.cells[f"{TREND_KEY}_previous"],
                row.cells[f"{TREND_KEY}_year_earlier"],
            ]
            for row in rows
        ]
        return Sheet(title, header, body, self.heading(title), (50, *([14] * (len(columns) + 2))))

    def league_sheet(self) -> Sheet:
        title = _("Department league table")
        header = [_("Rank"), _("Department"), _("Key department"), *column_labels(LEAGUE_COLUMNS)]
        rows = [
            [row.rank, row.label, _("yes") if row.is_key else "", *[row.cells[key] for key in LEAGUE_COLUMNS]]
            for row in league_rows(self.report)
        ]
        return Sheet(title, header, rows, self.heading(title), (8, 36, 10, *([14] * len(LEAGUE_COLUMNS))))

    def inspection_sheets(self) -> list[Sheet]:
        """Inspections of enterprises: the figures over three quarters, then per department (the
        same cells as the page; a department's average only from the minimum number of ratings)."""
        lines = inspection_lines(self.report)
        if not lines:
            return []
        title = _("Inspections of enterprises")
        header = self.quarter_header()[:-1]
        rows = [
            [
                ("    " if line.indent else "") + line.label,
                line.current,
                line.previous,
                Number(_change(line.current, line.previous), line.current.kind),
                line.year_earlier,
                Number(_change(line.current, line.year_earlier), line.current.kind),
            ]
            for line in lines
        ]
        return [
            Sheet(title, header, rows, self.heading(title), (44, 12, 12, 14, 12, 14)),
            self.inspection_league_sheet(),
        ]

    def inspection_league_sheet(self) -> Sheet:
        title = _("Inspections by department")
        columns = inspection_figures.LEAGUE_COLUMNS
        header = [_("Department"), *inspection_column_labels(columns)]
        rows = [
            [row.label, *[row.cells[key] for key in columns]] for row in inspection_league_rows(self.report)
        ]
        return Sheet(title, header, rows, self.heading(title), (36, *([14] * len(columns))))

    def sheets(self) -> list[Sheet]:
        return [
            *self.section_sheets(),
            *self.inspection_sheets(),
            self.breakdown_sheet(
                _("By category"), _("Category"), CATEGORY_COLUMNS, category_rows(self.report)
            ),
            self.league_sheet(),
            self.breakdown_sheet(_("By channel"), _("Channel"), CHANNEL_COLUMNS, channel_rows(self.report)),
        ]

    def generate(self) -> bytes:
        return write_workbook(self.sheets())


class LeagueTableWorkbook(DashboardWorkbook):
    """The department league table alone."""

    @property
    def filename(self) -> str:
        return f"league-table-{self.report.quarter.label}.xlsx"

    def sheets(self) -> list[Sheet]:
        inspections = [self.inspection_league_sheet()] if self.report.inspections else []
        return [self.league_sheet(), *inspections]


def write_workbook(sheets: list[Sheet]) -> bytes:
    """Write the sheets in openpyxl's write-only (streaming) mode."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        for index, width in enumerate(sheet.widths):
            worksheet.column_dimensions[get_column_letter(index + 1)].width = width
        for text in sheet.heading:
            worksheet.append([_cell(worksheet, text, font=bold)])
        if sheet.heading:
            worksheet.append([])
        worksheet.append([_cell(worksheet, text, font=bold) for text in sheet.header])
        for row in sheet.rows:
            worksheet.append([_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "Sheet"


def _cell(worksheet, value, *, font: Font | None = None) -> WriteOnlyCell:
    number_format = None
    if isinstance(value, Number):
        number_format = FORMATS.get(value.kind)
        value = value.value
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # labels are text, never formulas
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if isinstance(value, str) and len(value) > 60:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell

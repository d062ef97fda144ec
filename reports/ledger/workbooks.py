"""Workbooks of the work ledger and of a dispatch meeting's pack (xlsx).

Written in openpyxl's write-only (streaming) mode, row by row from iterators, so that a ledger
of any size is never held in memory as cells; the file goes to a spooled temporary file that
the admin hands to a FileResponse. Texts are in the active language (the reader's).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.periods import PERIOD_TIMEZONE
from reports.activity_figures import activity_pack_sheet
from reports.directory_figures import directory_pack_sheet
from reports.inspection_figures import LABELS as INSPECTION_LABELS
from reports.ledger.pack import INSPECTION_PACK_KEYS, Pack
from reports.models import LedgerProgress, LedgerTask
from reports.openness_figures import openness_pack_sheet
from reports.xlsx import XLSX_CONTENT_TYPE, Cell, Sheet, write_workbook

__all__ = ["XLSX_CONTENT_TYPE", "LedgerWorkbook", "PackWorkbook"]

CHUNK = 2000


def _spooled(sheets: Iterable[Sheet]) -> IO[bytes]:
    # In memory up to 8 MB, on disk beyond: a large ledger never sits in the process as one blob.
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    write_workbook(sheets, target)
    target.seek(0)
    return target


def _yes(value: bool) -> str:
    return _("Yes") if value else ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(PERIOD_TIMEZONE).date() if moment else None


def _measure(task: LedgerTask) -> str:
    return str(task.measure_number) if task.measure_number else ""


# --- The meeting pack -----------------------------------------------------------------------------


class PackWorkbook:
    """A dispatch meeting's pack as a workbook: one sheet per section of the pack."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    @property
    def filename(self) -> str:
        return f"dispatch-meeting-pack-{self.pack.meeting.quarter}.xlsx"

    def _heading(self, section: str, *, hidden: str = "") -> list[str]:
        pack = self.pack
        lines = [
            _("Dispatch meeting %(quarter)s: %(section)s")
            % {"quarter": pack.meeting.quarter, "section": section},
            _("Quarter %(first)s to %(last)s; figures as of %(today)s.")
            % {
                "first": pack.period.first_day.isoformat(),
                "last": pack.period.last_day.isoformat(),
                "today": pack.today.isoformat(),
            },
        ]
        if hidden:
            lines.append(hidden)
        return lines

    def _ledger_rows(self) -> Iterator[list[Cell]]:
        for section in self.pack.sections:
            for item in section.tasks:
                task = item.task
                yield [
                    section.name,
                    task.reference,
                    task.title,
                    task.get_source_display(),
                    _person(task.responsible),
                    task.due_date,
                    task.get_status_display(),
                    _yes(item.overdue),
                    task.latest_note or "",
                    task.latest_percent,
                    task.latest_noted_on,
                ]

    def _figure_rows(self) -> Iterator[list[Cell]]:
        for section in self.pack.sections:
            figures = section.figures
            yield [section.name, figures.opened, figures.concluded, figures.open_now, figures.overdue_now]

    def _key_department_rows(self) -> Iterator[list[Cell]]:
        for name, figures in self.pack.key_departments:
            yield [name, figures.opened, figures.concluded, figures.open_now, figures.overdue_now]

    def _issue_rows(self) -> Iterator[list[Cell]]:
        for section in self.pack.sections:
            for item in section.overdue_tasks:
                yield [
                    section.name,
                    _("Ledger task"),
                    item.task.reference,
                    item.task.title,
                    item.task.due_date,
                    item.days_overdue,
                    _("Overdue"),
                ]
            for item in section.overdue_cases:
                yield [
                    section.name,
                    _("Case"),
                    item.case.reference,
                    item.case.title,
                    item.due_date,
                    item.days_overdue,
                    _("Overdue"),
                ]
            for item in section.problems:
                yield [
                    section.name,
                    _("Ledger task"),
                    item.task.reference,
                    item.task.title,
                    item.task.due_date,
                    item.days_overdue or None,
                    _("No progress noted since %(date)s") % {"date": item.last_progress_on.isoformat()},
                ]

    def _inspection_rows(self) -> Iterator[list[Cell]]:
        # The figures of the printable pack's sentence, in its order.
        for key in INSPECTION_PACK_KEYS:
            yield [str(INSPECTION_LABELS[key]), self.pack.inspections[key]]

    def _inspection_department_rows(self) -> Iterator[list[Cell]]:
        for row in self.pack.inspection_departments:
            yield [row["name"], row["inspections"], row["flags"], row["flagged_share"], row["average_rating"]]

    def _inspection_sheets(self) -> list[Sheet]:
        """The printable pack's inspections of enterprises: its figures, then its table of
        departments (a department's average rating only from the minimum number of ratings)."""
        shown = self.pack.inspections is not None
        hidden = "" if shown else _("Inspections are not shown: you may not see inspections.")
        title = _("Inspections of enterprises")
        by_department = _("Inspections by department")
        return [
            Sheet(
                title=title,
                heading=self._heading(title, hidden=hidden),
                header=[_("Figure"), _("Value")],
                rows=self._inspection_rows() if shown else [],
                widths=(44, 12),
            ),
            Sheet(
                title=by_department,
                heading=self._heading(by_department, hidden=hidden),
                header=[
                    _("Department"),
                    *(str(INSPECTION_LABELS[key]) for key in ("inspections", "flags", "flagged_share")),
                    str(INSPECTION_LABELS["average_rating"]),
                ],
                rows=self._inspection_department_rows(),
                widths=(28, 14, 14, 14, 18),
            ),
        ]

    def _appraisal_sheet(self) -> Sheet:
        """The democratic appraisal campaigns closed in the period: per department its answers,
        scores and mean score (1 to 5); aggregates only."""
        shown = self.pack.appraisal is not None
        title = _("Democratic appraisal")
        rows = [
            [
                row.campaign_title,
                row.department_name,
                row.answers,
                row.scores,
                round(row.mean, 2) if row.mean else None,
            ]
            for row in (self.pack.appraisal or [])
        ]
        return Sheet(
            title=title,
            heading=self._heading(
                title,
                hidden="" if shown else _("The appraisal is not shown: you may not see appraisal campaigns."),
            ),
            header=[_("Campaign"), _("Department"), _("Answers"), _("Scores"), _("Mean score (1–5)")],
            rows=rows,
            widths=(36, 28, 10, 10, 16),
        )

    def sheets(self) -> list[Sheet]:
        pack = self.pack
        no_ledger = (
            "" if pack.ledger_visible else _("Ledger tasks are not shown: you may not see the ledger.")
        )
        no_cases = "" if pack.cases_visible else _("Cases are not shown: you may not see cases.")
        totals = pack.totals
        return [
            Sheet(
                title=_("Ledger progress"),
                heading=self._heading(_("Ledger progress"), hidden=no_ledger),
                header=[
                    _("Office"),
                    _("Reference"),
                    _("Task"),
                    _("Source"),
                    _("Responsible"),
                    _("Due date"),
                    _("Status"),
                    _("Overdue"),
                    _("Latest progress"),
                    _("Percent done"),
                    _("As of"),
                ],
                rows=self._ledger_rows(),
                widths=(18, 16, 40, 18, 14, 12, 12, 8, 60, 10, 12),
                wrap_columns=(2, 8),
            ),
            Sheet(
                title=_("Case figures"),
                heading=self._heading(_("Case figures"), hidden=no_cases),
                header=[
                    _("Office"),
                    _("Opened in the quarter"),
                    _("Concluded in the quarter"),
                    _("Open now"),
                    _("Overdue now"),
                ],
                rows=self._figure_rows(),
                footer=[_("Total"), totals.opened, totals.concluded, totals.open_now, totals.overdue_now],
                widths=(24, 18, 18, 12, 12),
            ),
            Sheet(
                title=_("Key departments"),
                heading=self._heading(_("Key departments"), hidden=no_cases),
                header=[
                    _("Department"),
                    _("Opened in the quarter"),
                    _("Concluded in the quarter"),
                    _("Open now"),
                    _("Overdue now"),
                ],
                rows=self._key_department_rows(),
                widths=(24, 18, 18, 12, 12),
            ),
            Sheet(
                title=_("Overdue and problems"),
                heading=self._heading(
                    _("Overdue and problems"), hidden=" ".join(filter(None, [no_ledger, no_cases]))
                ),
                header=[
                    _("Office"),
                    _("Item"),
                    _("Reference"),
                    _("Title"),
                    _("Due date"),
                    _("Days overdue"),
                    _("Problem"),
                ],
                rows=self._issue_rows(),
                widths=(18, 12, 16, 48, 12, 12, 36),
                wrap_columns=(3,),
            ),
            openness_pack_sheet(
                pack.openness,
                heading=self._heading(
                    _("Openness checks"),
                    hidden="" if pack.openness else _("Openness checks are not shown: you may not see them."),
                ),
            ),
            *self._inspection_sheets(),
            activity_pack_sheet(pack.activities, self._heading),  # trainings and awards (issue 16)
            directory_pack_sheet(pack.directory, self._heading),  # associations, hotline (issue 16)
            self._appraisal_sheet(),
        ]

    def generate(self) -> bytes:
        target = _spooled(self.sheets())
        try:
            return target.read()
        finally:
            target.close()


# --- The ledger -------------------------------------------------------------------------------------


class LedgerWorkbook:
    """The work ledger as a workbook: the tasks with their latest progress, then every note."""

    def __init__(
        self,
        *,
        tasks: QuerySet[LedgerTask],
        progress: QuerySet[LedgerProgress],
        today: dt.date | None = None,
    ) -> None:
        self.tasks = tasks
        self.progress = progress
        self.today = today or timezone.localdate()

    @property
    def filename(self) -> str:
        return f"work-ledger-{self.today.isoformat()}.xlsx"

    def _task_rows(self) -> Iterator[list[Cell]]:
        for task in self.tasks.iterator(chunk_size=CHUNK):
            yield [
                task.reference,
                task.title,
                task.goal,
                task.get_source_display(),
                _measure(task),
                str(task.office) if task.office else "",
                _person(task.responsible),
                task.due_date,
                task.get_status_display(),
                _yes(task.overdue),
                task.latest_note or "",
                task.latest_percent,
                task.latest_noted_on,
                _local_date(task.done_at),
            ]

    def _progress_rows(self) -> Iterator[list[Cell]]:
        for note in self.progress.iterator(chunk_size=CHUNK):
            yield [
                note.task.reference,
                note.task.title,
                note.noted_on,
                note.percent,
                note.note,
                _person(note.author),
            ]

    def sheets(self) -> list[Sheet]:
        heading = [_("Work ledger as of %(today)s") % {"today": self.today.isoformat()}]
        return [
            Sheet(
                title=_("Work ledger"),
                heading=heading,
                header=[
                    _("Reference"),
                    _("Task"),
                    _("Goal"),
                    _("Source"),
                    _("Measure"),
                    _("Office"),
                    _("Responsible"),
                    _("Due date"),
                    _("Status"),
                    _("Overdue"),
                    _("Latest progress"),
                    _("Percent done"),
                    _("As of"),
                    _("Done on"),
                ],
                rows=self._task_rows(),
                widths=(16, 40, 60, 18, 8, 18, 14, 12, 12, 8, 60, 10, 12, 12),
                wrap_columns=(1, 2, 10),
            ),
            Sheet(
                title=_("Progress notes"),
                header=[
                    _("Reference"),
                    _("Task"),
                    _("As of"),
                    _("Percent done"),
                    _("Progress"),
                    _("Noted by"),
                ],
                rows=self._progress_rows(),
                widths=(16, 40, 12, 10, 80, 14),
                wrap_columns=(1, 4),
            ),
        ]

    def open(self) -> IO[bytes]:
        """The xlsx as an open file positioned at the start; the caller closes it."""
        return _spooled(self.sheets())

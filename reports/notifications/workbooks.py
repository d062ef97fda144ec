"""The workbook attached to each department's notification (xlsx, built in memory).

Sheet 1 sums up the complaints by category, sheet 2 lists them one per row. The same
``sheets()`` feed the staff preview and the file, so what staff approve is what is sent.
Its texts are in the ``language`` given (the department's), whenever it is built.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from complaints.models import Category
from core.periods import PERIOD_TIMEZONE
from reports.xlsx import Sheet, write_workbook


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
            title=pgettext("report section", "Summary"),
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

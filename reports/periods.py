"""Reporting periods: a month ("2026-10") or a quarter ("2026Q3"), bounded in Shanghai time.

A complaint belongs to the period in which the commission received it, on the Shanghai clock:
one received at 23:30 on 30 September Beijing time (15:30 UTC) is a September (Q3) complaint,
whatever time zone the server or the database runs in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

PERIOD_TIMEZONE = ZoneInfo("Asia/Shanghai")
MONTH, QUARTER = "month", "quarter"
FIRST_YEAR, LAST_YEAR = 2000, 2999

# What staff type: 2026-10, 2026-9, 2026/10, 2026年10月; 2026Q3, 2026-Q3, 2026q3, 2026年第3季度.
_MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_QUARTER_RE = re.compile(r"^(\d{4})\s*(?:-?\s*[Qq]\s*([1-4])|年\s*第?\s*([1-4])\s*季度?)$")


@dataclass(frozen=True)
class Period:
    """A reporting period: ``first_day``..``last_day`` inclusive, ``[start_at, end_at)`` in time."""

    label: str
    kind: str
    first_day: dt.date
    last_day: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=PERIOD_TIMEZONE)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=PERIOD_TIMEZONE)

    def contains(self, moment: dt.datetime) -> bool:
        return self.start_at <= moment < self.end_at

    def has_ended(self, *, today: dt.date | None = None) -> bool:
        return self.last_day < (today or shanghai_today())


def shanghai_today() -> dt.date:
    return timezone.now().astimezone(PERIOD_TIMEZONE).date()


def _month(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period(f"{year:04d}-{month:02d}", MONTH, first, following - dt.timedelta(days=1))


def _quarter(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    months = [_month(year, first_month), _month(year, first_month + 2)]
    return Period(f"{year:04d}Q{quarter}", QUARTER, months[0].first_day, months[1].last_day)


def period_parse(text: str) -> Period:
    """ "2026-10" -> October 2026, "2026Q3" -> July-September 2026; ValidationError otherwise."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    month_match, quarter_match = _MONTH_RE.match(value), _QUARTER_RE.match(value)
    if not (month_match or quarter_match):
        raise ValidationError(
            _("“%(value)s” is not a period. Enter a month such as 2026-10 or a quarter such as 2026Q3.")
            % {"value": text},
            code="bad_period",
        )
    year = int((month_match or quarter_match).group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            _("%(year)s is outside the years this portal covers (%(first)s–%(last)s).")
            % {"year": year, "first": FIRST_YEAR, "last": LAST_YEAR},
            code="bad_year",
        )
    if quarter_match:
        return _quarter(year, int(quarter_match.group(2) or quarter_match.group(3)))
    month = int(month_match.group(2))
    if not 1 <= month <= 12:
        raise ValidationError(
            _("%(month)s is not a month: enter 1 to 12, as in 2026-10.") % {"month": month},
            code="bad_month",
        )
    return _month(year, month)


def period_of(moment: dt.datetime, *, kind: str = MONTH) -> Period:
    """The month or quarter that contains an aware datetime, on the Shanghai clock."""
    local = moment.astimezone(PERIOD_TIMEZONE)
    if kind == QUARTER:
        return _quarter(local.year, (local.month - 1) // 3 + 1)
    return _month(local.year, local.month)


def previous_month(*, today: dt.date | None = None) -> Period:
    today = today or shanghai_today()
    last_of_previous = today.replace(day=1) - dt.timedelta(days=1)
    return _month(last_of_previous.year, last_of_previous.month)

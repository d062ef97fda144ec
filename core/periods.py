"""Reporting periods: a month ("2026-10"), a quarter ("2026Q3") or a year ("2026"), bounded on
the Shanghai clock. One type, ``Period``, for the notification runs, the dispatch meetings and
the dashboard.

A complaint belongs to the period in which the commission received it, on the Shanghai clock:
one received at 23:30 on 30 September Beijing time (15:30 UTC) is a September (Q3) complaint,
whatever time zone the server or the database runs in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

SHANGHAI = PERIOD_TIMEZONE = ZoneInfo("Asia/Shanghai")
MONTH, QUARTER, YEAR = "month", "quarter", "year"
FIRST_YEAR, LAST_YEAR = 2000, 2999
_MONTHS_IN = {MONTH: 1, QUARTER: 3, YEAR: 12}

# What staff type: 2026-10, 2026-9, 2026/10, 2026年10月; 2026Q3, 2026-Q3, 2026q3, 2026年第3季度;
# 2026, 2026年.
_MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_QUARTER_RE = re.compile(r"^(\d{4})\s*(?:-?\s*[Qq]\s*([1-4])|年\s*第?\s*([1-4])\s*季度?)$")
_YEAR_RE = re.compile(r"^(\d{4})\s*年?$")


@dataclass(frozen=True, order=True)
class Period:
    """A month, a quarter or a year: ``first_day``..``last_day`` inclusive, ``[start, end)`` in
    time. ``number`` is the month (1–12) or the quarter (1–4); 1 for a year."""

    year: int
    number: int
    kind: str = QUARTER

    # --- Making periods ------------------------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, month, MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        return cls(year, quarter, QUARTER)

    @classmethod
    def whole_year(cls, year: int) -> Period:
        return cls(year, 1, YEAR)

    @classmethod
    def containing(cls, moment: dt.datetime, *, kind: str = QUARTER) -> Period:
        """The period of ``kind`` that contains an aware datetime, on the Shanghai clock."""
        local = moment.astimezone(SHANGHAI)
        return cls(local.year, (local.month - 1) // _MONTHS_IN[kind] + 1, kind)

    @classmethod
    def current(cls, *, kind: str = QUARTER, now: dt.datetime | None = None) -> Period:
        return cls.containing(now or timezone.now(), kind=kind)

    @classmethod
    def parse(cls, text: str, *, kinds: Iterable[str] = (MONTH, QUARTER)) -> Period:
        """ "2026-10" -> October 2026, "2026Q3" -> July–September 2026, "2026" -> the year (when
        ``kinds`` allows it); ValidationError otherwise, saying what may be typed."""
        kinds = tuple(kinds)
        value = unicodedata.normalize("NFKC", text or "").strip()
        matches = {
            kind: pattern.match(value) if kind in kinds else None
            for kind, pattern in ((QUARTER, _QUARTER_RE), (MONTH, _MONTH_RE), (YEAR, _YEAR_RE))
        }
        kind = next((kind for kind, match in matches.items() if match), None)
        if kind is None:
            raise _not_a_period(text, kinds)
        match = matches[kind]
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValidationError(
                _("%(year)s is outside the years this portal covers (%(first)s–%(last)s).")
                % {"year": year, "first": FIRST_YEAR, "last": LAST_YEAR},
                code="bad_year",
            )
        if kind == QUARTER:
            return cls.quarter(year, int(match.group(2) or match.group(3)))
        if kind == YEAR:
            return cls.whole_year(year)
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValidationError(
                _("%(month)s is not a month: enter 1 to 12, as in 2026-10.") % {"month": month},
                code="bad_month",
            )
        return cls.month(year, month)

    # --- Labels --------------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What the period is stored and linked as: 2026-10, 2026Q3, 2026."""
        if self.kind == MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year:04d}Q{self.number}"
        return f"{self.year:04d}"

    @property
    def display(self) -> str:
        """What a page shows: "2026 Q3" (translated) for a quarter; the label otherwise."""
        if self.kind == QUARTER:
            return _("%(year)s Q%(number)s") % {"year": self.year, "number": self.number}
        return self.label

    # --- Bounds --------------------------------------------------------------------------------

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, _MONTHS_IN[self.kind] * (self.number - 1) + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.shifted(1).first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=SHANGHAI)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return self.shifted(1).start

    # The names the notification runs and the ledger grew up with.
    start_at = start
    end_at = end

    def contains(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def has_ended(self, *, today: dt.date | None = None) -> bool:
        return self.last_day < (today or shanghai_today())

    def as_of(self, now: dt.datetime | None = None) -> dt.datetime:
        """When figures about open cases are taken: the end of the period, or now while it runs."""
        now = now or timezone.now()
        return max(self.start, min(self.end, now))

    # --- Neighbours ----------------------------------------------------------------------------

    def shifted(self, periods: int) -> Period:
        """The period ``periods`` after this one (before, when negative), of the same kind."""
        per_year = 12 // _MONTHS_IN[self.kind]
        index = self.year * per_year + self.number - 1 + periods
        return Period(index // per_year, index % per_year + 1, self.kind)

    def previous(self) -> Period:
        return self.shifted(-1)

    def year_earlier(self) -> Period:
        return self.shifted(-(12 // _MONTHS_IN[self.kind]))


def _not_a_period(text: str, kinds: tuple[str, ...]) -> ValidationError:
    if kinds == (QUARTER,):
        return ValidationError(
            _("“%(value)s” is not a quarter. Enter a quarter such as 2026Q3.") % {"value": text},
            code="bad_quarter",
        )
    return ValidationError(
        _("“%(value)s” is not a period. Enter a month such as 2026-10 or a quarter such as 2026Q3.")
        % {"value": text},
        code="bad_period",
    )


class Quarter:
    """Quarters, made as ``Period``s of kind quarter (there is no separate quarter type):
    ``Quarter(2026, 3)``, ``Quarter.parse("2026Q3")``, ``Quarter.current()``."""

    def __new__(cls, year: int, number: int) -> Period:  # type: ignore[misc]
        return Period.quarter(year, number)

    @staticmethod
    def parse(text: str) -> Period:
        """ "2026Q3" -> the third quarter of 2026; a month or anything else is refused."""
        return Period.parse(text, kinds=(QUARTER,))

    @staticmethod
    def containing(moment: dt.datetime) -> Period:
        return Period.containing(moment, kind=QUARTER)

    @staticmethod
    def current(*, now: dt.datetime | None = None) -> Period:
        return Period.current(kind=QUARTER, now=now)


def shanghai_today() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date()


def period_parse(text: str) -> Period:
    """A month or a quarter as staff type it (see ``Period.parse``)."""
    return Period.parse(text)


def period_of(moment: dt.datetime, *, kind: str = MONTH) -> Period:
    """The month or quarter that contains an aware datetime, on the Shanghai clock."""
    return Period.containing(moment, kind=kind)


def previous_month(*, today: dt.date | None = None) -> Period:
    today = today or shanghai_today()
    last_of_previous = today.replace(day=1) - dt.timedelta(days=1)
    return Period.month(last_of_previous.year, last_of_previous.month)

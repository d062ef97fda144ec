"""The PRC working-day calendar: plain weekends, plus the exceptions staff keep in CalendarDay.

Only exceptions are stored (holidays on weekdays, make-up working weekends 调休). A year counts
them only once its CalendarYear row is marked complete; any other year falls back to plain
weekends and says so (``fallback_years``) — it never raises.

Counting follows Chinese procedural law: the day a period starts is not counted
(期间开始之日不计算在内), so ``add_working_days(d, n)`` counts from the day after ``d``.

Reads go through a ``WorkingCalendar`` snapshot made per call (or per recompute): no global
cache, so an edit in the admin is seen by the very next call.

Every edit announces itself after commit with the ``calendar_changed`` signal; the deadlines
listen (connected in CoreConfig.ready). The calendar sits beneath the deadlines and knows
nothing of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar
from chinese_calendar.constants import Holiday
from chinese_calendar.constants import holidays as package_holidays
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import actor_user
from core.models import CalendarDay, CalendarYear

REASON_WEEKEND = "weekend"
REASON_HOLIDAY = "holiday"  # a non-working CalendarDay without a name

_ONE_DAY = dt.timedelta(days=1)
# Sent after the commit of an edit that can move working days (an exception set or removed, a
# year marked complete or not, years loaded), with ``reason``: the text each moved deadline's
# history shows. The sender is the model edited (CalendarDay or CalendarYear).
calendar_changed = Signal()

# Days to load beyond a start date for n working days: weekends take 2 of every 7 days, and
# the longest run of holidays and weekends in a Chinese year is under 3 weeks.
_SLACK_DAYS = 30


@dataclass
class WorkingDayResult:
    due_date: dt.date
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)
    fallback_years: set[int] = field(default_factory=set)

    @property
    def fallback(self) -> bool:
        return bool(self.fallback_years)

    def skipped_json(self) -> list[dict[str, str]]:
        return [{"date": day.isoformat(), "reason": reason} for day, reason in self.skipped]


class WorkingCalendar:
    """A snapshot of the calendar over a date range: complete years and exceptions, one query each.

    The window grows (one more query) if a count runs past it.
    """

    def __init__(self) -> None:
        self._complete_years: set[int] | None = None
        self._exceptions: dict[dt.date, tuple[bool, str]] = {}
        self._first: dt.date | None = None
        self._last: dt.date | None = None

    @property
    def complete_years(self) -> set[int]:
        if self._complete_years is None:
            self._complete_years = set(
                CalendarYear.objects.filter(complete=True).values_list("year", flat=True)
            )
        return self._complete_years

    def load(self, first: dt.date, last: dt.date) -> None:
        """Make sure the exceptions from ``first`` to ``last`` (inclusive) are in memory."""
        if self._first is not None and self._first <= first and last <= self._last:
            return
        if self._first is None:
            missing = Q(date__range=(first, last))
        else:
            # Keep one contiguous window; fetch only the parts not yet in memory.
            first, last = min(first, self._first), max(last, self._last)
            missing = Q(date__gte=first, date__lt=self._first) | Q(date__gt=self._last, date__lte=last)
        rows = CalendarDay.objects.filter(missing).values_list("date", "is_working_day", "name")
        for day, working, name in rows:
            self._exceptions[day] = (working, name)
        self._first, self._last = first, last

    def day(self, day: dt.date) -> tuple[bool, str, bool]:
        """(is working day, reason it is off — "" when working, counted on weekends only)."""
        weekend = day.weekday() >= 5
        if day.year not in self.complete_years:
            return (not weekend, REASON_WEEKEND if weekend else "", True)
        if self._first is None or not (self._first <= day <= self._last):
            self.load(day, day + dt.timedelta(days=366))
        exception = self._exceptions.get(day)
        if exception is not None:
            working, name = exception
            return (working, "" if working else (name or REASON_HOLIDAY), False)
        return (not weekend, REASON_WEEKEND if weekend else "", False)


def _window_end(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(days=n * 7 // 5 + _SLACK_DAYS)


def add_working_days(start: dt.date, n: int, *, calendar: WorkingCalendar | None = None) -> WorkingDayResult:
    """The date ``n`` working days after ``start``; the start day itself is never counted."""
    if n < 0:
        raise ValueError("n must not be negative")
    calendar = calendar or WorkingCalendar()
    if n:
        calendar.load(start + _ONE_DAY, _window_end(start, n))
    result = WorkingDayResult(due_date=start)
    day, counted = start, 0
    while counted < n:
        day += _ONE_DAY
        working, reason, fallback = calendar.day(day)
        if fallback:
            result.fallback_years.add(day.year)
        if working:
            counted += 1
        else:
            result.skipped.append((day, reason))
    result.due_date = day
    return result


def is_working_day(day: dt.date) -> bool:
    calendar = WorkingCalendar()
    calendar.load(day, day)
    return calendar.day(day)[0]


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``.

    ``working_days_between(d, add_working_days(d, n).due_date) == n``.
    """
    if a == b:
        return 0
    sign, first, last = (1, a, b) if a < b else (-1, b, a)
    calendar = WorkingCalendar()
    calendar.load(first + _ONE_DAY, last)
    count, day = 0, first
    while day < last:
        day += _ONE_DAY
        count += calendar.day(day)[0]
    return sign * count


def years_without_data(years: Iterable[int]) -> set[int]:
    """The given years that are not marked complete, so count plain weekends only."""
    years = set(years)
    if not years:
        return set()
    return years - set(
        CalendarYear.objects.filter(year__in=years, complete=True).values_list("year", flat=True)
    )


def calendar_warnings(*, today: dt.date | None = None) -> list[str]:
    """Warnings for this year and next when they are not complete, for staff screens."""
    today = today or timezone.localdate()
    return [
        _(
            "No calendar data for %(year)s: deadlines falling in it count plain weekends only. "
            "Enter the holidays announced by the State Council, then mark the year complete."
        )
        % {"year": year}
        for year in sorted(years_without_data({today.year, today.year + 1}))
    ]


def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline is the end of its due day in the commission's time zone (settings.TIME_ZONE)."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=timezone.get_default_timezone())


# --- Loading from the chinese-calendar package ------------------------------------------------


def package_years() -> range:
    """The years the installed chinese-calendar package covers."""
    return range(min(package_holidays).year, max(package_holidays).year + 1)


def package_exceptions(year: int) -> list[tuple[dt.date, bool, str]]:
    """(date, is working day, name) for every exception to the weekday rule in one year."""

    def chinese(name: str | None) -> str:
        try:
            return Holiday(name).chinese
        except ValueError:
            return name or ""

    exceptions = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        if is_holiday and not weekend:
            exceptions.append((day, False, chinese(name)))
        elif weekend and chinese_calendar.is_workday(day):
            exceptions.append((day, True, f"{chinese(name)}调休上班" if name else "调休上班"))
        day += _ONE_DAY
    return exceptions


# --- Services: staff edits and loads; each announces the change after commit ------------------


def _announce_after_commit(*, sender: type[Model], reason: str) -> None:
    # After commit: the listeners (the deadlines' recompute) must read the edit, and a rolled
    # back edit must move nothing. ``send``, not ``send_robust``: a failing recompute is not
    # hidden.
    transaction.on_commit(lambda: calendar_changed.send(sender=sender, reason=reason))


def _year_counts(year: int) -> bool:
    return not years_without_data({year})


def _mark_year_edited_by_staff(year: int) -> None:
    # A later calendar_load must not overwrite a staff correction in a package-loaded year.
    CalendarYear.objects.filter(year=year, source=CalendarYear.Source.CHINESE_CALENDAR).update(
        source=CalendarYear.Source.STAFF
    )


def calendar_day_set(
    *, date: dt.date, is_working_day: bool, name: str, actor: AbstractBaseUser | None, note: str = ""
) -> CalendarDay:
    """Record or change one exception to the weekday rule; open deadlines follow after commit."""
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        before = (day.is_working_day, day.name) if day is not None else None
        day = day or CalendarDay(date=date)
        day.is_working_day, day.name, day.note, day.updated_by = is_working_day, name, note, actor_user(actor)
        day.full_clean()
        day.save()
        _mark_year_edited_by_staff(date.year)
        if before != (is_working_day, name) and _year_counts(date.year):
            if before is not None and before[0] == is_working_day:
                reason = _("Calendar changed: %(date)s renamed to %(name)s") % {
                    "date": date.isoformat(),
                    "name": name,
                }
            elif is_working_day:
                reason = _("Calendar changed: %(date)s is now a make-up working day (%(name)s)") % {
                    "date": date.isoformat(),
                    "name": name,
                }
            else:
                reason = _("Calendar changed: %(date)s is now a holiday (%(name)s)") % {
                    "date": date.isoformat(),
                    "name": name,
                }
            _announce_after_commit(sender=CalendarDay, reason=reason)
    return day


def calendar_days_delete(*, days: Iterable[CalendarDay], actor: AbstractBaseUser | None) -> int:
    """Remove exceptions, so those dates follow the weekday rule again; one recompute after commit."""
    with transaction.atomic():
        ids = [day.pk for day in days]
        rows = list(CalendarDay.objects.select_for_update().filter(pk__in=ids).order_by("date"))
        if not rows:
            return 0
        CalendarDay.objects.filter(pk__in=[row.pk for row in rows]).delete()
        for year in {row.date.year for row in rows}:
            _mark_year_edited_by_staff(year)
        counted = [row for row in rows if _year_counts(row.date.year)]
        if counted:
            _announce_after_commit(
                sender=CalendarDay,
                reason=_("Calendar changed: %(dates)s follow the weekday rule again")
                % {"dates": ", ".join(row.date.isoformat() for row in counted)},
            )
    return len(rows)


def calendar_day_delete(*, day: CalendarDay, actor: AbstractBaseUser | None) -> None:
    calendar_days_delete(days=[day], actor=actor)


def calendar_year_set(
    *, year: int, complete: bool, actor: AbstractBaseUser | None, source: str = CalendarYear.Source.STAFF
) -> CalendarYear:
    """Mark a year complete (its exceptions count) or not (plain weekends); deadlines follow."""
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        was_complete = bool(row and row.complete)
        if row is None:
            row = CalendarYear(year=year, source=source)
        row.complete = complete
        row.full_clean()
        row.save()
        if was_complete != complete:
            if complete:
                reason = _("Calendar changed: %(year)s is marked complete") % {"year": year}
            else:
                reason = _("Calendar changed: %(year)s is no longer marked complete") % {"year": year}
            _announce_after_commit(sender=CalendarYear, reason=reason)
    return row


def calendar_years_load(*, years: Iterable[int], force: bool = False) -> dict[int, str]:
    """Load years from the chinese-calendar package; idempotent.

    Returns what happened per year: "created", "updated", "unchanged" or "kept" (a year staff
    entered or corrected is kept unless ``force``). Raises ValueError for a year the package
    does not cover.
    """
    supported = package_years()
    years = sorted(set(years))
    outside = [year for year in years if year not in supported]
    if outside:
        covered = f"{supported.start}–{supported.stop - 1}"
        raise ValueError(f"chinese-calendar covers {covered}, not {', '.join(map(str, outside))}")
    outcome: dict[int, str] = {}
    changed: list[int] = []
    now = timezone.now()
    with transaction.atomic():
        rows = {row.year: row for row in CalendarYear.objects.select_for_update().filter(year__in=years)}
        existing: dict[int, dict[dt.date, CalendarDay]] = {year: {} for year in years}
        for day in CalendarDay.objects.filter(date__year__in=years):
            existing[day.date.year][day.date] = day
        for year in years:
            row = rows.get(year)
            if row is not None and row.source == CalendarYear.Source.STAFF and not force:
                outcome[year] = "kept"
                continue
            wanted = {day: (working, name) for day, working, name in package_exceptions(year)}
            have = existing[year]
            create = [
                CalendarDay(date=d, is_working_day=w, name=n) for d, (w, n) in wanted.items() if d not in have
            ]
            update = [
                day for d, day in have.items() if d in wanted and (day.is_working_day, day.name) != wanted[d]
            ]
            for day in update:
                day.is_working_day, day.name = wanted[day.date]
                day.updated_at = now
            delete = [day.pk for d, day in have.items() if d not in wanted]
            CalendarDay.objects.bulk_create(create)
            CalendarDay.objects.bulk_update(update, ["is_working_day", "name", "updated_at"])
            CalendarDay.objects.filter(pk__in=delete).delete()
            was_complete = bool(row and row.complete)
            if row is None:
                outcome[year] = "created"
                row = CalendarYear(year=year)
            else:
                outcome[year] = "updated" if (create or update or delete or not row.complete) else "unchanged"
            row.source, row.loaded_at, row.complete = CalendarYear.Source.CHINESE_CALENDAR, now, True
            row.save()
            if create or update or delete or not was_complete:
                changed.append(year)
        if changed:
            _announce_after_commit(
                sender=CalendarYear,
                reason=_("Calendar loaded from the chinese-calendar package: %(years)s")
                % {"years": ", ".join(map(str, changed))},
            )
    return outcome

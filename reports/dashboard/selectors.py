"""The leaders' quarterly dashboard and the public figures (政务公开), computed.

``Dashboard(quarter=…).generate()`` counts every figure of ``reports.dashboard.figures`` for the chosen
quarter, the previous quarter and the same quarter a year earlier, in total and per department,
category and channel. It counts with the figures' own conditions (``Count(filter=Q)``), so each
number equals what its drill-down lists.

The cost is fixed whatever the size of the data: per quarter one grouped aggregate over cases,
one over complaints received and one over complaints rated; then one query for the concluded
cases' dates (handling time), two for the working-day calendar, one aggregate each for
recommendations, talks and the liaison log, and one for the departments' names.

The formatters (HTML pages, workbooks) read the ``Line``/``Row`` lists built here, so the page,
the export and the public page show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import add

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, Func, IntegerField, Q
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.constants import MULTI
from django.utils import timezone

from casework.models import AccountabilityTalk, Case, Recommendation
from complaints.models import Complaint
from core.calendar import WorkingCalendar
from core.periods import SHANGHAI, Period
from core.stored_figures import figures_read
from liaison.models import Department, LiaisonVisit
from reports.dashboard.figures import (
    CASE,
    DERIVED,
    FIGURES,
    LIAISON,
    RECOMMENDATION,
    TALK,
    case_active,
    complaint_rated,
    complaint_received,
    figures_of,
)
from reports.inspection_figures import InspectionQuarter, count_inspections

CASE_KEYS = tuple(figures_of(CASE))
RECEIVED_KEYS = ("received", "liaison_complaints")
RATED_KEYS = ("rated", "rated_satisfied", "rated_basically", "rated_unsatisfied")
RECORD_MODELS = {RECOMMENDATION: Recommendation, TALK: AccountabilityTalk, LIAISON: LiaisonVisit}
GROUPS = ("department_id", "category", "channel")


# --- Counting ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every counted figure for one group: the whole quarter, a department, a category or a channel."""

    counts: Counter = field(default_factory=Counter)
    handling_days: int = 0
    handled: int = 0  # concluded cases whose working days are summed in handling_days

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def self_share(self) -> float | None:
        return self._share(self["self_handled"], self["self_handled"] + self["referred"])

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self["concluded_on_time"], self["concluded"])

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(self["rated_satisfied"] + self["rated_basically"], self["rated"])

    @property
    def average_handling_days(self) -> float | None:
        return self.handling_days / self.handled if self.handled else None

    def value(self, key: str) -> int | float | None:
        if key in DERIVED:
            return getattr(self, key)
        return self[key]


@dataclass
class QuarterFigures:
    quarter: Period
    as_of: dt.datetime
    total: Tally = field(default_factory=Tally)
    by_department: dict[int | None, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_channel: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    def add_sums(self, rows: Iterable[tuple], keys: tuple[str, ...]) -> None:
        """Rows of (department_id, category, channel, *counts, grouping) already summed per
        dimension by the database (see _counted_rows)."""
        tallies = (self.by_department, self.by_category, self.by_channel)
        for row in rows:
            *values, grouping = row
            dimension = _SETS[grouping]
            tally = self.total if dimension is None else tallies[dimension][values[dimension]]
            tally.counts.update(dict(zip(keys, values[3:], strict=True)))

    def add_rows(self, rows: Iterable[tuple], keys: tuple[str, ...]) -> None:
        """Rows of (department_id, category, channel, *counts in the order of ``keys``). A big
        commission has tens of thousands of such groups per quarter: the counts are summed as
        plain lists per dimension first, and go into the tallies once per dimension value."""
        total = [0] * len(keys)
        sums: tuple[dict, dict, dict] = ({}, {}, {})
        for department_id, category, channel, *counts in rows:
            total[:] = map(add, total, counts)
            for table, value in zip(sums, (department_id, category, channel), strict=True):
                current = table.get(value)
                if current is None:
                    table[value] = list(counts)
                else:
                    current[:] = map(add, current, counts)
        tallies = (self.by_department, self.by_category, self.by_channel)
        for tally, counts in [(self.total, total)] + [
            (tallies[i][value], counts) for i, table in enumerate(sums) for value, counts in table.items()
        ]:
            tally.counts.update(dict(zip(keys, counts, strict=True)))

    def add_handling(self, *, days: int, department_id, category, channel) -> None:
        for tally in (
            self.total,
            self.by_department[department_id],
            self.by_category[category],
            self.by_channel[channel],
        ):
            tally.handling_days += days
            tally.handled += 1


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    name: str
    is_key: bool


@dataclass
class DashboardReport:
    current: QuarterFigures
    previous: QuarterFigures
    year_earlier: QuarterFigures
    departments: dict[int, DepartmentInfo]
    generated_at: dt.datetime
    # Served from the database's copy because the cache was down: not refreshed until it is back.
    served_from_store: bool = False
    # Inspections of enterprises (reports.dashboard.inspections): current, previous, year earlier.
    inspections: list[InspectionQuarter] | None = None

    @property
    def quarter(self) -> Period:
        return self.current.quarter

    @property
    def chronological(self) -> list[QuarterFigures]:
        return [self.year_earlier, self.previous, self.current]

    @property
    def in_progress(self) -> bool:
        return self.current.as_of < self.current.quarter.end


class WorkingDayCounter:
    """Working days between pairs of dates with one calendar snapshot: a running count over the
    window makes each pair O(1). ``between(a, b)`` equals ``working_days_between(a, b)`` for
    ``a <= b``: working days after ``a`` up to and including ``b``."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        calendar = WorkingCalendar()
        # Both queries always run, whatever the window, so the dashboard's cost never varies.
        calendar.complete_years  # noqa: B018
        calendar.load(first, last)
        self.first = first
        self._running = [0]
        day = first
        while day < last:
            day += dt.timedelta(days=1)
            self._running.append(self._running[-1] + int(calendar.day(day)[0]))

    def between(self, a: dt.date, b: dt.date) -> int:
        return self._running[(b - self.first).days] - self._running[(a - self.first).days]


class _Grouping(Func):
    """GROUPING(department_id, category, channel): which grouping set a row sums. An aggregate
    for Django's purposes, so that it stays out of the GROUP BY."""

    function = "GROUPING"
    contains_aggregate = True
    output_field = IntegerField()


# GROUPING() of each set: a bit is set for each dimension summed over.
_SETS = {0b011: 0, 0b101: 1, 0b110: 2, 0b111: None}  # department, category, channel, total


class _GroupingSetsCompiler(SQLCompiler):
    """Django's compiler, grouping by each dimension alone and by none (the total) where it would
    group by all of them together: ``GROUP BY GROUPING SETS ((a), (b), (c), ())``. The terms are
    the ones Django compiles for the GROUP BY (with their parameters); the SELECT, the WHERE and
    the counts are Django's own, so nothing is rewritten after the fact."""

    def get_group_by(self, select, order_by):
        terms = super().get_group_by(select, order_by)
        sets = "".join(f"({sql}), " for sql, _params in terms)
        params = [param for _sql, term_params in terms for param in term_params]
        return [(f"GROUPING SETS ({sets}())", params)]


class _GroupingSetsQuery(Query):
    """A query compiled by ``_GroupingSetsCompiler`` (PostgreSQL only: SQLite has no GROUPING SETS)."""

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        if connection is None:
            connection = connections[using]
        return _GroupingSetsCompiler(self, connection, using, elide_empty)


def _fetch(query: Query, using: str) -> list[tuple]:
    # Rows as the driver returns them: Django's converters would be called for every count.
    compiler = query.get_compiler(using=using)
    return [row for chunk in compiler.execute_sql(MULTI) for row in chunk]


def _counted_rows(queryset, keys: tuple[str, ...], *, grouping_sets: bool) -> tuple[bool, list[tuple]]:
    """Counts of ``keys`` per (department, category, channel). With ``grouping_sets`` (PostgreSQL)
    the database sums them per dimension (GROUPING SETS): a big commission's quarter has tens of
    thousands of (department, category, channel) triples, and a few hundred departments,
    categories and channels. Returns (summed per dimension, rows)."""
    counts = {f"n_{key}": Count("pk", filter=condition) for key, condition in keys}
    names = [f"n_{key}" for key, _condition in keys]
    grouped = queryset.order_by().values(*GROUPS).annotate(**counts)
    if grouping_sets:
        summed = grouped.annotate(grouping=_Grouping(*GROUPS)).values_list(*GROUPS, *names, "grouping")
        return True, _fetch(summed.query.chain(klass=_GroupingSetsQuery), queryset.db)
    return False, _fetch(grouped.values_list(*GROUPS, *names).query, queryset.db)


def dashboard_report(quarter: Period, *, refresh: bool = False) -> DashboardReport:
    """The quarter's figures as every page, workbook and the public figures read them: computed
    at most ``DASHBOARD_FIGURES_SECONDS`` ago and kept in the cache. Counting every case of a
    big commission takes seconds (a million cases: many seconds), which no leader should wait
    for on each page, and which an anonymous visitor of /figures/ must not be able to cause at
    will. The beat task ``dashboard_figures_refresh`` recomputes the current and the previous
    quarter before their figures expire; the pages say when the figures were computed."""
    # v3: inspections added. v2: the cached report's classes moved module (reports.dashboard, core.periods);
    # an entry pickled by the previous layout must not be read back.
    # Also stored in the database (core.stored_figures): while the cache is down the pages serve
    # the last figures stored and say so (``served_from_store``).
    key = f"reports:dashboard:v3:{quarter.label}"
    report, from_store = figures_read(
        key,
        lambda: Dashboard(quarter=quarter, inspections=True).generate(),
        max_age=settings.DASHBOARD_FIGURES_SECONDS,
        refresh=refresh,
    )
    report.served_from_store = from_store
    return report


class Dashboard:
    """The quarterly figures: ``generate()`` returns a ``DashboardReport``."""

    def __init__(
        self,
        *,
        quarter: Period,
        now: dt.datetime | None = None,
        grouping_sets: bool | None = None,
        inspections: bool = False,
    ) -> None:
        self.quarter = quarter
        # The inspections of enterprises (five more statements): the pages' report has them.
        self.inspections = inspections
        self.now = now or timezone.now()
        # Sums per dimension in the database where it can (PostgreSQL); False is the portable
        # path SQLite takes, which the tests compare against.
        self.grouping_sets = connection.vendor == "postgresql" if grouping_sets is None else grouping_sets

    def generate(self) -> DashboardReport:
        quarters = [self.quarter, self.quarter.previous(), self.quarter.year_earlier()]
        figures = [QuarterFigures(quarter=q, as_of=q.as_of(self.now)) for q in quarters]
        for item in figures:
            self._count_cases(item)
            self._count_complaints(item)
        self._count_handling_time(figures)
        self._count_records(figures)
        inspections = count_inspections(quarters) if self.inspections else None
        seen = {pk for item in inspections or [] for pk in item.by_department}
        departments = self._departments(figures, also=seen)
        current, previous, year_earlier = figures
        return DashboardReport(
            current, previous, year_earlier, departments, generated_at=self.now, inspections=inspections
        )

    def _conditions(self, keys: Iterable[str], quarter: Period) -> dict[str, Q]:
        return {key: FIGURES[key].condition(quarter, self.now) for key in keys}

    def _count_cases(self, item: QuarterFigures) -> None:
        conditions = self._conditions(CASE_KEYS, item.quarter)
        # Every case figure implies one of these, so the WHERE only spares rows counted nowhere.
        scope = (
            case_active(item.quarter)
            | conditions["accepted"]
            | conditions["concluded"]
            | conditions["returned"]
        )
        self._add(item, Case.objects.filter(scope), conditions)

    def _count_complaints(self, item: QuarterFigures) -> None:
        for scope, keys in (
            (complaint_received(item.quarter), RECEIVED_KEYS),
            (complaint_rated(item.quarter), RATED_KEYS),
        ):
            self._add(item, Complaint.objects.filter(scope), self._conditions(keys, item.quarter))

    def _add(self, item: QuarterFigures, queryset, conditions: dict[str, Q]) -> None:
        summed, rows = _counted_rows(queryset, tuple(conditions.items()), grouping_sets=self.grouping_sets)
        if summed:
            item.add_sums(rows, tuple(conditions))
        else:
            item.add_rows(rows, tuple(conditions))

    def _count_handling_time(self, figures: list[QuarterFigures]) -> None:
        """Average handling time: the dates of every case concluded in the three quarters in one
        query, counted with one working-day calendar."""
        concluded = Q()
        for item in figures:
            concluded |= FIGURES["concluded"].condition(item.quarter, self.now)
        rows = list(Case.objects.filter(concluded).order_by().values_list("opened_at", "closed_at", *GROUPS))
        pairs = [
            (opened.astimezone(SHANGHAI).date(), closed.astimezone(SHANGHAI).date(), closed, groups)
            for opened, closed, *groups in rows
        ]
        first = min([item.quarter.first_day for item in figures] + [opened for opened, *_rest in pairs])
        last = max([item.quarter.last_day for item in figures] + [closed for _o, closed, *_rest in pairs])
        counter = WorkingDayCounter(first, last)
        bounds = [(item.quarter.start, item.quarter.end, item) for item in figures]
        for opened, closed_day, closed_at, (department_id, category, channel) in pairs:
            days = max(0, counter.between(opened, closed_day))
            for start, end, item in bounds:
                if start <= closed_at < end:
                    item.add_handling(
                        days=days, department_id=department_id, category=category, channel=channel
                    )

    def _count_records(self, figures: list[QuarterFigures]) -> None:
        for kind, model in RECORD_MODELS.items():
            keys = [key for key, figure in FIGURES.items() if figure.model == kind]
            totals = model._default_manager.aggregate(
                **{
                    f"n_{key}_{index}": Count("pk", filter=FIGURES[key].condition(item.quarter, self.now))
                    for index, item in enumerate(figures)
                    for key in keys
                }
            )
            for index, item in enumerate(figures):
                for key in keys:
                    item.total.counts[key] += totals[f"n_{key}_{index}"]

    def _departments(self, figures: list[QuarterFigures], also=frozenset()) -> dict[int, DepartmentInfo]:
        seen = {pk for item in figures for pk in item.by_department if pk is not None} | set(also)
        rows = Department.objects.filter(Q(is_key=True, is_active=True) | Q(pk__in=seen)).values_list(
            "id", "name", "is_key"
        )
        return {pk: DepartmentInfo(pk, name, is_key) for pk, name, is_key in rows}

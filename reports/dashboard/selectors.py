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
from collections.abc import Iterable
from dataclasses import dataclass

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
    FIGURES,
    LIAISON,
    RECOMMENDATION,
    TALK,
    case_active,
    complaint_rated,
    complaint_received,
    figures_of,
)
from reports.dashboard.live import count_live
from reports.dashboard.tally import QuarterFigures
from reports.inspection_figures import InspectionQuarter, count_inspections
from reports.live_sums import live_available

CASE_KEYS = tuple(figures_of(CASE))
RECEIVED_KEYS = ("received", "liaison_complaints")
RATED_KEYS = ("rated", "rated_satisfied", "rated_basically", "rated_unsatisfied")
RECORD_MODELS = {RECOMMENDATION: Recommendation, TALK: AccountabilityTalk, LIAISON: LiaisonVisit}
GROUPS = ("department_id", "category", "channel")


# --- Counting ---------------------------------------------------------------------------------


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
    # Inspections of enterprises (reports.dashboard.inspections): current, previous, year earlier.
    inspections: list[InspectionQuarter] | None = None
    # When the inspection figures were counted (they are kept for DASHBOARD_FIGURES_SECONDS).
    inspections_computed_at: dt.datetime | None = None

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


def dashboard_report(quarter: Period) -> DashboardReport:
    """The quarter's figures as every page, workbook and the public figures read them, as of now.
    On PostgreSQL the case and complaint figures come from the sums the triggers keep as work
    happens (``reports.live_sums``): one statement per quarter, whatever the number of cases.
    Elsewhere (the embedded SQLite default, a small office) they are counted from the
    tables."""
    return Dashboard(quarter=quarter, inspections=True).generate()


def public_dashboard_report(quarter: Period) -> DashboardReport:
    """The quarter's figures for the public page (/figures/, no login): the live figures as
    ``dashboard_report`` reads them, kept ``PUBLIC_FIGURES_SECONDS`` in the cache (and stored,
    for when the cache is down), so that anonymous visits, however many, cost one live read a
    minute per quarter. The page says as of when."""
    seconds = settings.PUBLIC_FIGURES_SECONDS
    if seconds <= 0:
        return dashboard_report(quarter)
    report, _from_store = figures_read(
        f"reports:figures:public:v1:{quarter.label}", lambda: dashboard_report(quarter), max_age=seconds
    )
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
        live: bool = True,
    ) -> None:
        self.quarter = quarter
        # Read the case and complaint figures from the sums kept as work happens where there are
        # some (PostgreSQL, a quarter that has begun, now); live=False counts the tables (the
        # recount the tests compare with).
        self.live = live and now is None
        # The inspections of enterprises (five more statements, when not in the cache): the pages'
        # report has them.
        self.inspections = inspections
        self.inspections_computed_at: dt.datetime | None = None
        self.now = now or timezone.now()
        # Sums per dimension in the database where it can (PostgreSQL); False is the portable
        # path SQLite takes, which the tests compare against.
        self.grouping_sets = connection.vendor == "postgresql" if grouping_sets is None else grouping_sets

    def generate(self) -> DashboardReport:
        quarters = [self.quarter, self.quarter.previous(), self.quarter.year_earlier()]
        figures = [QuarterFigures(quarter=q, as_of=q.as_of(self.now)) for q in quarters]
        counted = []
        for item in figures:
            if self.live and live_available(item.quarter, self.now):
                count_live(item, self.now)
            else:
                self._count_cases(item)
                self._count_complaints(item)
                counted.append(item)
        if counted:
            self._count_handling_time(counted)
        self._count_records(figures)
        inspections = self._inspections(quarters) if self.inspections else None
        seen = {pk for item in inspections or [] for pk in item.by_department}
        departments = self._departments(figures, also=seen)
        current, previous, year_earlier = figures
        return DashboardReport(
            current,
            previous,
            year_earlier,
            departments,
            generated_at=self.now,
            inspections=inspections,
            inspections_computed_at=self.inspections_computed_at,
        )

    def _inspections(self, quarters: list[Period]):
        """The inspections of enterprises: counted from their tables (not kept as work happens,
        unlike the case figures), so computed at most ``DASHBOARD_FIGURES_SECONDS`` ago and kept
        in the cache and the database (core.stored_figures); the section says when."""
        key = "reports:dashboard:inspections:v1:" + ",".join(q.label for q in quarters)
        counted, _from_store = figures_read(
            key,
            lambda: (timezone.now(), count_inspections(quarters)),
            max_age=settings.DASHBOARD_FIGURES_SECONDS,
        )
        self.inspections_computed_at, inspections = counted
        return inspections

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

"""The leaders' quarterly dashboard and the public figures (政务公开), computed.

``Dashboard(quarter=…).generate()`` counts every figure of ``casework.figures`` for the chosen
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
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import add
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Func, IntegerField, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from casework.figures import (
    ADMIN_CHANGELISTS,
    CASE,
    FIGURES,
    LIAISON,
    NONE,
    RECOMMENDATION,
    SHANGHAI,
    TALK,
    Quarter,
    Selection,
    case_active,
    complaint_rated,
    complaint_received,
    figures_of,
)
from casework.models import AccountabilityTalk, Case, Recommendation
from complaints.models import Category, Channel, Complaint
from core.calendar import WorkingCalendar
from liaison.models import Department, LiaisonVisit

CASE_KEYS = tuple(figures_of(CASE))
RECEIVED_KEYS = ("received", "liaison_complaints")
RATED_KEYS = ("rated", "rated_satisfied", "rated_basically", "rated_unsatisfied")
RECORD_MODELS = {RECOMMENDATION: Recommendation, TALK: AccountabilityTalk, LIAISON: LiaisonVisit}
GROUPS = ("department_id", "category", "channel")

# Derived figures: computed from counted ones; they drill into the list they are a share of.
SELF_SHARE, ON_TIME_RATE, SATISFACTION_RATE, AVERAGE_DAYS = (
    "self_share",
    "on_time_rate",
    "satisfaction_rate",
    "average_handling_days",
)
DERIVED = {
    SELF_SHARE: (
        pgettext_lazy("dashboard", "Self-handled share"),
        "self_handled",
        pgettext_lazy(
            "dashboard",
            "Self-handled cases as a share of the cases accepted in the quarter whose disposition is "
            "decided (self-handled or referred).",
        ),
    ),
    ON_TIME_RATE: (
        pgettext_lazy("dashboard", "On-time rate"),
        "concluded",
        pgettext_lazy(
            "dashboard", "Cases concluded on time as a share of the cases concluded in the quarter."
        ),
    ),
    SATISFACTION_RATE: (
        pgettext_lazy("dashboard", "Satisfaction rate"),
        "rated",
        pgettext_lazy(
            "dashboard",
            "Satisfied and basically satisfied as a share of the complaints rated in the quarter.",
        ),
    ),
    AVERAGE_DAYS: (
        pgettext_lazy("dashboard", "Average handling time (working days)"),
        "concluded",
        pgettext_lazy(
            "dashboard",
            "Working days from opening to conclusion, averaged over the cases concluded in the "
            "quarter. The day a case opens is not counted; holidays are skipped and make-up working "
            "days counted, on the commission's calendar (Shanghai dates).",
        ),
    ),
}
PERCENT, COUNT, DAYS = "percent", "count", "days"


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
    quarter: Quarter
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

    @property
    def quarter(self) -> Quarter:
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
_GROUP_BY = re.compile(r" GROUP BY 1, 2, 3$")


def _counted_rows(queryset, keys: tuple[str, ...]) -> tuple[bool, list[tuple]]:
    """Counts of ``keys`` per (department, category, channel). On PostgreSQL the database sums
    them per dimension (GROUPING SETS): a big commission's quarter has tens of thousands of
    (department, category, channel) triples, and a few hundred departments, categories and
    channels. Rows come as the driver returns them: Django's converters would be called for
    every count. Returns (summed per dimension, rows)."""
    counts = {f"n_{key}": Count("pk", filter=condition) for key, condition in keys}
    names = [f"n_{key}" for key, _condition in keys]
    grouped = queryset.order_by().values(*GROUPS).annotate(**counts)
    if connection.vendor == "postgresql":
        query = grouped.annotate(grouping=_Grouping(*GROUPS)).values_list(*GROUPS, *names, "grouping")
        sql, params = query.query.sql_with_params()
        if _GROUP_BY.search(sql):
            sql = _GROUP_BY.sub(" GROUP BY GROUPING SETS ((1), (2), (3), ())", sql)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return True, cursor.fetchall()
    sql, params = grouped.values_list(*GROUPS, *names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return False, cursor.fetchall()


def dashboard_report(quarter: Quarter, *, refresh: bool = False) -> DashboardReport:
    """The quarter's figures as every page, workbook and the public figures read them: computed
    at most ``DASHBOARD_FIGURES_SECONDS`` ago and kept in the cache. Counting every case of a
    big commission takes seconds (a million cases: many seconds), which no leader should wait
    for on each page, and which an anonymous visitor of /figures/ must not be able to cause at
    will. The beat task ``dashboard_figures_refresh`` recomputes the current and the previous
    quarter before their figures expire; the pages say when the figures were computed."""
    key = f"reports:dashboard:{quarter.label}"
    if not refresh:
        report = cache.get(key)
        if report is not None:
            return report
    report = Dashboard(quarter=quarter).generate()
    cache.set(key, report, timeout=settings.DASHBOARD_FIGURES_SECONDS)
    return report


class Dashboard:
    """The quarterly figures: ``generate()`` returns a ``DashboardReport``."""

    def __init__(self, *, quarter: Quarter, now: dt.datetime | None = None) -> None:
        self.quarter = quarter
        self.now = now or timezone.now()

    def generate(self) -> DashboardReport:
        quarters = [self.quarter, self.quarter.previous(), self.quarter.year_earlier()]
        figures = [QuarterFigures(quarter=q, as_of=q.as_of(self.now)) for q in quarters]
        for item in figures:
            self._count_cases(item)
            self._count_complaints(item)
        self._count_handling_time(figures)
        self._count_records(figures)
        departments = self._departments(figures)
        current, previous, year_earlier = figures
        return DashboardReport(current, previous, year_earlier, departments, generated_at=self.now)

    def _conditions(self, keys: Iterable[str], quarter: Quarter) -> dict[str, Q]:
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

    @staticmethod
    def _add(item: QuarterFigures, queryset, conditions: dict[str, Q]) -> None:
        summed, rows = _counted_rows(queryset, tuple(conditions.items()))
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

    def _departments(self, figures: list[QuarterFigures]) -> dict[int, DepartmentInfo]:
        seen = {pk for item in figures for pk in item.by_department if pk is not None}
        rows = Department.objects.filter(Q(is_key=True, is_active=True) | Q(pk__in=seen)).values_list(
            "id", "name", "is_key"
        )
        return {pk: DepartmentInfo(pk, name, is_key) for pk, name, is_key in rows}


# --- What the pages and workbooks show ---------------------------------------------------------


@dataclass
class Number:
    """One number on a page: its value, how to show it and, for staff, the list behind it."""

    value: int | float | None
    kind: str = COUNT
    selection: Selection | None = None
    url: str = ""

    @property
    def text(self) -> str:
        return format_value(self.value, self.kind)


def format_value(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:
        return f"{value * 100:.1f}%"
    if kind == DAYS:
        return f"{value:.1f}"
    return str(value)


def format_change(current, earlier, kind: str) -> str:
    if current is None or earlier is None:
        return "—"
    difference = current - earlier
    if kind == PERCENT:
        return _("%(change)s pp") % {"change": f"{difference * 100:+.1f}"}
    if kind == DAYS:
        return f"{difference:+.1f}"
    return f"{difference:+d}"


def kind_of(key: str) -> str:
    if key == AVERAGE_DAYS:
        return DAYS
    return PERCENT if key in DERIVED else COUNT


def label_of(key: str) -> str:
    return str(DERIVED[key][0]) if key in DERIVED else str(FIGURES[key].label)


def definition_of(key: str) -> str:
    return str(DERIVED[key][2]) if key in DERIVED else str(FIGURES[key].definition)


Linker = Callable[[Selection], str]


def drilldown_url(selection: Selection) -> str:
    """The admin list that lists exactly the rows of ``selection``."""
    return f"{_changelist_url(selection.figure.model)}?{urlencode(selection.admin_params())}"


@functools.lru_cache(maxsize=16)
def _changelist_url(model: str) -> str:
    return reverse(ADMIN_CHANGELISTS[model])


def number(tally: Tally, key: str, quarter: Quarter, *, link: Linker | None = None, **dimensions) -> Number:
    """``key``'s number in ``tally``; with ``link``, the URL of the list behind it."""
    value = tally.value(key)
    figure_key = DERIVED[key][1] if key in DERIVED else key
    # A rate of nothing ("—") has no list behind it worth opening.
    selection = Selection.build(figure_key, quarter, **dimensions) if link and value is not None else None
    return Number(value, kind_of(key), selection, link(selection) if selection else "")


@dataclass
class Line:
    """A headline figure in the chosen quarter, the previous one and a year earlier."""

    key: str
    label: str
    definition: str
    current: Number
    previous: Number
    year_earlier: Number
    indent: bool = False

    @property
    def change_previous(self) -> str:
        return format_change(self.current.value, self.previous.value, self.current.kind)

    @property
    def change_year(self) -> str:
        return format_change(self.current.value, self.year_earlier.value, self.current.kind)


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line]


# (section key, title, [(figure key, indented)])
SECTIONS = [
    (
        "intake",
        pgettext_lazy("dashboard", "Intake"),
        [("received", False), ("accepted", False)],
    ),
    (
        "disposition",
        pgettext_lazy("dashboard", "Disposition of cases"),
        [
            ("self_handled", False),
            ("referred", False),
            ("transferred", True),
            ("assigned", True),
            ("undecided", False),
            (SELF_SHARE, False),
        ],
    ),
    (
        "timeliness",
        pgettext_lazy("dashboard", "Timeliness"),
        [
            ("concluded", False),
            ("concluded_on_time", True),
            ("concluded_late", True),
            (ON_TIME_RATE, False),
            ("open", False),
            ("open_in_time", True),
            ("open_late", True),
            (AVERAGE_DAYS, False),
        ],
    ),
    (
        "supervision",
        pgettext_lazy("dashboard", "Supervision"),
        [
            ("escalated", False),
            ("escalated_1", True),
            ("escalated_2", True),
            ("escalated_3", True),
            ("returned", False),
            ("recommendations_issued", False),
            ("recommendations_rectified", True),
            ("talks", False),
        ],
    ),
    (
        "liaison",
        pgettext_lazy("dashboard", "Liaison activity"),
        [
            ("liaison_entries", False),
            ("liaison_visits", True),
            ("liaison_feedback", True),
            ("liaison_meetings", True),
            ("liaison_complaints", False),
        ],
    ),
    (
        "satisfaction",
        pgettext_lazy("dashboard", "Satisfaction"),
        [
            ("rated", False),
            ("rated_satisfied", True),
            ("rated_basically", True),
            ("rated_unsatisfied", True),
            (SATISFACTION_RATE, False),
        ],
    ),
]

PUBLIC_LINES = ["received", "accepted", "concluded", ON_TIME_RATE, AVERAGE_DAYS, "rated", SATISFACTION_RATE]


def line(report: DashboardReport, key: str, *, link: Linker | None = None, indent: bool = False) -> Line:
    numbers = [
        number(item.total, key, item.quarter, link=link)
        for item in (report.current, report.previous, report.year_earlier)
    ]
    return Line(key, label_of(key), definition_of(key), *numbers, indent=indent)


def sections(report: DashboardReport, *, link: Linker | None = None) -> list[Section]:
    return [
        Section(key, str(title), [line(report, figure, link=link, indent=indent) for figure, indent in lines])
        for key, title, lines in SECTIONS
    ]


def public_lines(report: DashboardReport) -> list[Line]:
    return [line(report, key) for key in PUBLIC_LINES]


# --- Breakdowns ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a breakdown: a category, a channel or a department."""

    label: str
    cells: dict[str, Number]
    value: str | None = None  # the dimension's value ("fines", "web", a department id, "none")
    is_key: bool = False
    rank: int | None = None


CATEGORY_COLUMNS = ["received", "accepted", "concluded", ON_TIME_RATE]
CHANNEL_COLUMNS = ["received", "accepted", "concluded"]
LEAGUE_COLUMNS = [
    "received",
    "accepted",
    "concluded",
    "concluded_on_time",
    ON_TIME_RATE,
    "open_late",
    "returned",
    "rated",
    SATISFACTION_RATE,
    AVERAGE_DAYS,
]
PUBLIC_LEAGUE_COLUMNS = ["received", "accepted", "concluded", ON_TIME_RATE, "rated", SATISFACTION_RATE]
# Compared over the three quarters in the category and channel tables.
TREND_KEY = "received"


def column_labels(columns: list[str]) -> list[str]:
    return [label_of(key) for key in columns]


def _cells(tally: Tally, columns, quarter, link, **dimension) -> dict[str, Number]:
    return {key: number(tally, key, quarter, link=link, **dimension) for key in columns}


def _with_trend(report: DashboardReport, cells: dict[str, Number], group: str, value, link, **dimension):
    for name, item in (("previous", report.previous), ("year_earlier", report.year_earlier)):
        tally = getattr(item, group).get(value) or Tally()
        cells[f"{TREND_KEY}_{name}"] = number(tally, TREND_KEY, item.quarter, link=link, **dimension)
    return cells


def _active(report: DashboardReport, group: str, value) -> bool:
    return any(
        sum((getattr(item, group).get(value) or Tally()).counts.values()) for item in report.chronological
    )


def category_rows(
    report: DashboardReport, *, columns=CATEGORY_COLUMNS, link: Linker | None = None
) -> list[Row]:
    """Categories with any figure in the three quarters, in the order of the category list."""
    rows = []
    for value, label in Category.choices:
        if not _active(report, "by_category", value):
            continue
        tally = report.current.by_category.get(value) or Tally()
        cells = _cells(tally, columns, report.quarter, link, category=value)
        rows.append(
            Row(str(label), _with_trend(report, cells, "by_category", value, link, category=value), value)
        )
    return rows


def channel_rows(
    report: DashboardReport, *, columns=CHANNEL_COLUMNS, link: Linker | None = None
) -> list[Row]:
    rows = []
    for value, label in [*Channel.choices, ("", _("No channel recorded"))]:
        if not _active(report, "by_channel", value):
            continue
        dimension = {"channel": value or NONE}
        tally = report.current.by_channel.get(value) or Tally()
        cells = _cells(tally, columns, report.quarter, link, **dimension)
        rows.append(
            Row(str(label), _with_trend(report, cells, "by_channel", value, link, **dimension), value or NONE)
        )
    return rows


def league_rows(
    report: DashboardReport, *, columns=LEAGUE_COLUMNS, link: Linker | None = None, ends: int | None = None
) -> list[Row]:
    """The department league table for the chosen quarter: every key department and every
    department with a figure in it; ranked by on-time rate, then satisfaction rate, then fewer
    returned reports. Departments with nothing concluded are listed after the ranked ones,
    unranked; complaints naming a unit not in the directory come last.

    With ``ends``, only the first and the last ``ends`` ranked departments and every key
    department are listed (a city has hundreds of units: the page shows the ends of the table,
    the workbook and "show all" the whole of it). Ranks stay those of the whole table; the cells
    are built only for the rows listed."""
    current = report.current.by_department
    entries = []
    for pk in _league_ids(report):
        info = report.departments.get(pk) or DepartmentInfo(pk, str(pk), False)
        entries.append((current.get(pk) or Tally(), info))

    def order(entry):
        tally, info = entry
        on_time, satisfaction = tally.on_time_rate, tally.satisfaction_rate
        return (
            on_time is None,
            -(on_time or 0),
            satisfaction is None,
            -(satisfaction or 0),
            tally["returned"],
            info.name,
        )

    entries.sort(key=order)
    ranked_count = sum(1 for tally, _info in entries if tally.on_time_rate is not None)
    rows = []
    for position, (tally, info) in enumerate(entries, start=1):
        rank = position if tally.on_time_rate is not None else None
        shown = (
            ends is None or info.is_key or (rank is not None and (rank <= ends or rank > ranked_count - ends))
        )
        if shown:
            cells = _cells(tally, columns, report.quarter, link, department=info.id)
            rows.append(Row(info.name, cells, str(info.id), info.is_key, rank))
    outside = current.get(None)
    if outside is not None and sum(outside.counts.values()):
        rows.append(
            Row(
                _("Units not in the directory"),
                _cells(outside, columns, report.quarter, link, department=NONE),
                NONE,
            )
        )
    return rows


def _league_ids(report: DashboardReport) -> set[int]:
    """The departments of the whole league table: every key department, every one with a figure."""
    ids = {pk for pk, info in report.departments.items() if info.is_key}
    ids |= {
        pk
        for pk, tally in report.current.by_department.items()
        if pk is not None and sum(tally.counts.values())
    }
    return ids


def league_size(report: DashboardReport) -> int:
    """How many departments the whole league table lists."""
    return len(_league_ids(report))


def busiest_departments(report: DashboardReport, *, limit: int, link: Linker | None = None) -> list[Row]:
    """The departments with the most complaints received in the quarter, and every key
    department: the chart's bars (a bar per unit of a whole city would be unreadable)."""
    current = report.current.by_department
    received = sorted(
        ((tally["received"], pk) for pk, tally in current.items() if pk is not None and tally["received"]),
        key=lambda entry: (-entry[0], entry[1]),
    )
    ids = [pk for _count, pk in received[:limit]]
    ids += [pk for pk, info in report.departments.items() if info.is_key and pk not in ids]
    rows = []
    for pk in ids:
        info = report.departments.get(pk) or DepartmentInfo(pk, str(pk), False)
        tally = current.get(pk) or Tally()
        rows.append(
            Row(
                info.name,
                _cells(tally, ["received"], report.quarter, link, department=pk),
                str(pk),
                info.is_key,
            )
        )
    return rows


# --- Charts' data ------------------------------------------------------------------------------


def trend_series(report: DashboardReport) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Received, accepted and concluded over the three quarters, oldest first."""
    quarters = [item.quarter.display for item in report.chronological]
    series = [
        (label_of(key), [item.total[key] for item in report.chronological])
        for key in ("received", "accepted", "concluded")
    ]
    return quarters, series

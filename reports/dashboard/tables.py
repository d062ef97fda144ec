"""What the dashboard's pages and workbooks show: the counted figures of
``reports.dashboard.selectors`` as lines, sections, breakdown rows and chart series, each number
with the admin list behind it (the drill-down)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from complaints.models import Category, Channel
from core.periods import Period
from reports import inspection_figures
from reports.dashboard.figures import (
    ADMIN_CHANGELISTS,
    AVERAGE_DAYS,
    COUNT,
    DAYS,
    DERIVED,
    FIGURES,
    NONE,
    ON_TIME_RATE,
    PERCENT,
    PUBLIC_LINES,
    SATISFACTION_RATE,
    SECTIONS,
    Selection,
)
from reports.dashboard.selectors import DashboardReport, DepartmentInfo
from reports.dashboard.tally import Tally

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


def number(tally: Tally, key: str, quarter: Period, *, link: Linker | None = None, **dimensions) -> Number:
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


# --- Inspections of enterprises (reports.dashboard.inspections) ---------------------------------


def _inspection_number(
    tally, key: str, quarter: Period, *, link: bool, department=None, ratings: bool = False
) -> Number:
    value = tally.value(key) if tally is not None else None
    kind = inspection_figures.kind_of(key)
    url = ""
    if link and value is not None:
        url = inspection_figures.drilldown(key, quarter, department, ratings=ratings)
    return Number(value, DAYS if kind == inspection_figures.SCORE else kind, None, url)


def inspection_lines(
    report: DashboardReport, *, keys=None, link: bool = False, ratings: bool = False
) -> list[Line]:
    """The inspection figures over the three quarters; with ``link``, each count links to the
    admin list of exactly its rows where the list's filters can say so (the ratings' list only
    with ``ratings``: for who may read individual ratings)."""
    quarters = report.inspections or []
    if len(quarters) != 3:
        return []
    rows = inspection_figures.LINES if keys is None else [(key, False) for key in keys]
    lines = []
    for key, indent in rows:
        numbers = [
            _inspection_number(item.total, key, item.quarter, link=link, ratings=ratings) for item in quarters
        ]
        label, definition = str(inspection_figures.LABELS[key]), inspection_figures.definition_of(key)
        lines.append(Line(key, label, definition, *numbers, indent=indent))
    return lines


def inspection_league_rows(report: DashboardReport, *, columns=None, link: bool = False) -> list[Row]:
    """One row per department with an inspection, a flag or a rating in the quarter, by name."""
    columns = inspection_figures.LEAGUE_COLUMNS if columns is None else columns
    current = (report.inspections or [None])[0]
    if current is None:
        return []
    rows = []
    for pk, tally in current.by_department.items():
        if not (sum(tally.counts.values()) or tally.flag_count):
            continue
        info = report.departments.get(pk) or DepartmentInfo(pk, str(pk), False)
        cells = {
            key: _inspection_number(tally, key, current.quarter, link=link, department=pk) for key in columns
        }
        rows.append(Row(info.name, cells, str(pk), info.is_key))
    return sorted(rows, key=lambda row: row.label)


def inspection_column_labels(columns) -> list[str]:
    return [str(inspection_figures.LABELS[key]) for key in columns]

"""The pack of a quarter's dispatch meeting (调度会), generated from live data: formatted as a
printable page (templates/reports/ledger/pack.html) and as a workbook
(``reports.ledger.workbooks``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.campaigns.selectors import ClosedCampaignRow, closed_campaign_figures
from casework.models import Case
from casework.selectors import case_list
from core.periods import PERIOD_TIMEZONE, Period, Quarter, period_parse
from liaison.models import Department, Office
from reports.activity_figures import ActivityFigures, activity_figures
from reports.case_conditions import (
    case_accepted,
    case_concluded,
    case_open,
    case_open_late,
    late_referrals_at,
)
from reports.directory_figures import DirectoryFigures, directory_figures
from reports.inspection_figures import InspectionTally, count_inspections
from reports.ledger.selectors import can_see_ledger, ledger_task_list
from reports.live_sums import live_available, office_counts
from reports.models import DispatchMeeting, LedgerTask
from reports.openness_figures import VIEW_PERMISSION as OPENNESS_PERMISSION
from reports.openness_figures import OpennessFigures, openness_figures

T = LedgerTask.Status
# Seed §四: offices report progress and problems at each meeting; an open task with no progress
# note for this long is listed among the problems.
STALE_AFTER_DAYS = 30
# The printable pack lists each office's most overdue cases, this many, and links to the rest in
# the case list (a city's commission can have thousands); the workbook lists them all.
OVERDUE_CASES_SHOWN = 20


@dataclass
class CaseFigures:
    """One office's (or unit's) cases: opened and concluded in the quarter, open and overdue now,
    as the dashboard counts them (``reports.case_conditions``): accepted, concluded, open and open
    and late."""

    opened: int = 0
    concluded: int = 0
    open_now: int = 0
    overdue_now: int = 0

    def __add__(self, other: CaseFigures) -> CaseFigures:
        return CaseFigures(
            self.opened + other.opened,
            self.concluded + other.concluded,
            self.open_now + other.open_now,
            self.overdue_now + other.overdue_now,
        )


@dataclass
class PackTask:
    task: LedgerTask
    overdue: bool
    stale: bool  # open, and no progress noted for STALE_AFTER_DAYS days
    last_progress_on: dt.date  # the latest note's date, or the day the task was created
    days_overdue: int = 0  # calendar days after the due date


@dataclass
class PackCase:
    case: Case
    due_date: dt.date
    days_overdue: int


@dataclass
class OfficeSection:
    office: Office | None
    name: str
    tasks: list[PackTask] = field(default_factory=list)
    figures: CaseFigures = field(default_factory=CaseFigures)
    overdue_cases: list[PackCase] = field(default_factory=list)
    # The overdue cases counted but not listed (a pack made with ``overdue_cases_shown``).
    overdue_cases_not_listed: int = 0

    @property
    def head(self) -> str:
        head = self.office.head if self.office else None
        return (head.get_full_name() or head.username) if head else ""

    @property
    def overdue_tasks(self) -> list[PackTask]:
        return [item for item in self.tasks if item.overdue]

    @property
    def problems(self) -> list[PackTask]:
        return [item for item in self.tasks if item.stale]

    @property
    def open_tasks(self) -> int:
        return sum(1 for item in self.tasks if item.task.is_open)

    @property
    def done_tasks(self) -> int:
        return sum(1 for item in self.tasks if item.task.status == T.DONE)

    @property
    def is_empty(self) -> bool:
        return not self.tasks and self.figures == CaseFigures()


@dataclass
class Pack:
    meeting: DispatchMeeting
    period: Period
    today: dt.date
    generated_at: dt.datetime
    sections: list[OfficeSection]
    # The quarter in progress, in which "open now" and "overdue now" are the dashboard's figures.
    current: Period
    ledger_visible: bool
    cases_visible: bool
    stale_after_days: int = STALE_AFTER_DAYS
    # The key departments (工商、税务、质监、环保、城建、交通 …), supervised more closely.
    key_departments: list[tuple[str, CaseFigures]] = field(default_factory=list)
    # Inspections of enterprises in the period (reports.dashboard.inspections): the whole and
    # each department with any; for who reads inspections. A department's average rating is
    # shown only from INSPECTION_RATINGS_MIN_AGGREGATE ratings.
    inspections: dict | None = None
    inspection_departments: list[dict] = field(default_factory=list)
    # Openness checks in the period (reports.openness_figures): pass rates per unit and criterion,
    # for who reads openness findings.
    openness: OpennessFigures | None = None
    # Trainings and award activities in the period (issue 16), for who reads the filings.
    activities: ActivityFigures | None = None
    # Complaints about associations and intermediaries and the conduct hotline's calls in the
    # period (reports.directory_figures, every association), for who may see complaints.
    directory: DirectoryFigures | None = None
    # The democratic appraisal campaigns closed in the period (aggregates per department), for
    # who reads campaigns; None for anyone else.
    appraisal: list[ClosedCampaignRow] | None = None

    @property
    def totals(self) -> CaseFigures:
        return sum((section.figures for section in self.sections), CaseFigures())

    @property
    def task_count(self) -> int:
        return sum(len(section.tasks) for section in self.sections)

    @property
    def overdue_task_count(self) -> int:
        return sum(len(section.overdue_tasks) for section in self.sections)

    @property
    def problem_count(self) -> int:
        return sum(len(section.problems) for section in self.sections)


# The pack's inspection figures in the order its page and its workbook give them.
INSPECTION_PACK_KEYS = ("inspections", "enterprises", "joint", "no_filing", "flags", "above_cap")


def _inspection_row(name: str, tally: InspectionTally) -> dict:
    return {
        "name": name,
        "inspections": tally["inspections"],
        "enterprises": tally["enterprises"],
        "joint": tally["joint"],
        "no_filing": tally["no_filing"],
        "above_cap": tally["above_cap"],
        "flags": tally.flag_count,
        "flagged_share": "—" if tally.flagged_share is None else f"{tally.flagged_share * 100:.1f}%",
        "average_rating": "—" if tally.shown_average_rating is None else f"{tally.shown_average_rating:.1f}",
    }


class DispatchPack:
    """The pack of a quarter's dispatch meeting, generated from live data. Per office:

    (a) ledger progress — its open tasks and those done since the quarter began, each with its
        status, latest progress note and percentage, and whether it is overdue;
    (b) its cases' figures — opened in the quarter, concluded in the quarter (Asia/Shanghai
        boundaries), open now and overdue now (open with a referral past its due date), the
        dashboard's accepted, concluded, open and open-and-late;
    (c) what is overdue (tasks and cases) and the problems: open tasks with no progress noted
        for 30 days.

    The case figures are read from the sums kept as work happens (``reports.live_sums``, per
    office and per unit, PostgreSQL): one statement when the meeting's quarter is the one in
    progress, two otherwise (its counts, and now's). ``live=False``, and SQLite, count them from
    the tables with the same conditions (two statements). Otherwise set-based too: offices, tasks,
    overdue cases and the key departments, whatever the number of offices, tasks and cases. Tasks
    and cases with no office make a last "no office" section. What the viewer may not see
    (``ledger_task_list``, ``case_list``) is left out and said so.
    """

    def __init__(
        self,
        *,
        meeting: DispatchMeeting,
        viewer,
        now: dt.datetime | None = None,
        live: bool = True,
        overdue_cases_shown: int | None = None,
    ) -> None:
        self.meeting = meeting
        self.viewer = viewer
        self.period = period_parse(meeting.quarter)
        self.now = now or timezone.now()
        self.today = self.now.astimezone(PERIOD_TIMEZONE).date()
        self.current = Quarter.current(now=self.now)
        self.live = live
        self.overdue_cases_shown = overdue_cases_shown

    def _tasks(self) -> dict[int | None, list[PackTask]]:
        tasks = (
            ledger_task_list(viewer=self.viewer, today=self.today)
            .filter(
                Q(status__in=LedgerTask.OPEN_STATUSES) | Q(status=T.DONE, done_at__gte=self.period.start_at)
            )
            .order_by("due_date", "pk")
        )
        stale_before = self.today - dt.timedelta(days=STALE_AFTER_DAYS)
        grouped: dict[int | None, list[PackTask]] = defaultdict(list)
        for task in tasks:
            last = task.latest_noted_on or timezone.localtime(task.created_at).date()
            grouped[task.office_id].append(
                PackTask(
                    task=task,
                    overdue=task.overdue,
                    stale=task.is_open and last < stale_before,
                    last_progress_on=last,
                    days_overdue=(self.today - task.due_date).days if task.overdue else 0,
                )
            )
        return grouped

    def _cases(self) -> QuerySet[Case]:
        return case_list(viewer=self.viewer)

    def _counted(self, cases: QuerySet[Case], group_by: str) -> dict[int | None, CaseFigures]:
        """The figures counted from the tables, grouped by ``group_by``: one aggregate query."""
        conditions = {
            "opened": case_accepted(self.period),
            "concluded": case_concluded(self.period),
            "open_now": case_open(self.current, self.now),
            "overdue_now": case_open_late(self.current, self.now),
        }
        rows = (
            cases.order_by()
            .values(group_by)
            .annotate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
        )
        return {row[group_by]: CaseFigures(*(row[name] for name in conditions)) for row in rows}

    def _kept(self) -> tuple[dict[int | None, CaseFigures], dict[int | None, CaseFigures]]:
        """The figures per office and per unit from the kept sums: the meeting's quarter's
        accepted and concluded (none before it begins), and now's open and open-and-late."""
        empty: tuple[dict, dict] = ({}, {})
        quarter = office_counts(self.period, self.now) if live_available(self.period, self.now) else empty
        moment = quarter if self.current == self.period else office_counts(self.current, self.now)

        def figures(of_quarter: dict, of_moment: dict) -> dict[int | None, CaseFigures]:
            none: dict[str, int] = {}
            return {
                key: CaseFigures(
                    of_quarter.get(key, none).get("accepted", 0),
                    of_quarter.get(key, none).get("concluded", 0),
                    of_moment.get(key, none).get("open_delta", 0),
                    of_moment.get(key, none).get("late", 0),
                )
                for key in of_quarter.keys() | of_moment.keys()
            }

        return figures(quarter[0], moment[0]), figures(quarter[1], moment[1])

    def _figures(self) -> tuple[dict[int | None, CaseFigures], dict[int | None, CaseFigures]]:
        """Per office, and per key department (cases about it)."""
        if self.live and live_available(self.current, self.now):
            return self._kept()
        cases = self._cases()
        return self._counted(cases, "office_id"), self._counted(
            cases.filter(department__is_key=True), "department_id"
        )

    def _key_department_figures(
        self, by_department: dict[int | None, CaseFigures]
    ) -> list[tuple[str, CaseFigures]]:
        """The quarter's figures for each key department (cases about it)."""
        return [
            (department.name, by_department.get(department.pk, CaseFigures()))
            for department in Department.objects.filter(is_key=True, is_active=True).order_by("name")
        ]

    def _overdue_cases(self) -> dict[int | None, list[PackCase]]:
        """The cases counted as overdue now, each with its earliest late referral's due date, the
        most overdue first; with ``overdue_cases_shown``, that many per office (one query)."""
        grouped: dict[int | None, list[PackCase]] = defaultdict(list)
        late_since = late_referrals_at(self.now).filter(case=OuterRef("pk")).order_by("due_date")
        cases = (
            self._cases()
            .filter(case_open_late(self.current, self.now))
            .annotate(late_due=Subquery(late_since.values("due_date")[:1]))
            .order_by("late_due", "pk")
        )
        if self.overdue_cases_shown is not None:
            rank = Window(RowNumber(), partition_by=[F("office_id")], order_by=[F("late_due"), F("pk")])
            cases = cases.annotate(rank=rank).filter(rank__lte=self.overdue_cases_shown)
        for case in cases:
            grouped[case.office_id].append(
                PackCase(case=case, due_date=case.late_due, days_overdue=(self.today - case.late_due).days)
            )
        return grouped

    def _inspections(self) -> tuple[dict, list[dict]]:
        """The period's inspection figures (the dashboard's five statements, and the names)."""
        (counted,) = count_inspections([self.period])
        ids = [pk for pk in counted.by_department if pk is not None]
        names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
        rows = [
            _inspection_row(names.get(pk, str(pk)), tally)
            for pk, tally in counted.by_department.items()
            if sum(tally.counts.values()) or tally.flag_count
        ]
        return _inspection_row("", counted.total), sorted(rows, key=lambda row: row["name"])

    def generate(self) -> Pack:
        ledger_visible = can_see_ledger(self.viewer)
        cases_visible = getattr(self.viewer, "is_authenticated", False) and self.viewer.has_perm(
            "casework.view_case"
        )
        offices = list(Office.objects.select_related("head").order_by("name", "pk"))
        tasks = self._tasks() if ledger_visible else {}
        figures, key_figures = self._figures() if cases_visible else ({}, {})
        overdue_cases = self._overdue_cases() if cases_visible else {}
        inspections, inspection_departments = None, []
        if cases_visible and self.viewer.has_perm("inspections.view_inspection"):
            inspections, inspection_departments = self._inspections()
        appraisal = None
        if getattr(self.viewer, "is_authenticated", False) and self.viewer.has_perm(
            "appraisal.view_campaign"
        ):
            appraisal = closed_campaign_figures(
                first_day=self.period.first_day, last_day=self.period.last_day
            )
        directory = None
        if getattr(self.viewer, "is_authenticated", False) and self.viewer.has_perm(
            "complaints.view_complaint"
        ):
            directory = directory_figures(self.period, top=None)
        sections = []
        for office in [*offices, None]:
            key = office.pk if office else None
            section = OfficeSection(
                office=office,
                name=office.name if office else _("No office assigned"),
                tasks=tasks.get(key, []),
                figures=figures.get(key, CaseFigures()),
                overdue_cases=overdue_cases.get(key, []),
            )
            if self.overdue_cases_shown is not None:
                section.overdue_cases_not_listed = max(
                    0, section.figures.overdue_now - len(section.overdue_cases)
                )
            if office is None and section.is_empty:
                continue
            sections.append(section)
        return Pack(
            meeting=self.meeting,
            period=self.period,
            today=self.today,
            generated_at=self.now.astimezone(PERIOD_TIMEZONE),
            sections=sections,
            current=self.current,
            ledger_visible=ledger_visible,
            cases_visible=cases_visible,
            key_departments=self._key_department_figures(key_figures) if cases_visible else [],
            inspections=inspections,
            inspection_departments=inspection_departments,
            openness=openness_figures(self.period) if self.viewer.has_perm(OPENNESS_PERMISSION) else None,
            activities=activity_figures(self.period)
            if self.viewer.has_perm("inspections.view_activityfiling")
            else None,
            appraisal=appraisal,
            directory=directory,
        )

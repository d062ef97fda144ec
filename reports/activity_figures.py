"""Trainings and award activities in the figures (issue 16): the dashboard, the public figures and
the dispatch pack read them (a module beside the three rooms of reports, like the inspections').

A filing counts in the quarter it was filed (Asia/Shanghai), with its status today; a flag in the
quarter it was raised. Fixed cost: one grouped aggregate of filings and one of flags per
department, and one for the departments' names, whatever the number of rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.periods import Period
from inspections.models import ActivityFiling, ActivityFlag
from liaison.models import Department
from reports.xlsx import Sheet

S = ActivityFiling.Status
K = ActivityFlag.Kind

FILING_KEYS = ("filed", "approved", "approved_no_fee", "refused", "pending")
FLAG_KEYS = ("flags", "flags_unfiled", "flags_fee", "flags_cancelled_held")
KEYS = (*FILING_KEYS, *FLAG_KEYS)

LABELS = {
    "filed": _("Trainings and awards filed"),
    "approved": _("Approved"),
    "approved_no_fee": _("Approved without fee"),
    "refused": _("Refused"),
    "pending": _("Awaiting decision"),
    "flags": _("Flags raised"),
    "flags_unfiled": _("Held without filing"),
    "flags_fee": _("Fee charged although approved without fee"),
    "flags_cancelled_held": _("Cancelled item held again"),
}
DEFINITIONS = {
    "filed": _("Trainings and appraisal/award activities the departments filed in the quarter."),
    "approved": _("Of those filed in the quarter: approved (with the fee filed), as decided today."),
    "approved_no_fee": _("Of those filed in the quarter: approved on condition that no fee is charged."),
    "refused": _("Of those filed in the quarter: refused by the commission."),
    "pending": _("Of those filed in the quarter: not yet decided."),
    "flags": _("Activities the commission flagged in the quarter, whatever their kind."),
    "flags_unfiled": _("Flags raised in the quarter: an activity held without filing."),
    "flags_fee": _("Flags raised in the quarter: a fee charged although approved without fee."),
    "flags_cancelled_held": _("Flags raised in the quarter: an item cancelled in the clean-up held again."),
}
_STATUS_OF = {
    "approved": S.APPROVED,
    "approved_no_fee": S.APPROVED_NO_FEE,
    "refused": S.REFUSED,
    "pending": S.FILED,
}
_FLAG_KIND_OF = {
    "flags_unfiled": K.UNFILED,
    "flags_fee": K.FEE_WITHOUT_APPROVAL,
    "flags_cancelled_held": K.CANCELLED_HELD,
}


@dataclass
class ActivityRow:
    department_id: int | None
    name: str
    counts: Counter = field(default_factory=Counter)

    def __getitem__(self, key: str) -> int:
        # Only the figures: a template's row.name must reach the attribute.
        if key not in KEYS:
            raise KeyError(key)
        return self.counts[key]


@dataclass
class ActivityFigures:
    period: Period
    total: ActivityRow
    rows: list[ActivityRow]


def activity_figures(period: Period) -> ActivityFigures:
    """The period's filings and flags per department and in all (three queries)."""
    start, end = period.start, period.end
    filings = (
        ActivityFiling.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("department_id")
        .annotate(
            filed=Count("pk"),
            **{key: Count("pk", filter=Q(status=status)) for key, status in _STATUS_OF.items()},
        )
    )
    flags = (
        ActivityFlag.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("department_id")
        .annotate(
            flags=Count("pk"),
            **{key: Count("pk", filter=Q(kind=kind)) for key, kind in _FLAG_KIND_OF.items()},
        )
    )
    counted: dict[int, Counter] = defaultdict(Counter)
    for row in [*filings, *flags]:
        department_id = row.pop("department_id")
        counted[department_id].update(row)
    names = dict(Department.objects.filter(pk__in=list(counted)).values_list("pk", "name")) if counted else {}
    rows = sorted(
        (ActivityRow(pk, names.get(pk, str(pk)), counts) for pk, counts in counted.items()),
        key=lambda r: r.name,
    )
    total = ActivityRow(None, str(_("All departments")))
    for row in rows:
        total.counts.update(row.counts)
    return ActivityFigures(period=period, total=total, rows=rows)


def activity_drilldown(key: str, period: Period, department_id: int | None = None) -> str:
    """The admin list of exactly the rows a figure counts."""
    day = "%Y-%m-%d %H:%M:%S%z"
    query = {"created_at__gte": period.start.strftime(day), "created_at__lt": period.end.strftime(day)}
    if department_id is not None:
        query["department__id__exact"] = department_id
    if key in FILING_KEYS:
        if key in _STATUS_OF:
            query["status__exact"] = _STATUS_OF[key]
        return reverse("admin:inspections_activityfiling_changelist") + "?" + urlencode(query)
    if key in _FLAG_KIND_OF:
        query["kind__exact"] = _FLAG_KIND_OF[key]
    return reverse("admin:inspections_activityflag_changelist") + "?" + urlencode(query)


@dataclass
class Cell:
    value: int
    url: str = ""


def _cells(row: ActivityRow, period: Period, *, link: bool, department: bool) -> list[Cell]:
    return [
        Cell(
            row[key],
            activity_drilldown(key, period, row.department_id if department else None)
            if link and row[key]
            else "",
        )
        for key in KEYS
    ]


def activity_context(period: Period, *, public: bool) -> dict:
    """The section of the dashboard (numbers linked to the admin) and of /figures/ (aggregates
    only: counts per department, no activity, no complaint, no link)."""
    figures = activity_figures(period)
    link = not public
    return {
        "activity_columns": [(key, LABELS[key], DEFINITIONS[key]) for key in KEYS],
        "activity_total": _cells(figures.total, period, link=link, department=False),
        "activity_rows": [
            (row.name, _cells(row, period, link=link, department=True)) for row in figures.rows
        ],
    }


def activity_pack_sheet(figures: ActivityFigures | None, heading) -> Sheet:
    """The dispatch pack's sheet: one row per department, the total last."""
    title = str(_("Trainings and awards"))
    hidden = (
        "" if figures is not None else str(_("Trainings and awards are not shown: you may not see them."))
    )
    rows = [] if figures is None else [[row.name, *(row[key] for key in KEYS)] for row in figures.rows]
    footer = None if figures is None else [figures.total.name, *(figures.total[key] for key in KEYS)]
    return Sheet(
        title=title,
        heading=heading(title, hidden=hidden),
        header=[str(_("Department")), *(str(LABELS[key]) for key in KEYS)],
        rows=rows,
        footer=footer,
        widths=(28, *(14 for _key in KEYS)),
    )

"""What the efficiency assessment (效能考核评议) counts, each number defined once, and the admin list
that lists exactly the rows behind it.

A period is a quarter (the assessment) or a month (the bulletin); its bounds are the Shanghai
clock's, as for every dashboard figure.

* Approvals (``ApprovalRecord``): an approval counts in the period of its decision day
  (``decided_on``) when it was approved or refused; on time when ``decided_on <= due_on``. The
  records' admin list (approvals) takes ``department__id__exact``, ``decision__in``,
  ``decided_on__gte``/``__lt`` and ``timeliness=on_time`` for exactly these rows.
* Signals (``ApprovalSignal``): count in the period of ``raised_at``; the yellow prompt one working
  day before the limit (``due_soon``) is a reminder, not a fault, and is not counted. The signals'
  admin list takes ``department__id__exact``, ``kind__in``, ``colour__exact`` and ``raised_at``.
* Complaints: the cases accepted against the department in the period (the dashboard's "Cases
  accepted", narrowed to the department); satisfaction is the dashboard's rating figures.
* Referrals: those of the department due in the period (withdrawn ones aside) whose due date has
  passed by the period's as-of moment or that were answered; answered on time when a handling
  report was submitted on or before the due day. The referral list narrows to them with
  ``?figure=…&quarter=…&department=…`` (casework's ``ReferralFigureFilter``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from approvals.models import ApprovalRecord, ApprovalSignal
from casework.figures import REFERRAL, figure_drilldowns
from casework.models import HandlingReport, Referral
from core.periods import SHANGHAI, Period
from liaison.models import Department
from reports.dashboard.figures import FIGURES, Selection, figure_drilldown

RECORDS, SIGNALS = "approvals_record", "approvals_signal"
DECIDED = (ApprovalRecord.Decision.APPROVED, ApprovalRecord.Decision.REFUSED)
# Signals that count against a department: every kind but the prompt before the limit.
COUNTED_SIGNAL_KINDS = tuple(
    kind for kind in ApprovalSignal.Kind.values if kind != ApprovalSignal.Kind.DUE_SOON
)


def _next_day(period: Period) -> dt.date:
    return period.last_day + dt.timedelta(days=1)


# --- Conditions --------------------------------------------------------------------------------


def record_decided(period: Period) -> Q:
    """Approved or refused with a decision day in the period."""
    return Q(decision__in=DECIDED, decided_on__gte=period.first_day, decided_on__lt=_next_day(period))


def record_on_time(period: Period) -> Q:
    return record_decided(period) & Q(decided_on__lte=F("due_on"))


def record_accepted(period: Period) -> Q:
    return Q(accepted_at__gte=period.start, accepted_at__lt=period.end)


def signal_counted(period: Period) -> Q:
    return Q(raised_at__gte=period.start, raised_at__lt=period.end, kind__in=COUNTED_SIGNAL_KINDS)


def signal_red(period: Period) -> Q:
    return signal_counted(period) & Q(colour=ApprovalSignal.Colour.RED)


def _answered_on_time() -> Exists:
    """A handling report submitted on or before the referral's due day (Shanghai)."""
    return Exists(
        HandlingReport.objects.filter(referral=OuterRef("pk")).filter(
            LessThanOrEqual(TruncDate("submitted_at", tzinfo=SHANGHAI), OuterRef("due_date"))
        )
    )


def referral_due(period: Period, now: dt.datetime | None = None) -> Q:
    """Due in the period, not withdrawn, and either past its due day at the as-of moment or
    answered: a referral still running within its time is not judged yet."""
    as_of_day = period.as_of(now).astimezone(SHANGHAI).date()
    return (
        Q(due_date__gte=period.first_day, due_date__lt=_next_day(period))
        & ~Q(status=Referral.Status.WITHDRAWN)
        & (Q(due_date__lt=as_of_day) | Q(_answered_on_time()))
    )


def referral_answered_on_time(period: Period, now: dt.datetime | None = None) -> Q:
    return referral_due(period, now) & Q(_answered_on_time())


REFERRAL_FIGURES = {
    "referrals_due": (
        pgettext_lazy("assessment", "Referrals due"),
        referral_due,
    ),
    "referrals_on_time": (
        pgettext_lazy("assessment", "Referrals answered on time"),
        referral_answered_on_time,
    ),
}


@dataclass(frozen=True)
class ReferralSelection:
    """The referrals behind one number of the assessment (casework's drill-down protocol)."""

    key: str
    period: Period
    department: int

    def condition(self) -> Q:
        return REFERRAL_FIGURES[self.key][1](self.period) & Q(department_id=self.department)

    def describe(self) -> str:
        name = Department.objects.filter(pk=self.department).values_list("name", flat=True).first()
        return " · ".join(
            [str(REFERRAL_FIGURES[self.key][0]), self.period.display, name or str(self.department)]
        )

    def admin_params(self) -> dict[str, str]:
        return {"figure": self.key, "quarter": self.period.label, "department": str(self.department)}


def referral_drilldown(
    *, figure: str, quarter: str | None, department: str | None = None, **others
) -> ReferralSelection:
    if figure not in REFERRAL_FIGURES:
        raise ValidationError(
            _("“%(value)s” is not a figure of this list.") % {"value": figure}, code="bad_figure"
        )
    if not quarter:
        raise ValidationError(_("Choose a period."), code="bad_period")
    if not (department or "").isdigit():
        raise ValidationError(
            _("“%(value)s” is not a department.") % {"value": department}, code="bad_department"
        )
    if any(value not in (None, "") for value in others.values()):
        raise ValidationError(_("The figure “%(figure)s” cannot be narrowed down.") % {"figure": figure})
    return ReferralSelection(figure, Period.parse(quarter), int(department))


def drilldown_resolve(*, kind: str, figure: str, **parameters):
    """The resolver casework's admin filters ask: referral figures are the assessment's, the
    others the dashboard's."""
    if kind == REFERRAL:
        return referral_drilldown(figure=figure, **parameters)
    return figure_drilldown(kind=kind, figure=figure, **parameters)


def drilldowns_register() -> None:
    """Called by ReportsConfig.ready(), safe twice."""
    figure_drilldowns.register(drilldown_resolve)


# --- The drill-down links -------------------------------------------------------------------------


CHANGELISTS = {
    RECORDS: "admin:approvals_approvalrecord_changelist",
    SIGNALS: "admin:approvals_approvalsignal_changelist",
    REFERRAL: "admin:casework_referral_changelist",
    "case": "admin:casework_case_changelist",
    "complaint": "admin:complaints_complaint_changelist",
    "appraisal_campaign": "admin:appraisal_campaign_changelist",
}


def changelist_url(list_key: str) -> str | None:
    """The admin list's address; None while the list is not installed (the number shows unlinked)."""
    try:
        return reverse(CHANGELISTS[list_key])
    except NoReverseMatch:
        return None


def _records_params(period: Period, department: int) -> dict[str, str]:
    return {
        "department__id__exact": str(department),
        "decision__in": ",".join(DECIDED),
        "decided_on__gte": period.first_day.isoformat(),
        "decided_on__lt": _next_day(period).isoformat(),
    }


def _signals_params(period: Period, department: int) -> dict[str, str]:
    return {
        "department__id__exact": str(department),
        "kind__in": ",".join(COUNTED_SIGNAL_KINDS),
        "raised_at__gte": period.start.isoformat(),
        "raised_at__lt": period.end.isoformat(),
    }


def drilldown_params(key: str, period: Period, department: int) -> tuple[str, dict[str, str]]:
    """(admin list, query string parameters) of one input of one department."""
    if key in ("decided", "average_days"):
        return RECORDS, _records_params(period, department)
    if key == "on_time":
        return RECORDS, {**_records_params(period, department), "timeliness": "on_time"}
    if key == "signals":
        return SIGNALS, _signals_params(period, department)
    if key == "signals_red":
        return SIGNALS, {**_signals_params(period, department), "colour__exact": ApprovalSignal.Colour.RED}
    if key in REFERRAL_FIGURES:
        return REFERRAL, ReferralSelection(key, period, department).admin_params()
    if key == "appraisal_scores":  # the closed appraisal campaigns behind the scores
        return "appraisal_campaign", {
            "departments__id__exact": str(department),
            "status__exact": "closed",
            "closes_on__gte": period.first_day.isoformat(),
            "closes_on__lt": _next_day(period).isoformat(),
        }
    figure = {"complaints": "accepted"}.get(key, key)
    selection = Selection(FIGURES[figure], period, department=str(department))
    return selection.figure.model, selection.admin_params()


def drilldown_link(key: str, period: Period, department: int) -> str:
    list_key, params = drilldown_params(key, period, department)
    url = changelist_url(list_key)
    return f"{url}?{urlencode(params)}" if url else ""

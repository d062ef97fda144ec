"""The staff front page's work queues: each count with the link to the admin list that shows
exactly what it counts (the counts are casework.selectors.work_queues; the lists' filters are
casework.admin.cases')."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from casework.models import Case
from casework.selectors import DUE_SOON_WORKING_DAYS, WorkScope, work_queues
from complaints.models import PublicStatus

register = template.Library()


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    count: int
    url: str
    help: str = ""


def _url(name: str, params: dict[str, str]) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


@register.simple_tag(takes_context=True)
def staff_work_queues(context) -> dict | None:
    """{"scope": …, "queues": [Queue, …]} for the signed-in member of staff; None for anybody
    who does not read cases."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("casework.view_case"):
        return None
    counts = work_queues(viewer=user)
    scoped = {
        WorkScope.MINE: {"mine": "1"},
        WorkScope.OFFICE: {"mine": "office"},
        WorkScope.ALL: {},
    }[counts.scope]
    cases = "admin:casework_case_changelist"
    queues = []
    if user.has_perm("complaints.view_complaint"):
        queues.append(
            Queue(
                "to_triage",
                _("To triage"),
                counts.to_triage,
                _url("admin:complaints_complaint_changelist", {"status__exact": PublicStatus.RECEIVED}),
                _("Complaints received, not yet accepted, merged or declined"),
            )
        )
    queues += [
        Queue(
            "to_review",
            _("Reports to review"),
            counts.to_review,
            _url(cases, {**scoped, "status__exact": Case.Status.REVIEWING}),
            _("A department's handling report awaits your review"),
        ),
        Queue(
            "due_soon",
            _("Due soon"),
            counts.due_soon,
            _url(cases, {**scoped, "overdue": "soon"}),
            _("Due within %(days)s working days (by %(date)s)")
            % {"days": DUE_SOON_WORKING_DAYS, "date": counts.due_soon_until.isoformat()},
        ),
        Queue(
            "overdue",
            _("Overdue"),
            counts.overdue,
            _url(cases, {**scoped, "overdue": "yes"}),
            _("A referral is past its due date"),
        ),
        Queue(
            "unsatisfied",
            _("Unsatisfied"),
            counts.unsatisfied,
            _url(cases, {**scoped, "unsatisfied": "1", "status__exact": Case.Status.CONCLUDED}),
            _("Concluded, the complainant was not satisfied: reopen or not"),
        ),
    ]
    if user.has_perm("casework.handle_case"):
        queues.append(
            Queue(
                "mine",
                _("My open cases"),
                counts.mine,
                _url(cases, {"mine": "open"}),
                _("Cases you handle that are not concluded"),
            )
        )
    scope_text = {
        WorkScope.MINE: _("Counting the cases you handle."),
        WorkScope.OFFICE: _("Counting the cases of the offices you head."),
        WorkScope.ALL: _("Counting every case."),
    }[counts.scope]
    return {"scope": counts.scope, "scope_text": scope_text, "queues": queues}

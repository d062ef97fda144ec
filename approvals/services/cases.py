"""One action turns a red signal into a case (channel: electronic supervision of approvals,
category 行政审批): an anonymous finding of the commission against the department, accepted at
once, the signal linked to the case and marked CASE.

The description is written from the record's facts (item, application number, dates, what the
signal found), never from the applicant's name: nobody complained, the commission found it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import ApprovalSignal
from casework.models import Case
from casework.services import case_open_from_finding
from complaints.models import Category, Channel
from core.deadlines import deadline_cancel
from core.errors import InvalidTransition, actor_user
from core.models import Deadline

CASE_PERMISSIONS = ("approvals.decide_signal", "casework.handle_case")
S = ApprovalSignal.Status


def may_open_case(actor) -> bool:
    return getattr(actor, "is_authenticated", False) and all(actor.has_perm(p) for p in CASE_PERMISSIONS)


def signal_case_description(signal: ApprovalSignal) -> str:
    record = signal.record
    item = record.item
    return _(
        "Electronic supervision of approvals: %(kind)s on application %(number)s, item %(code)s "
        "%(item)s, accepted on %(accepted)s, promised by %(due)s. %(explanation)s"
    ) % {
        "kind": signal.get_kind_display(),
        "number": record.external_id,
        "code": item.code,
        "item": item.name,
        "accepted": timezone.localdate(record.accepted_at).isoformat(),
        "due": record.due_on.isoformat(),
        "explanation": signal.explanation,
    }


@transaction.atomic
def signal_case_open(*, signal: ApprovalSignal, actor, description: str = "") -> Case:
    """Open a case from the red ``signal``; the signal becomes CASE and its deadline is cancelled."""
    if not may_open_case(actor):
        raise PermissionDenied
    signal = (
        ApprovalSignal.objects.select_for_update(of=("self",))
        .select_related("record__item", "department", "deadline")
        .get(pk=signal.pk)
    )
    if signal.colour != ApprovalSignal.Colour.RED:
        raise ValidationError(_("Only a red signal can be turned into a case."))
    if signal.case_id or signal.status == S.CASE:
        raise InvalidTransition(_("A case has already been opened from this signal."))
    if signal.status in (S.ACCEPTED, S.CLEARED):
        raise InvalidTransition(
            _("This signal is %(status)s: no case can be opened from it.")
            % {"status": signal.get_status_display()}
        )
    record = signal.record
    case = case_open_from_finding(
        department=signal.department,
        category=Category.PERMITS,
        description=(description or "").strip() or signal_case_description(signal),
        occurred_on=record.decided_on or timezone.localdate(signal.raised_at),
        channel=Channel.APPROVAL,
        source=_("Electronic supervision of approvals: %(kind)s (application %(number)s, %(department)s)")
        % {"kind": signal.get_kind_display(), "number": record.external_id, "department": signal.department},
        actor=actor,
    )
    signal.status, signal.case = S.CASE, case
    signal.decided_at, signal.decided_by = timezone.now(), actor_user(actor)
    signal.save(update_fields=["status", "case", "decided_at", "decided_by"])
    if signal.deadline and signal.deadline.status == Deadline.Status.OPEN:
        deadline_cancel(deadline=signal.deadline)
    return case


__all__ = ["CASE_PERMISSIONS", "may_open_case", "signal_case_description", "signal_case_open"]

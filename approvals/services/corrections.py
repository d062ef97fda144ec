"""Correction (纠错): the department answers a signal with what it did; the commission accepts
the answer or returns it with a reason (a new correction deadline, one round more).

A department answers only its own signals; the return reason is e-mailed to it and so passes
the recogniser like every text that leaves for a department."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import ApprovalSignal
from approvals.services.signals import CORRECTION_DEADLINE_KIND
from casework.selectors import departments_of
from core.deadlines import deadline_create, deadline_meet
from core.errors import InvalidTransition, actor_user
from core.masking import identity_validate
from core.models import Deadline
from core.outbox import outbox_enqueue, render_email

PORTAL_PERMISSION = "liaison.access_department_portal"
DECIDE_PERMISSION = "approvals.decide_signal"
S = ApprovalSignal.Status
AWAITING_DEPARTMENT = (S.OPEN, S.RETURNED)
# A prompt (DUE_SOON) asks for a decision, not for a correction: it clears when one arrives.
ANSWERABLE_KINDS = tuple(kind for kind in ApprovalSignal.Kind if kind != ApprovalSignal.Kind.DUE_SOON)


def signal_answerable(signal: ApprovalSignal) -> bool:
    return signal.status in AWAITING_DEPARTMENT and signal.kind in ANSWERABLE_KINDS


def _locked(signal: ApprovalSignal) -> ApprovalSignal:
    return ApprovalSignal.objects.select_for_update(of=("self",)).select_related("deadline").get(pk=signal.pk)


def _may_decide(actor) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm(DECIDE_PERMISSION)):
        raise PermissionDenied


@transaction.atomic
def signal_answer(*, signal: ApprovalSignal, correction: str, actor) -> ApprovalSignal:
    """The department says what it did about ``signal``; its correction deadline is met."""
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.has_perm(PORTAL_PERMISSION)
        and signal.department_id in departments_of(actor)
    ):
        raise PermissionDenied
    correction = (correction or "").strip()
    if not correction:
        raise ValidationError({"correction": _("Say what your department did about this signal.")})
    signal = _locked(signal)
    if not signal_answerable(signal):
        raise InvalidTransition(
            _("This signal is %(status)s: it cannot be answered now.")
            % {"status": signal.get_status_display()}
        )
    now = timezone.now()
    signal.status, signal.correction = S.ANSWERED, correction
    signal.answered_at, signal.answered_by = now, actor_user(actor)
    signal.save(update_fields=["status", "correction", "answered_at", "answered_by"])
    if signal.deadline and signal.deadline.status == Deadline.Status.OPEN:
        deadline_meet(deadline=signal.deadline, at=now)
    return signal


@transaction.atomic
def signal_accept(*, signal: ApprovalSignal, actor) -> ApprovalSignal:
    """The commission accepts the department's correction."""
    _may_decide(actor)
    signal = _locked(signal)
    if signal.status != S.ANSWERED:
        raise InvalidTransition(
            _("Only an answered signal can be accepted; this one is %(status)s.")
            % {"status": signal.get_status_display()}
        )
    signal.status, signal.decided_at, signal.decided_by = S.ACCEPTED, timezone.now(), actor_user(actor)
    signal.save(update_fields=["status", "decided_at", "decided_by"])
    _notify(signal, "accepted")
    return signal


@transaction.atomic
def signal_return(*, signal: ApprovalSignal, reason: str, actor) -> ApprovalSignal:
    """The commission returns the correction as insufficient: the department has a new
    correction deadline (APPROVAL_CORRECTION_WORKING_DAYS from today, one round more)."""
    from django.conf import settings

    _may_decide(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the correction is returned: the department reads this.")})
    # E-mailed to the department: nobody's phone, e-mail, ID or credit code in it.
    identity_validate(reason, field="reason")
    signal = _locked(signal)
    if signal.status != S.ANSWERED:
        raise InvalidTransition(
            _("Only an answered signal can be returned; this one is %(status)s.")
            % {"status": signal.get_status_display()}
        )
    now = timezone.now()
    previous_round = signal.deadline.round if signal.deadline else 0
    deadline = deadline_create(
        subject=signal,
        kind=CORRECTION_DEADLINE_KIND,
        start_date=timezone.localdate(now),
        working_days=settings.APPROVAL_CORRECTION_WORKING_DAYS,
        round=previous_round + 1,
    )
    signal.status, signal.return_reason, signal.deadline = S.RETURNED, reason, deadline
    signal.decided_at, signal.decided_by = now, actor_user(actor)
    signal.save(update_fields=["status", "return_reason", "deadline", "decided_at", "decided_by"])
    _notify(signal, "returned")
    return signal


def _notify(signal: ApprovalSignal, notice: str) -> None:
    """One e-mail to the department (templates/email/approval_signal_<notice>.*), in its language."""
    from django.conf import settings
    from django.urls import reverse

    signal = ApprovalSignal.objects.select_related("department", "record__item", "deadline").get(pk=signal.pk)
    department = signal.department
    language = department.language or settings.LANGUAGE_CODE
    context = {
        "signal": signal,
        "record": signal.record,
        "department": department,
        "portal_url": settings.SITE_URL + reverse("approvals_dept:detail", args=[signal.pk]),
    }
    subject, text, html = render_email(f"email/approval_signal_{notice}", context, language=language)
    round_ = signal.deadline.round if signal.deadline else 0
    outbox_enqueue(
        key=f"approval-signal-{notice}:{signal.pk}:{round_}",
        kind=f"approval_signal_{notice}",
        to=[department.email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=f"approval signal {signal.pk}",
    )


__all__ = ["signal_accept", "signal_answer", "signal_answerable", "signal_return"]

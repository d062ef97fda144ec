"""Extension requests (延期申请): a department asks for more time on a referral, the centre
approves or refuses. Services in one transaction each, with the timeline event and the e-mail
(an outbox row) of the step.

An approved request moves the referral's deadline through the deadline service: the current
deadline is cancelled and a new one counts from the same start day to the granted date, so the
due date keeps saying how it was counted ("N working days from …") and follows later calendar
edits like every other deadline, and the escalation ladder starts again from step 0 against the
new due date (a reminder before it, a warning only once it has passed)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from casework.models import CaseEvent, ExtensionRequest, Referral
from casework.selectors import case_identities, case_notice_recipients, departments_of
from casework.services import case_event_add
from core.calendar import WorkingCalendar, add_working_days, working_days_between
from core.deadlines import deadline_cancel, deadline_create, deadline_explain
from core.errors import InvalidTransition, actor_user
from core.masking import identity_validate
from core.models import Deadline
from core.outbox import outbox_enqueue, render_email

A = CaseEvent.Action
DEPARTMENT_PERMISSION = "liaison.access_department_portal"
STAFF_PERMISSION = "casework.handle_case"
# A referral the department is working on: acknowledged, or returned for a new report. Before
# acknowledging there is nothing to extend yet; once reported, the centre has the next move.
EXTENDABLE = Referral.AWAITING_REPORT


def extension_max_working_days() -> int:
    """How far a due date may move in one request (settings.EXTENSION_MAX_WORKING_DAYS): beyond
    it a referral should be taken back or re-planned, not extended."""
    return settings.EXTENSION_MAX_WORKING_DAYS


def extension_can_request(referral: Referral) -> bool:
    """Whether the department may ask for more time on this referral now (a pending request aside)."""
    return referral.status in EXTENDABLE and referral.due_date is not None


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _date(value: dt.date) -> str:
    return formats.date_format(value, "Y-m-d")


def _next_working_day(day: dt.date, calendar: WorkingCalendar) -> dt.date:
    return add_working_days(day, 1, calendar=calendar).due_date


def extension_date_check(
    *, referral: Referral, date: dt.date, field: str, today: dt.date | None = None
) -> None:
    """Refuse a new due date that is no extension, lies in the past, is no working day or is
    more than the allowed number of working days after the current due date; the error is keyed
    by ``field`` so that it shows next to what was typed."""
    today = today or timezone.localdate()
    current = referral.due_date

    def refuse(message: str, code: str) -> None:
        raise _field_error(field, message, code)

    if current is None:
        refuse(_("This referral has no due date to move."), "no_due_date")
    if date <= current:
        refuse(
            _("The new due date must be later than the current one, %(due)s.") % {"due": _date(current)},
            "not_later",
        )
    if date < today:
        refuse(_("The new due date cannot be in the past."), "in_the_past")
    calendar = WorkingCalendar()
    calendar.load(date, date + dt.timedelta(days=40))
    if not calendar.day(date)[0]:
        refuse(
            _("%(date)s is not a working day. Choose a working day, for example %(next)s.")
            % {"date": _date(date), "next": _date(_next_working_day(date, calendar))},
            "not_working_day",
        )
    limit = extension_max_working_days()
    if working_days_between(max(current, today), date) > limit:
        latest = add_working_days(max(current, today), limit).due_date
        refuse(
            _("An extension can be at most %(limit)d working days, so no later than %(latest)s.")
            % {"limit": limit, "latest": _date(latest)},
            "too_far",
        )


def _lock_referral(pk: int) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case__handler", "case__office", "department", "deadline")
        .get(pk=pk)
    )


@transaction.atomic
def extension_request(*, referral: Referral, reason: str, proposed_date: dt.date, actor) -> ExtensionRequest:
    """The department asks for a later due date (延期申请); the case handler is told."""
    if not (actor.has_perm(DEPARTMENT_PERMISSION) and referral.department_id in departments_of(actor)):
        # The portal already shows only the department's own referrals; the service holds any
        # other caller to the same rule.
        raise PermissionDenied(_("Only the department the case was referred to can ask for more time."))
    referral = _lock_referral(referral.pk)
    if not extension_can_request(referral):
        raise InvalidTransition(
            _("You can ask for more time only while your department handles the referral (now: %(status)s).")
            % {"status": referral.get_status_display()}
        )
    if ExtensionRequest.objects.filter(referral=referral, status=ExtensionRequest.Status.PENDING).exists():
        raise ValidationError(
            _("Your department has already asked for more time on this referral; wait for the decision."),
            code="pending",
        )
    reason = reason.strip()
    if not reason:
        raise _field_error("reason", _("Say why you need more time."), "required")
    extension_date_check(referral=referral, date=proposed_date, field="proposed_date")
    extension = ExtensionRequest.objects.create(
        referral=referral,
        reason=reason,
        proposed_date=proposed_date,
        due_date_before=referral.due_date,
        requested_by=actor_user(actor),
    )
    with translation.override(settings.LANGUAGE_CODE):  # the timeline is read by staff
        note = _("%(department)s asks to move the due date %(old)s → %(new)s: %(reason)s") % {
            "department": referral.department,
            "old": _date(referral.due_date),
            "new": _date(proposed_date),
            "reason": reason,
        }
    case_event_add(referral.case, A.EXTENSION_REQUESTED, actor, note=note)
    _requested_notice_queue(extension, referral)
    return extension


def _requested_notice_queue(extension: ExtensionRequest, referral: Referral) -> None:
    language = settings.LANGUAGE_CODE
    context = {
        "extension": extension,
        "referral": referral,
        "reference": referral.case.reference,
        "handler": referral.case.handler,
        "decide_url": settings.SITE_URL
        + reverse("admin:casework_extensionrequest_decide", args=[extension.pk]),
        "case_url": settings.SITE_URL + reverse("admin:casework_case_change", args=[referral.case_id]),
    }
    subject, text, html = render_email("email/extension_requested", context, language=language)
    outbox_enqueue(
        key=f"extension-requested:{extension.pk}",
        kind="extension_requested",
        to=case_notice_recipients(referral.case),
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=referral.case.reference,
    )


def _deadline_move(referral: Referral, to: dt.date) -> Deadline:
    """The referral's deadline now ends on ``to``: the current one is cancelled and a new one
    counts from the same start day (a new ladder, step 0), and the referral's due date follows."""
    current = referral.deadline
    start = current.start_date if current is not None else timezone.localtime(referral.sent_at).date()
    if current is not None and current.status == Deadline.Status.OPEN:
        deadline_cancel(deadline=current)
    deadline = deadline_create(
        subject=referral,
        kind="referral",
        start_date=start,
        working_days=working_days_between(start, to),
        round=referral.round,
    )
    referral.deadline, referral.due_date = deadline, deadline.due_date
    referral.save(update_fields=["deadline", "due_date"])
    return deadline


@transaction.atomic
def extension_decide(
    *,
    extension: ExtensionRequest,
    approve: bool,
    actor,
    note: str = "",
    granted_date: dt.date | None = None,
) -> ExtensionRequest:
    """Staff approve (moving the due date to ``granted_date``, by default the date asked for) or
    refuse (with a reason) a pending request; the department is told either way."""
    if not actor.has_perm(STAFF_PERMISSION):
        raise PermissionDenied(_("Only case handlers can decide on extension requests."))
    # The referral first, then the request: the order extension_request locks them in.
    referral = _lock_referral(extension.referral_id)
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionRequest.Status.PENDING:
        raise InvalidTransition(_("This request has already been decided."))
    note = note.strip()
    if note:
        # The department reads the note in its e-mail and on its portal.
        identity_validate(note, case_identities(referral.case), field="decision_note")
    old = referral.due_date
    if approve:
        if not extension_can_request(referral):
            raise InvalidTransition(
                _(
                    "The referral is no longer being handled by the department (now: %(status)s): "
                    "the request can only be refused."
                )
                % {"status": referral.get_status_display()}
            )
        granted = granted_date or extension.proposed_date
        extension_date_check(referral=referral, date=granted, field="granted_date")
        _deadline_move(referral, granted)
        extension.status, extension.granted_date = ExtensionRequest.Status.APPROVED, referral.due_date
    else:
        if not note:
            message = _("Say why the request is refused; the department will read it.")
            raise _field_error("decision_note", message, "required")
        extension.status = ExtensionRequest.Status.REFUSED
    extension.decided_by, extension.decided_at = actor_user(actor), timezone.now()
    extension.decision_note = note
    extension.save(update_fields=["status", "granted_date", "decided_by", "decided_at", "decision_note"])
    with translation.override(settings.LANGUAGE_CODE):
        if approve:
            line = _("Extension approved: due date %(old)s → %(new)s.") % {
                "old": _date(old),
                "new": _date(referral.due_date),
            }
        else:
            line = _("Extension refused: the due date stays %(due)s.") % {"due": _date(old)}
        case_event_add(referral.case, A.EXTENSION_DECIDED, actor, note=f"{line} {note}".strip())
    _decided_notice_queue(extension, referral)
    return extension


def _decided_notice_queue(extension: ExtensionRequest, referral: Referral) -> None:
    department = referral.department
    language = department.language or settings.LANGUAGE_CODE
    with translation.override(language):
        due_explained = deadline_explain(referral.deadline) if referral.deadline_id else ""
    context = {
        "extension": extension,
        "referral": referral,
        "reference": referral.case.reference,
        "department": department,
        "approved": extension.status == ExtensionRequest.Status.APPROVED,
        "due_explained": due_explained,
        "portal_url": settings.SITE_URL + reverse("department_portal:referral", args=[referral.pk]),
    }
    subject, text, html = render_email("email/extension_decided", context, language=language)
    outbox_enqueue(
        key=f"extension-decided:{extension.pk}",
        kind="extension_decided",
        to=[department.email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=referral.case.reference,
    )


def extension_pending_for_case(case) -> ExtensionRequest | None:
    """The request awaiting a decision on the case's open referral, if any (for the case page)."""
    return (
        ExtensionRequest.objects.filter(referral__case=case, status=ExtensionRequest.Status.PENDING)
        .select_related("referral__department", "requested_by")
        .first()
    )


__all__ = [
    "EXTENDABLE",
    "extension_can_request",
    "extension_date_check",
    "extension_decide",
    "extension_max_working_days",
    "extension_pending_for_case",
    "extension_request",
]

"""Every write about trainings and award activities: the department files, the commission decides,
complaints from the public list are linked, flags are raised, dismissed or become cases. Each runs
in one transaction with the e-mail it sends (an outbox row)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, F, Value
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Case
from casework.selectors import departments_of
from casework.services import case_open_from_finding
from complaints.models import Category, Channel, Complaint
from core.errors import InvalidTransition, actor_user
from core.masking import identity_validate
from core.outbox import outbox_enqueue, render_email
from inspections.activities.names import MIN_KEY_LENGTH, activity_name_key
from inspections.models import (
    ActivityComplaint,
    ActivityFiling,
    ActivityFlag,
    ActivityKind,
    CancelledActivity,
)
from liaison.models import Department

FILE_PERMISSION = "inspections.file_activity"
DECIDE_PERMISSION = "inspections.decide_activity"
CASE_PERMISSIONS = (DECIDE_PERMISSION, "casework.handle_case")

APPROVE, APPROVE_NO_FEE, REFUSE = "approve", "approve_no_fee", "refuse"
S = ActivityFiling.Status
DECISIONS = {
    APPROVE: (S.APPROVED, gettext_lazy("Approve")),
    APPROVE_NO_FEE: (S.APPROVED_NO_FEE, gettext_lazy("Approve without fee")),
    REFUSE: (S.REFUSED, gettext_lazy("Refuse")),
}


def _may(actor, *permissions: str) -> bool:
    return getattr(actor, "is_authenticated", False) and all(actor.has_perm(p) for p in permissions)


def cancelled_item_matching(title: str) -> CancelledActivity | None:
    """The cancelled item whose name is in ``title`` (compared without spaces, punctuation, width
    or case), or None."""
    key = activity_name_key(title)
    if len(key) < MIN_KEY_LENGTH:
        return CancelledActivity.objects.filter(name_key=key).first() if key else None
    return (
        CancelledActivity.objects.annotate(title_key=Value(key, output_field=CharField()))
        .filter(title_key__contains=F("name_key"))
        .order_by("pk")
        .first()
    )


def _refuse_if_cancelled(title: str, *, field: str = "title") -> None:
    item = cancelled_item_matching(title)
    if item is not None:
        raise ValidationError(
            {
                field: _(
                    "“%(item)s” was cancelled in the clean-up (%(document)s): "
                    "it may not be filed or held again."
                )
                % {"item": item.name, "document": item.document or item.cancelled_on.isoformat()}
            }
        )


@transaction.atomic
def activity_file(
    *,
    department: Department,
    kind: str,
    title: str,
    organiser: str,
    audience: str,
    starts_on: dt.date,
    ends_on: dt.date,
    fee: Decimal | None,
    fee_basis: str,
    voluntary: bool,
    description: str,
    actor,
) -> ActivityFiling:
    """A department files a training or an appraisal/award activity for the commission's decision.
    Refused at once (ValidationError by field) when it repeats a cancelled item, when its dates or
    fee do not hold, or when the user does not act for ``department``."""
    if not _may(actor, FILE_PERMISSION):
        raise PermissionDenied
    if department.pk not in departments_of(actor):
        raise ValidationError({"department": _("You do not act for this department.")})
    if kind not in ActivityKind.values:
        raise ValidationError({"kind": _("Choose a training or an appraisal/award activity.")})
    title, organiser, audience = (title or "").strip(), (organiser or "").strip(), (audience or "").strip()
    fee_basis, description = (fee_basis or "").strip(), (description or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the activity's title.")
    if not organiser:
        errors["organiser"] = _("Say who organises it.")
    if not audience:
        errors["audience"] = _("Say which enterprises or people it is for.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The activity cannot end before it starts.")
    if fee is not None and fee < 0:
        errors["fee"] = _("A fee cannot be negative.")
    charges = fee is not None and fee > 0
    if charges and not fee_basis:
        errors["fee_basis"] = _("A fee needs its legal basis (the document that allows it).")
    # "不得通过培训收费": enterprises cannot be made to pay for a training they must attend.
    if charges and not voluntary:
        errors["fee"] = _("A compulsory activity may not charge enterprises a fee.")
    if errors:
        raise ValidationError(errors)
    _refuse_if_cancelled(title)
    return ActivityFiling.objects.create(
        department=department,
        kind=kind,
        title=title,
        organiser=organiser,
        audience=audience,
        starts_on=starts_on,
        ends_on=ends_on,
        fee=fee if charges else None,
        fee_basis=fee_basis if charges else "",
        voluntary=voluntary,
        description=description,
        filed_by=actor_user(actor),
    )


def activity_portal_url(filing: ActivityFiling) -> str:
    return settings.SITE_URL + reverse("activity_filing:detail", args=[filing.pk])


def _decision_email(filing: ActivityFiling) -> None:
    department = filing.department
    language = department.language
    context = {"filing": filing, "department": department, "portal_url": activity_portal_url(filing)}
    with translation.override(language):
        subject, text, html = render_email("email/activity_decided", context, language=language)
    outbox_enqueue(
        key=f"activity-decided:{filing.pk}",
        kind="activity_decided",
        to=[department.email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=f"activity filing {filing.pk}",
    )


@transaction.atomic
def activity_decide(*, filing: ActivityFiling, decision: str, note: str, actor) -> ActivityFiling:
    """Approve, approve without fee, or refuse (with a reason) a filed activity; the department is
    told by e-mail. A filing that repeats a cancelled item cannot be approved."""
    if not _may(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Choose approve, approve without fee or refuse.")})
    filing = (
        ActivityFiling.objects.select_for_update(of=("self",)).select_related("department").get(pk=filing.pk)
    )
    if filing.status != S.FILED:
        raise InvalidTransition(
            _("This filing has already been decided: %(status)s.") % {"status": filing.get_status_display()}
        )
    note = (note or "").strip()
    # The note is e-mailed to the department: it passes the identity recogniser.
    identity_validate(note, field="note")
    if decision == REFUSE and not note:
        raise ValidationError({"note": _("Give the reason: the department reads it.")})
    if decision != REFUSE:
        _refuse_if_cancelled(filing.title, field="decision")
    filing.status = DECISIONS[decision][0]
    filing.decided_at, filing.decided_by, filing.decision_note = timezone.now(), actor_user(actor), note
    filing.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "updated_at"])
    _decision_email(filing)
    return filing


@transaction.atomic
def cancelled_activity_record(
    *, kind: str, name: str, cancelled_on: dt.date, department=None, document: str = "", note: str = "", actor
) -> CancelledActivity:
    """Record an item abolished in the clean-up; from now on filing it is refused."""
    if not _may(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    name = (name or "").strip()
    if len(activity_name_key(name)) < MIN_KEY_LENGTH:
        raise ValidationError({"name": _("Give the item's full name (at least four letters or characters).")})
    if CancelledActivity.objects.filter(name_key=activity_name_key(name)).exists():
        raise ValidationError({"name": _("This item is already on the list of cancelled items.")})
    return CancelledActivity.objects.create(
        kind=kind, name=name, cancelled_on=cancelled_on, department=department, document=document, note=note
    )


# --- Complaints from the public list ---------------------------------------------------------


def activity_complaint_link(
    *,
    complaint: Complaint,
    filing: ActivityFiling | None = None,
    cancelled_item: CancelledActivity | None = None,
) -> ActivityComplaint:
    """The enterprise filed ``complaint`` from the public list: about ``filing``, about
    ``cancelled_item`` or (neither) about an activity not in the list. Only an approved filing is
    on the public list."""
    if filing is not None and cancelled_item is not None:
        raise ValidationError(_("A complaint is about one filed activity or one cancelled item."))
    if filing is not None and not filing.is_approved:
        raise ValidationError(_("Only approved activities are on the public list."))
    with transaction.atomic():
        return ActivityComplaint.objects.create(
            complaint=complaint, filing=filing, cancelled_item=cancelled_item
        )


# --- Flags -----------------------------------------------------------------------------------


def _flag_checks(*, kind: str, filing, cancelled_item, department) -> Department:
    if kind not in ActivityFlag.Kind.values:
        raise ValidationError({"kind": _("Choose what was wrong.")})
    if kind == ActivityFlag.Kind.FEE_WITHOUT_APPROVAL:
        if filing is None:
            raise ValidationError({"filing": _("Choose the filing that was approved without fee.")})
        if filing.status != S.APPROVED_NO_FEE:
            raise ValidationError({"filing": _("This filing was not approved without fee.")})
    if kind == ActivityFlag.Kind.CANCELLED_HELD and cancelled_item is None:
        raise ValidationError({"cancelled_item": _("Choose the cancelled item that was held.")})
    if kind == ActivityFlag.Kind.UNFILED and filing is not None and filing.is_approved:
        raise ValidationError({"filing": _("This activity was filed and approved: choose another kind.")})
    department = (
        department
        or (filing.department if filing else None)
        or (cancelled_item.department if cancelled_item else None)
    )
    if department is None:
        raise ValidationError({"department": _("Say which department held the activity.")})
    return department


@transaction.atomic
def activity_flag_raise(
    *,
    kind: str,
    title: str,
    explanation: str,
    actor,
    department: Department | None = None,
    held_on: dt.date | None = None,
    filing: ActivityFiling | None = None,
    cancelled_item: CancelledActivity | None = None,
    complaint_link: ActivityComplaint | None = None,
) -> ActivityFlag:
    """Staff report an activity held without filing, a fee charged when approved without fee, or
    a cancelled item held again (from what they learnt or from a complaint they confirm)."""
    if not _may(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    # Read again: the caller's copy may predate the decision it is checked against.
    if filing is not None:
        filing = ActivityFiling.objects.select_related("department").get(pk=filing.pk)
    if cancelled_item is not None:
        cancelled_item = CancelledActivity.objects.select_related("department").get(pk=cancelled_item.pk)
    department = _flag_checks(kind=kind, filing=filing, cancelled_item=cancelled_item, department=department)
    title = (
        (title or "").strip()
        or (filing.title if filing else "")
        or (cancelled_item.name if cancelled_item else "")
    )
    explanation = (explanation or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Name the activity.")
    if not explanation:
        errors["explanation"] = _("Say what happened.")
    if errors:
        raise ValidationError(errors)
    # The explanation becomes the case's description, which may reach the department.
    identity_validate(explanation, field="explanation")
    if complaint_link is not None:
        complaint_link = ActivityComplaint.objects.select_for_update().get(pk=complaint_link.pk)
        if ActivityFlag.objects.filter(complaint_link=complaint_link).exists():
            raise InvalidTransition(_("A flag has already been raised from this complaint."))
    return ActivityFlag.objects.create(
        kind=kind,
        department=department,
        title=title,
        held_on=held_on,
        filing=filing,
        cancelled_item=cancelled_item,
        complaint_link=complaint_link,
        explanation=explanation,
        raised_by=actor_user(actor),
    )


def activity_flag_from_complaint(
    *, link: ActivityComplaint, title: str, held_on: dt.date | None, explanation: str, actor
) -> ActivityFlag:
    """Staff confirm a complaint from the public list: an activity "not in this list" was held
    without filing; a cancelled item was held again; an activity approved without fee charged
    one. The department is the complaint's."""
    link = ActivityComplaint.objects.select_related("complaint", "filing", "cancelled_item").get(pk=link.pk)
    if link.cancelled_item_id:
        kind = ActivityFlag.Kind.CANCELLED_HELD
    elif link.filing_id:
        kind = ActivityFlag.Kind.FEE_WITHOUT_APPROVAL
    else:
        kind = ActivityFlag.Kind.UNFILED
    department = None
    if link.complaint.department_id:
        department = Department.objects.get(pk=link.complaint.department_id)
    return activity_flag_raise(
        kind=kind,
        title=title,
        explanation=explanation,
        held_on=held_on,
        department=department,
        filing=link.filing,
        cancelled_item=link.cancelled_item,
        complaint_link=link,
        actor=actor,
    )


@transaction.atomic
def activity_flag_dismiss(*, flag: ActivityFlag, note: str, actor) -> ActivityFlag:
    """Close a flag that turned out unfounded, saying why."""
    if not _may(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    flag = ActivityFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != ActivityFlag.Status.OPEN:
        raise InvalidTransition(
            _("This flag has already been decided: %(status)s.") % {"status": flag.get_status_display()}
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the flag is dismissed.")})
    flag.status = ActivityFlag.Status.DISMISSED
    flag.decided_at, flag.decided_by, flag.decision_note = timezone.now(), actor_user(actor), note
    flag.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    return flag


@transaction.atomic
def activity_case_open(
    *, flag: ActivityFlag, description: str, actor, category: str = Category.TRAINING
) -> Case:
    """Open a case from a flag (channel: training and award filings): an anonymous finding of the
    commission against the department, accepted at once; the flag becomes CASE."""
    if not _may(actor, *CASE_PERMISSIONS):
        raise PermissionDenied
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe what the case is about.")})
    flag = ActivityFlag.objects.select_for_update(of=("self",)).select_related("department").get(pk=flag.pk)
    if flag.case_id:
        raise InvalidTransition(_("A case has already been opened from this flag."))
    if flag.status != ActivityFlag.Status.OPEN:
        raise InvalidTransition(
            _("This flag has already been decided: %(status)s.") % {"status": flag.get_status_display()}
        )
    source = _("Training and award supervision: %(kind)s (%(title)s, %(department)s)") % {
        "kind": flag.get_kind_display(),
        "title": flag.title,
        "department": flag.department,
    }
    case = case_open_from_finding(
        department=flag.department,
        category=category,
        description=description,
        occurred_on=flag.held_on or timezone.localdate(),
        channel=Channel.ACTIVITY_FILING,
        source=source,
        actor=actor,
    )
    flag.status, flag.case = ActivityFlag.Status.CASE, case
    flag.decided_at, flag.decided_by = timezone.now(), actor_user(actor)
    flag.save(update_fields=["status", "case", "decided_at", "decided_by"])
    return case

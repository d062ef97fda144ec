"""Scan-to-enter (扫码入企): the inspector registers the entry on site against a filed
inspection, or declares an emergency entry with a reason; then records the outcome within
INSPECTION_OUTCOME_WORKING_DAYS working days. An unrecorded outcome climbs the escalation
ladder (inspections/entry_escalation.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.selectors import departments_of
from core.deadlines import deadline_create, deadline_meet
from inspections.models import Inspection, InspectionFlag, InspectionItem
from inspections.selectors import entry_window_days
from liaison.models import Department, Enterprise

OUTCOME_DEADLINE_KIND = "inspection_outcome"


def _check_inspector(actor, department_id: int) -> None:
    if not actor.has_perm("inspections.file_inspection") or department_id not in departments_of(actor):
        raise ValidationError(
            _("Only an inspector of the inspecting department can register this entry."), code="not_inspector"
        )


def _outcome_deadline(inspection: Inspection, today) -> None:
    inspection.outcome_deadline = deadline_create(
        subject=inspection,
        kind=OUTCOME_DEADLINE_KIND,
        start_date=today,
        working_days=settings.INSPECTION_OUTCOME_WORKING_DAYS,
    )


def inspection_enter(*, inspection: Inspection, enterprise: Enterprise, actor) -> Inspection:
    """Register the entry against a filed (approved) inspection of this enterprise planned for
    today or the last few days; the outcome is then due within the working days set."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        _check_inspector(actor, locked.department_id)
        if locked.enterprise_id != enterprise.pk:
            raise ValidationError(
                _(
                    "This inspection was filed for another enterprise: "
                    "scan the code of the enterprise you are at."
                ),
                code="other_enterprise",
            )
        if locked.status != Inspection.Status.FILED:
            raise ValidationError(
                _("Only a filed inspection that may proceed can be entered; this one is “%(status)s”.")
                % {"status": locked.get_status_display()},
                code="not_filed",
            )
        if locked.planned_on > today:
            raise ValidationError(
                _("This inspection is planned for %(date)s: it cannot be entered before that day.")
                % {"date": locked.planned_on.isoformat()},
                code="too_early",
            )
        if (today - locked.planned_on).days > entry_window_days():
            raise ValidationError(
                _("This filing is more than %(days)s days old: file the inspection again.")
                % {"days": entry_window_days()},
                code="too_late",
            )
        locked.status = Inspection.Status.ENTERED
        locked.entered_at = timezone.now()
        locked.entered_by = actor
        _outcome_deadline(locked, today)
        locked.save(update_fields=["status", "entered_at", "entered_by", "outcome_deadline", "updated_at"])
    return locked


def inspection_enter_emergency(
    *,
    enterprise: Enterprise,
    department: Department,
    reason: str,
    kind: str = Inspection.Kind.SPECIAL,
    items: Iterable[InspectionItem] = (),
    actor,
) -> Inspection:
    """An entry without a filing, for an emergency (a danger that cannot wait): recorded as
    entered at once, with the reason, and flagged for the commission's review."""
    _check_inspector(actor, department.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for entering without a filing."), code="no_reason")
    items = list(items)
    if any(item.department_id != department.pk for item in items):
        raise ValidationError(_("Choose items from the department's own list."), code="foreign_item")
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        inspection = Inspection.objects.create(
            department=department,
            enterprise=enterprise,
            kind=kind,
            planned_on=today,
            status=Inspection.Status.ENTERED,
            entered_at=now,
            entered_by=actor,
            emergency_reason=reason,
        )
        if items:
            inspection.items.set(items)
        _outcome_deadline(inspection, today)
        inspection.save(update_fields=["outcome_deadline"])
        InspectionFlag.objects.create(
            inspection=inspection,
            kind=InspectionFlag.Kind.EMERGENCY,
            explanation=_(
                "%(department)s entered without a filing, as an emergency, on %(date)s. "
                "The reason given: %(reason)s"
            )
            % {"department": department, "date": today.isoformat(), "reason": reason},
        )
    return inspection


def inspection_outcome_record(*, inspection: Inspection, outcome: str, note: str, actor) -> Inspection:
    """Record what the inspection found; the outcome deadline is met (or late, but met)."""
    if outcome not in Inspection.Outcome.values:
        raise ValidationError(_("Choose the outcome."), code="no_outcome")
    note = note.strip()
    if outcome != Inspection.Outcome.NO_PROBLEM and not note:
        raise ValidationError(_("Say what problems were found or what was decided."), code="no_note")
    with transaction.atomic():
        locked = (
            Inspection.objects.select_for_update(of=("self",))
            .select_related("outcome_deadline")
            .get(pk=inspection.pk)
        )
        _check_inspector(actor, locked.department_id)
        if locked.status != Inspection.Status.ENTERED:
            raise ValidationError(
                _("The outcome can be recorded only after the entry; this inspection is “%(status)s”.")
                % {"status": locked.get_status_display()},
                code="not_entered",
            )
        now = timezone.now()
        locked.status = Inspection.Status.CONCLUDED
        locked.outcome = outcome
        locked.outcome_note = note
        locked.outcome_at = now
        locked.save(update_fields=["status", "outcome", "outcome_note", "outcome_at", "updated_at"])
        if locked.outcome_deadline is not None:
            deadline_meet(deadline=locked.outcome_deadline, at=now)
    return locked

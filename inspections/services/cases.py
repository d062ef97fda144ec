"""From any flag or a low rating, one action opens a case (channel: inspection supervision) into the
normal workflow, like a finding of an unannounced visit: an anonymous complaint against the
inspecting department, accepted at once, the flag or the rating linked to the case.

No identity is recorded: the enterprise did not complain, the commission found it. A case from a
rating must not tell the department which enterprise rated what; staff release to the department
only what they write in the referral, as for every case."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case
from casework.services import case_open_from_finding
from complaints.models import Channel
from core.errors import InvalidTransition, actor_user
from inspections.models import Inspection, InspectionFlag, InspectionRating

CASE_PERMISSIONS = ("inspections.decide_inspection", "casework.handle_case")


@transaction.atomic
def inspection_case_open(
    *,
    inspection: Inspection,
    flag: InspectionFlag | None = None,
    rating: InspectionRating | None = None,
    category: str,
    description: str,
    actor,
) -> Case:
    """Open a case from ``flag`` or ``rating`` of ``inspection``; the flag becomes CASE."""
    if not (
        getattr(actor, "is_authenticated", False)
        and all(actor.has_perm(permission) for permission in CASE_PERMISSIONS)
    ):
        raise PermissionDenied
    if (flag is None) == (rating is None):
        raise ValidationError(_("A case is opened from one flag or one rating of the inspection."))
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe what the case is about.")})
    inspection = Inspection.objects.select_related("department", "enterprise").get(pk=inspection.pk)
    if flag is not None:
        flag = InspectionFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.inspection_id != inspection.pk:
            raise ValidationError(_("This flag belongs to another inspection."))
        if flag.case_id:
            raise InvalidTransition(_("A case has already been opened from this flag."))
        source = _("Inspection supervision: %(flag)s (inspection of %(date)s by %(department)s)") % {
            "flag": flag.get_kind_display(),
            "date": inspection.planned_on.isoformat(),
            "department": inspection.department,
        }
    else:
        rating = InspectionRating.objects.select_for_update().get(pk=rating.pk)
        if rating.inspection_id != inspection.pk:
            raise ValidationError(_("This rating belongs to another inspection."))
        if rating.case_id:
            raise InvalidTransition(_("A case has already been opened from this rating."))
        source = _("Inspection supervision: a low rating (inspection of %(date)s by %(department)s)") % {
            "date": inspection.planned_on.isoformat(),
            "department": inspection.department,
        }
    case = case_open_from_finding(
        department=inspection.department,
        category=category,
        description=description,
        occurred_on=inspection.entered_at.date() if inspection.entered_at else inspection.planned_on,
        channel=Channel.INSPECTION,
        source=source,
        actor=actor,
    )
    if flag is not None:
        flag.status, flag.case = InspectionFlag.Status.CASE, case
        flag.decided_at, flag.decided_by = timezone.now(), actor_user(actor)
        flag.save(update_fields=["status", "case", "decided_at", "decided_by"])
    else:
        rating.case = case
        rating.save(update_fields=["case"])
    return case

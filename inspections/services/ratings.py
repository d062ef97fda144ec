"""The enterprise's anonymous rating of an inspection (1–5 and a comment), once per inspection.

Anonymous towards the department: the department sees only aggregates
(inspections.selectors.ratings_aggregate_for_department); a low rating (≤ 2) raises a flag for
the commission, whose explanation carries neither the comment nor the enterprise."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inspections.models import Inspection, InspectionFlag, InspectionRating, InspectionRatingIdentityView
from inspections.selectors import RATABLE
from liaison.models import Enterprise

LOW_RATING_MAX = 2


def rating_add(
    *, inspection: Inspection, enterprise: Enterprise, score: int, comment: str = ""
) -> InspectionRating:
    """Rate an inspection of this enterprise that took place (entered or concluded)."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError(_("Give a score from 1 to 5."), code="score")
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.enterprise_id != enterprise.pk:
            raise ValidationError(_("This inspection is not one of yours."), code="other_enterprise")
        if locked.status not in RATABLE:
            raise ValidationError(
                _("An inspection can be rated once the inspectors have been on site."), code="not_ratable"
            )
        if InspectionRating.objects.filter(inspection=locked).exists():
            raise ValidationError(_("You have already rated this inspection."), code="rated")
        rating = InspectionRating.objects.create(inspection=locked, score=score, comment=comment.strip())
        if score <= LOW_RATING_MAX:
            InspectionFlag.objects.get_or_create(
                inspection=locked,
                kind=InspectionFlag.Kind.LOW_RATING,
                defaults={
                    "explanation": _("The enterprise rated this inspection %(score)s of 5.")
                    % {"score": score}
                },
            )
    return rating


def inspection_complaint_link(*, inspection: Inspection, complaint) -> None:
    """The enterprise filed a complaint about this inspection ("this inspection disturbed us")."""
    with transaction.atomic():
        inspection.complaints.add(complaint)
        InspectionRating.objects.filter(inspection=inspection).update(disturbed=True)


def rating_identity_views_record(
    *, rating_ids, viewer, kind: str = InspectionRatingIdentityView.Kind.RECORD
) -> None:
    """Put on the record that this member of staff has just seen who gave these ratings (the
    rated inspections, so their enterprises): one statement however many were shown, like each
    look at a complainant's identity (complaints.services.complaint_identity_view_record)."""
    rating_ids = sorted(set(rating_ids))
    if not rating_ids:
        return
    InspectionRatingIdentityView.objects.bulk_create(
        InspectionRatingIdentityView(rating_id=pk, viewer=viewer, kind=kind) for pk in rating_ids
    )

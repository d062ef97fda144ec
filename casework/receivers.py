"""What casework does when the intake or the shared deadline mechanism reports something."""

from django.db import transaction
from django.utils.translation import gettext as _

from casework.models import CaseComplaint, CaseEvent, Recommendation, Referral


def on_complaint_rated(sender, *, complaint, rating, **kwargs) -> None:
    link = CaseComplaint.objects.filter(complaint=complaint).select_related("case").first()
    if link is not None:
        CaseEvent.objects.create(
            case=link.case,
            action=CaseEvent.Action.RATED,
            note=f"{rating.get_level_display()} {rating.comment}".strip(),
        )


def on_complaint_supplemented(sender, *, complaint, supplement, **kwargs) -> None:
    link = CaseComplaint.objects.filter(complaint=complaint).select_related("case").first()
    if link is not None and supplement.from_complainant:
        CaseEvent.objects.create(
            case=link.case,
            action=CaseEvent.Action.NOTE,
            note=_("The complainant added information to %(reference)s.")
            % {"reference": complaint.reference},
        )


def _deadlines_recomputed(model, changes, reason: str) -> None:
    """Keep the subjects' stored due dates in step and put the change on each case's timeline."""
    ids = {deadline.object_id: new for deadline, _old, new in changes}
    subjects = list(model.objects.filter(pk__in=ids, deadline__in=[d for d, _o, _n in changes]))
    for subject in subjects:
        subject.due_date = ids[subject.pk]
    with transaction.atomic():
        model.objects.bulk_update(subjects, ["due_date"])
        old_by_id = {deadline.object_id: old for deadline, old, _new in changes}
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=subject.case_id,
                    action=CaseEvent.Action.DEADLINE_CHANGED,
                    note=_("%(what)s due date %(old)s → %(new)s: %(reason)s")
                    % {
                        "what": model._meta.verbose_name,
                        "old": old_by_id[subject.pk],
                        "new": subject.due_date,
                        "reason": reason,
                    },
                )
                for subject in subjects
            ]
        )


def on_referral_deadlines_recomputed(changes, reason: str) -> None:
    _deadlines_recomputed(Referral, changes, reason)


def on_recommendation_deadlines_recomputed(changes, reason: str) -> None:
    _deadlines_recomputed(Recommendation, changes, reason)

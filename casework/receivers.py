"""What casework does when the intake or the shared deadline mechanism reports something."""

from django.db import connection, transaction
from django.utils.translation import gettext as _

from casework.models import CaseComplaint, CaseEvent, Recommendation, Referral
from casework.services import case_events_add_many
from core.models import Deadline
from core.sql import in_ids


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
    """Keep the subjects' stored due dates in step and put the change on each case's timeline:
    two statements however many due dates a calendar edit moved (a join, not a subquery per
    row, and the cases come back from the UPDATE itself)."""
    moved = {deadline.pk: (old, new) for deadline, old, new in changes}
    what = str(model._meta.verbose_name)
    qn = connection.ops.quote_name
    condition, params = in_ids("d.id", moved)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(model._meta.db_table)} AS s SET due_date = d.due_date "  # noqa: S608
                f"FROM {qn(Deadline._meta.db_table)} AS d WHERE s.deadline_id = d.id AND {condition} "
                "RETURNING case_id, deadline_id",  # unqualified: SQLite names only its own columns
                params,
            )
            rows = cursor.fetchall()
        case_events_add_many(
            [
                (
                    case_id,
                    _("%(what)s due date %(old)s → %(new)s: %(reason)s")
                    % {
                        "what": what,
                        "old": moved[deadline_id][0],
                        "new": moved[deadline_id][1],
                        "reason": reason,
                    },
                )
                for case_id, deadline_id in rows
            ],
            action=CaseEvent.Action.DEADLINE_CHANGED,
        )


def on_referral_deadlines_recomputed(changes, reason: str) -> None:
    _deadlines_recomputed(Referral, changes, reason)


def on_recommendation_deadlines_recomputed(changes, reason: str) -> None:
    _deadlines_recomputed(Recommendation, changes, reason)

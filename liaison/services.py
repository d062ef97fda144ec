"""Writes to the directory's liaison log. Imports of the directory itself live in ``imports.py``."""

import datetime

from django.db import transaction

from liaison.models import LiaisonPoint, LiaisonVisit, Supervisor


@transaction.atomic
def liaison_visit_record(
    *,
    point: LiaisonPoint | None = None,
    supervisor: Supervisor | None = None,
    visited_on: datetime.date,
    kind: str,
    summary: str,
    issues_raised: str = "",
    actor,
) -> LiaisonVisit:
    """Log a visit, feedback or meeting with exactly one liaison point or supervisor.

    Raises ``ValidationError`` (translated, per field) when neither or both are named, when the
    date is in the future, when the kind is unknown or the summary is empty."""
    visit = LiaisonVisit(
        point=point,
        supervisor=supervisor,
        visited_on=visited_on,
        kind=kind,
        summary=summary.strip(),
        issues_raised=issues_raised.strip(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    visit.full_clean()
    visit.save()
    return visit


@transaction.atomic
def liaison_visit_update(
    *,
    visit: LiaisonVisit,
    point: LiaisonPoint | None,
    supervisor: Supervisor | None,
    visited_on: datetime.date,
    kind: str,
    summary: str,
    issues_raised: str = "",
    actor,
) -> LiaisonVisit:
    """Correct a logged entry under the same rules as recording one; who recorded it stays."""
    visit = LiaisonVisit.objects.select_for_update().get(pk=visit.pk)
    visit.point, visit.supervisor = point, supervisor
    visit.visited_on, visit.kind = visited_on, kind
    visit.summary, visit.issues_raised = summary.strip(), issues_raised.strip()
    visit.full_clean()
    visit.save(update_fields=["point", "supervisor", "visited_on", "kind", "summary", "issues_raised"])
    return visit

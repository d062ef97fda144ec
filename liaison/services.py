"""Writes to the directory's liaison log, and the record of each directory import. Reading and
saving the imported rows themselves lives in ``imports.py``, which calls
``directory_import_record`` in the transaction that saves them."""

import datetime

from django.db import transaction

from core.errors import actor_user
from liaison.models import DirectoryImport, LiaisonPoint, LiaisonVisit, Supervisor


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
        recorded_by=actor_user(actor),
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


def directory_import_record(
    *,
    kind: str,
    source: str,
    rows: int,
    created: int,
    updated: int,
    unchanged: int,
    actor,
    file_name: str = "",
    system_user: str = "",
) -> DirectoryImport:
    """Put a saved directory import on the record: who, what, when, how many rows created and
    updated. Called by the import inside the transaction that saved the rows."""
    return DirectoryImport.objects.create(
        kind=kind,
        source=source,
        file_name=file_name[: DirectoryImport._meta.get_field("file_name").max_length],
        imported_by=actor_user(actor),
        system_user=system_user,
        rows=rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
    )

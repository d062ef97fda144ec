"""Shared reads of filing: the one rule for which inspections a department user sees (its own
departments' filings), used by the portal pages and the API alike."""

from django.db.models import Count, Q, QuerySet

from casework.selectors import departments_of
from inspections.models import Inspection, InspectionFlag


def inspection_list_for_department(*, viewer) -> QuerySet[Inspection]:
    """Inspections filed by the departments ``viewer`` acts for, with their open flag count."""
    return (
        Inspection.objects.filter(department_id__in=departments_of(viewer))
        .select_related("department", "enterprise", "unit")
        .annotate(
            open_flags=Count(
                "flags",
                filter=Q(flags__status=InspectionFlag.Status.OPEN)
                & ~Q(flags__kind__in=InspectionFlag.HIDDEN_FROM_DEPARTMENTS),
            )
        )
    )


def flags_for_department(inspection: Inspection) -> QuerySet[InspectionFlag]:
    """The flags of an inspection its department may read (never a low rating's)."""
    return inspection.flags.exclude(kind__in=InspectionFlag.HIDDEN_FROM_DEPARTMENTS)

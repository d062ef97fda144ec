"""Shared reads of approval signals: what a department may see of them, decided here alone so
that its list and its detail page never disagree. Nothing here reads the complaints linked to a
record (record.complaints): they would tell the department who complained."""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.models import ApprovalSignal
from casework.selectors import departments_of


def department_signals(viewer) -> QuerySet[ApprovalSignal]:
    """The signals of the departments ``viewer`` acts for, with what their pages show."""
    return ApprovalSignal.objects.filter(department_id__in=departments_of(viewer)).select_related(
        "record__item", "department", "deadline"
    )


__all__ = ["department_signals"]

"""Reads of the efficiency assessment shared by its pages, the leaders' dashboard, /figures/ and
the API: the published rows of a quarter, and the results a page shows (published, or computed
now while the quarter is not published)."""

from __future__ import annotations

from collections import Counter

from django.conf import settings

from core.periods import Period
from core.stored_figures import figures_read
from reports.dashboard.assessment import AssessmentResult, assessment_compute
from reports.dashboard.assessment_services import assessment_result_of
from reports.models import EfficiencyAssessment

Grade = EfficiencyAssessment.Grade


def published_assessments(quarter: Period) -> list[EfficiencyAssessment]:
    """The quarter's published rows, ranked (one query)."""
    return list(
        EfficiencyAssessment.objects.filter(quarter=quarter.label)
        .select_related("department", "case")
        .order_by("rank", "department__name")
    )


def assessment_results(quarter: Period, *, cached: bool = False) -> tuple[list[AssessmentResult], bool]:
    """(results, published?): the published results of the quarter, else computed now; with
    ``cached``, a computation at most ``DASHBOARD_FIGURES_SECONDS`` old (the dashboard's rule)."""
    published = published_assessments(quarter)
    if published:
        return [assessment_result_of(row) for row in published], True
    if not cached:
        return assessment_compute(quarter), False
    key = f"reports:assessment:v1:{quarter.label}"
    results, _from_store = figures_read(
        key, lambda: assessment_compute(quarter), max_age=settings.DASHBOARD_FIGURES_SECONDS
    )
    return results, False


def grade_counts(results: list[AssessmentResult]) -> list[tuple[str, str, int]]:
    """(grade, label, departments) in the order of the grades."""
    counts = Counter(result.grade for result in results)
    return [(grade.value, str(grade.label), counts[grade.value]) for grade in Grade]

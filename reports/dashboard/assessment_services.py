"""Writes of the efficiency assessment: publishing a quarter's results, and issuing the supervision
recommendation (监察建议) drafted for a unit graded 不合格.

A published quarter is history: its rows keep the figures, scores, weights and boundaries they
were computed with, so a later edit of the scheme changes nothing published. Only an explicit
recompute (``replace=True``) rewrites a quarter; a recommendation already issued stays linked."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case, Recommendation
from casework.services import case_open_from_finding, recommendation_issue
from complaints.models import Category, Channel
from core.periods import QUARTER, Period
from reports.dashboard.assessment import (
    INDICATORS,
    AssessmentResult,
    Indicator,
    assessment_compute,
    assessment_scheme_active,
    effective_weights,
    indicator_value,
    recommendation_draft,
)
from reports.models import EfficiencyAssessment

Grade = EfficiencyAssessment.Grade
# What a recompute rewrites; the case and the recommendation issued stay.
REWRITTEN = ["period_start", "period_end", "inputs", "scores", "weights", "total", "grade", "rank",
             "computed_at", "published_by", "recommendation_draft"]  # fmt: skip


def _row(result: AssessmentResult, *, scheme, actor, now) -> EfficiencyAssessment:
    return EfficiencyAssessment(
        quarter=result.period.label,
        period_start=result.period.first_day,
        period_end=result.period.last_day,
        department_id=result.department_id,
        inputs=result.inputs,
        scores=result.scores,
        weights={
            "weights": scheme.weights,
            "boundaries": {
                "excellent": str(scheme.excellent_from),
                "good": str(scheme.good_from),
                "pass": str(scheme.pass_from),
            },
        },
        total=result.total,
        grade=result.grade,
        rank=result.rank,
        computed_at=now,
        published_by=actor,
        recommendation_draft=recommendation_draft(result),
    )


@transaction.atomic
def assessment_publish(*, quarter: Period, actor, replace: bool = False) -> list[EfficiencyAssessment]:
    """Compute ``quarter`` with the scheme in use and store every department's result. A quarter
    already published is replaced only with ``replace=True`` (the explicit recompute)."""
    if quarter.kind != QUARTER:
        raise ValidationError(_("Only a quarter's assessment is published."), code="not_a_quarter")
    if not quarter.has_ended():
        raise ValidationError(
            _("%(quarter)s has not ended yet: it is published once it is over.")
            % {"quarter": quarter.display},
            code="not_over",
        )
    published = EfficiencyAssessment.objects.select_for_update().filter(quarter=quarter.label)
    if list(published.values_list("pk", flat=True)) and not replace:
        raise ValidationError(
            _("%(quarter)s is already published. Recompute it explicitly to replace the published results.")
            % {"quarter": quarter.display},
            code="published",
        )
    scheme = assessment_scheme_active()
    results = assessment_compute(quarter, scheme=scheme)
    now = timezone.now()
    rows = [_row(result, scheme=scheme, actor=actor, now=now) for result in results]
    # A department no longer assessed leaves, unless a recommendation was issued from its row.
    published.exclude(department_id__in=[row.department_id for row in rows]).filter(
        case__isnull=True, recommendation__isnull=True
    ).delete()
    EfficiencyAssessment.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["quarter", "department"], update_fields=REWRITTEN
    )
    return list(EfficiencyAssessment.objects.filter(quarter=quarter.label).select_related("department"))


@transaction.atomic
def assessment_recommendation_issue(
    *, assessment: EfficiencyAssessment, actor, content: str = ""
) -> Recommendation:
    """Issue the supervision recommendation to a unit graded 不合格: a case opened against the
    department from the commission's own finding (channel: approvals' electronic supervision,
    category: administrative approval), and the recommendation issued on it with its
    rectification deadline. ``content`` is the text as staff edited it (the draft otherwise)."""
    row = EfficiencyAssessment.objects.select_for_update().select_related("department").get(pk=assessment.pk)
    if row.grade != Grade.FAIL:
        raise ValidationError(
            _("Only a unit graded fail gets a supervision recommendation."), code="not_failed"
        )
    if row.recommendation_id is not None:
        raise ValidationError(_("This recommendation has already been issued."), code="issued")
    text = (content or row.recommendation_draft).strip()
    if not text:
        raise ValidationError({"content": _("Write the recommendation.")}, code="no_content")
    case: Case | None = row.case
    if case is None:
        case = case_open_from_finding(
            department=row.department,
            category=Category.PERMITS,
            description=text,
            occurred_on=row.period_end,
            channel=Channel.APPROVAL,
            source=_("Efficiency assessment of %(quarter)s") % {"quarter": Period.parse(row.quarter).display},
            actor=actor,
        )
    recommendation = recommendation_issue(
        case=case,
        department=row.department,
        content=text,
        basis=_("Efficiency assessment of %(quarter)s: total %(total)s, graded %(grade)s.")
        % {
            "quarter": Period.parse(row.quarter).display,
            "total": row.total,
            "grade": row.get_grade_display(),
        },
        actor=actor,
    )
    row.case, row.recommendation, row.recommendation_draft = case, recommendation, text
    row.save(update_fields=["case", "recommendation", "recommendation_draft"])
    return recommendation


def assessment_result_of(row: EfficiencyAssessment) -> AssessmentResult:
    """A published row read back as a result: its own figures, scores and weights, whatever the
    scheme says today."""
    weights = row.weights.get("weights", {})
    scores = {key: row.scores.get(key) for key in INDICATORS}
    applied = effective_weights(scores, {key: weights.get(key, 0) for key in INDICATORS})
    indicators = [
        Indicator(key, indicator_value(key, row.inputs), scores[key], weights.get(key, 0), applied.get(key))
        for key in INDICATORS
    ]
    return AssessmentResult(
        period=Period.parse(row.quarter),
        department_id=row.department_id,
        department_name=row.department.name,
        inputs=row.inputs,
        indicators=indicators,
        total=row.total,
        grade=row.grade,
        rank=row.rank,
        pass_mark=Decimal(row.weights.get("boundaries", {}).get("pass", "60")),
    )

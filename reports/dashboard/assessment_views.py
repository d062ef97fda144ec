"""The efficiency assessment's pages (staff and leaders, the dashboard's permission): the quarter's
assessment with every number linked to its records, publishing it, issuing the supervision
recommendation drafted for a unit graded 不合格, and the monthly bulletin (定期通报) with its
workbook. The public ranking is a section of /figures/ (``reports.dashboard.views``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import error_messages
from core.periods import MONTH, Period, previous_month, shanghai_today
from reports.dashboard.assessment import INDICATORS, assessment_compute, assessment_scheme_active
from reports.dashboard.assessment_selectors import published_assessments
from reports.dashboard.assessment_services import (
    assessment_publish,
    assessment_recommendation_issue,
    assessment_result_of,
)
from reports.dashboard.assessment_tables import (
    definitions,
    indicator_labels,
    result_rows,
)
from reports.dashboard.exports import BULLETIN_EXPORT
from reports.dashboard.views import (
    DASHBOARD_PERMISSION,
    export_started,
    quarter_choices,
    quarter_from_request,
)
from reports.models import EfficiencyAssessment

PUBLISH_PERMISSION = "reports.publish_efficiencyassessment"
MONTHS_OFFERED = 12
Grade = EfficiencyAssessment.Grade


def _rows_for(quarter: Period):
    """(rows, published rows by department, published?): the published results when the quarter
    is published, the live computation otherwise."""
    published = published_assessments(quarter)
    if published:
        rows = result_rows([assessment_result_of(row) for row in published])
        for row, assessment_row in zip(rows, published, strict=True):
            row.assessment = assessment_row
        return rows, {row.department_id: row for row in published}, True
    return result_rows(assessment_compute(quarter)), {}, False


def _weights_shown(published: dict[int, EfficiencyAssessment]):
    """The weights and boundaries in use: those the quarter was published with, else the scheme's."""
    if published:
        stored = next(iter(published.values())).weights
        return stored.get("weights", {}), stored.get("boundaries", {})
    scheme = assessment_scheme_active()
    boundaries = {"excellent": scheme.excellent_from, "good": scheme.good_from, "pass": scheme.pass_from}
    return scheme.weights, boundaries


@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
@never_cache
@require_GET
def assessment(request):
    quarter, problem = quarter_from_request(request)
    rows, published, is_published = _rows_for(quarter)
    weights, boundaries = _weights_shown(published)
    labels = dict(indicator_labels())
    context = {
        "quarter": quarter,
        "report": {"quarter": quarter},  # the quarter picker's selected value
        "problem": problem,
        "quarters": quarter_choices(quarter),
        "rows": rows,
        "published": published,
        "is_published": is_published,
        "published_at": next(iter(published.values())).computed_at if published else None,
        # In the indicators' order (a published row's JSON keeps no order).
        "weights": [(labels[key], weights.get(key, 0)) for key in INDICATORS],
        "boundaries": boundaries,
        "indicator_labels": indicator_labels(),
        "definitions": definitions(),
        "can_publish": request.user.has_perm(PUBLISH_PERMISSION),
        "can_be_published": quarter.has_ended(),
        "failed": [row for row in rows if row.result.grade == Grade.FAIL],
    }
    return render(request, "reports/assessment/assessment.html", context)


@login_required
@permission_required(PUBLISH_PERMISSION, raise_exception=True)
@require_POST
def assessment_publish_view(request):
    try:
        quarter = Period.parse(request.POST.get("quarter", ""))
        rows = assessment_publish(
            quarter=quarter, actor=request.user, replace=request.POST.get("replace") == "1"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error_messages(error)))
        return redirect(f"{reverse('dashboard:assessment')}?quarter={request.POST.get('quarter', '')}")
    messages.success(
        request,
        _("The assessment of %(quarter)s is published: %(count)s departments.")
        % {"quarter": quarter.display, "count": len(rows)},
    )
    return redirect(f"{reverse('dashboard:assessment')}?quarter={quarter.label}")


@login_required
@permission_required(PUBLISH_PERMISSION, raise_exception=True)
@require_POST
def assessment_recommendation_issue_view(request, pk: int):
    row = get_object_or_404(EfficiencyAssessment, pk=pk)
    back = f"{reverse('dashboard:assessment')}?quarter={row.quarter}#department-{row.department_id}"
    try:
        recommendation = assessment_recommendation_issue(
            assessment=row, actor=request.user, content=request.POST.get("content", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error_messages(error)))
        return redirect(back)
    messages.success(
        request,
        _("The supervision recommendation to %(department)s is issued, on case %(case)s.")
        % {"department": row.department.name, "case": recommendation.case.reference},
    )
    return redirect(back)


def month_from_request(request) -> tuple[Period, str]:
    """The month asked for (``?month=2026-10``), or the previous month with the reason why not."""
    default = previous_month()
    text = request.GET.get("month", "").strip()
    if not text:
        return default, ""
    try:
        month = Period.parse(text, kinds=(MONTH,))
    except ValidationError as error:
        return default, " ".join(error.messages)
    if month.first_day > shanghai_today():
        return default, _("%(month)s has not begun yet.") % {"month": month.display}
    return month, ""


def month_choices(selected: Period) -> list[Period]:
    current = Period.current(kind=MONTH)
    choices = [current.shifted(-n) for n in range(MONTHS_OFFERED)]
    if selected not in choices:
        choices.append(selected)
    return choices


@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
@never_cache
@require_GET
def bulletin(request):
    month, problem = month_from_request(request)
    rows = result_rows(assessment_compute(month))
    context = {
        "month": month,
        "problem": problem,
        "months": month_choices(month),
        "rows": rows,
        "indicator_labels": indicator_labels(),
        "definitions": definitions(),
    }
    return render(request, "reports/assessment/bulletin.html", context)


@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
@require_POST
def bulletin_xlsx(request):
    month, _problem = month_from_request(request)
    return export_started(request, kind=BULLETIN_EXPORT, period=month)

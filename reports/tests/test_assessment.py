"""The efficiency assessment's figures against hand-computed answers (see assessment_data), its
scores and grades at their edges, the scheme's validation, a constant number of statements, the
published history and the draft supervision recommendation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from approvals.models import ApprovalSignal
from casework.models import Case, Recommendation
from complaints.models import Category, Channel
from core.periods import Period, Quarter
from liaison.models import Department
from reports.dashboard.assessment import (
    APPRAISAL,
    AVERAGE_TIME,
    COMPLAINTS,
    INDICATOR_TEXTS,
    ON_TIME,
    REFERRALS,
    SATISFACTION,
    SIGNALS,
    assessment_compute,
    grade_of,
    indicator_score,
    recommendation_draft,
)
from reports.dashboard.assessment_services import (
    assessment_publish,
    assessment_recommendation_issue,
    assessment_result_of,
)
from reports.models import AssessmentScheme, EfficiencyAssessment
from reports.tests import assessment_data
from reports.tests.assessment_data import Q3, at

pytestmark = pytest.mark.django_db
Grade = EfficiencyAssessment.Grade

EXPECTED_INPUTS = {
    "a": {"decided": 4, "on_time": 4, "average_days": 4, "signals": 0, "signals_red": 0, "complaints": 0,
          "referrals_due": 1, "referrals_on_time": 1, "rated": 1, "rated_satisfied": 1, "rated_basically": 0,
          "accepted": 5},
    "b": {"decided": 4, "on_time": 3, "average_days": 4, "signals": 1, "signals_red": 0, "complaints": 0,
          "referrals_due": 0, "referrals_on_time": 0, "rated": 2, "rated_satisfied": 0, "rated_basically": 1,
          "accepted": 4},
    "c": {"decided": 0, "on_time": 0, "average_days": 0, "signals": 0, "signals_red": 0, "complaints": 2,
          "referrals_due": 3, "referrals_on_time": 2, "rated": 0, "rated_satisfied": 0, "rated_basically": 0,
          "accepted": 1},
}  # fmt: skip
EXPECTED_SCORES = {
    "a": {ON_TIME: 100, AVERAGE_TIME: 100, SIGNALS: 100, COMPLAINTS: 100, REFERRALS: 100, SATISFACTION: 100,
          APPRAISAL: None},
    "b": {ON_TIME: 75, AVERAGE_TIME: 40, SIGNALS: 0, COMPLAINTS: 100, REFERRALS: None, SATISFACTION: 50,
          APPRAISAL: None},
    "c": {ON_TIME: None, AVERAGE_TIME: None, SIGNALS: None, COMPLAINTS: None, REFERRALS: 200 / 3,
          SATISFACTION: None, APPRAISAL: None},
}  # fmt: skip
EXPECTED_TOTALS = {"a": Decimal("100.00"), "b": Decimal("55.94"), "c": Decimal("66.67")}
EXPECTED_GRADES = {"a": Grade.EXCELLENT, "b": Grade.FAIL, "c": Grade.PASS}


@pytest.fixture
def data():
    return assessment_data.build()


def _by_name(results, data):
    names = {data.a.pk: "a", data.b.pk: "b", data.c.pk: "c"}
    return {names[result.department_id]: result for result in results}


def test_the_figures_are_the_hand_computed_ones(data):
    results = _by_name(assessment_compute(Q3), data)
    assert set(results) == {"a", "b", "c"}
    for name, expected in EXPECTED_INPUTS.items():
        inputs = {key: results[name].inputs[key] for key in expected}
        assert inputs == expected, name
    assert results["a"].inputs["ratio_sum"] == pytest.approx(2.0)
    assert results["b"].inputs["ratio_sum"] == pytest.approx(4.4)


def test_the_scores_totals_grades_and_ranks_are_the_hand_computed_ones(data):
    results = _by_name(assessment_compute(Q3), data)
    for name, expected in EXPECTED_SCORES.items():
        scores = results[name].scores
        assert set(scores) == set(expected)
        for key, value in expected.items():
            assert scores[key] == (None if value is None else pytest.approx(value)), (name, key)
    assert {name: result.total for name, result in results.items()} == EXPECTED_TOTALS
    assert {name: result.grade for name, result in results.items()} == EXPECTED_GRADES
    assert {name: result.rank for name, result in results.items()} == {"a": 1, "c": 2, "b": 3}


def test_the_appraisals_weight_and_missing_indicators_are_shared_out_in_proportion(data):
    results = _by_name(assessment_compute(Q3), data)
    applied = {item.key: item.applied_weight for item in results["b"].indicators}
    # Assessed: 25 + 15 + 15 + 15 + 10 = 80, each scaled by 100/80.
    assert applied[ON_TIME] == Decimal("31.25")
    assert applied[SATISFACTION] == Decimal("12.5")
    assert applied[APPRAISAL] is None and applied[REFERRALS] is None
    assert sum(weight for weight in applied.values() if weight is not None) == 100


def test_other_weights_change_the_total_as_computed_by_hand(data):
    scheme = AssessmentScheme.objects.get(is_active=True)
    scheme.weight_on_time, scheme.weight_average_time, scheme.weight_signals = 50, 0, 0
    scheme.weight_complaints, scheme.weight_referrals, scheme.weight_satisfaction = 0, 25, 25
    scheme.weight_appraisal = 0
    scheme.full_clean()
    scheme.save()
    results = _by_name(assessment_compute(Q3), data)
    # B: on time 75 (50) and satisfaction 50 (25); referrals not assessed: (75×50 + 50×25)/75.
    assert results["b"].total == Decimal("66.67")
    assert results["b"].grade == Grade.PASS


def test_a_period_that_has_nothing_assesses_nobody(data):
    assert assessment_compute(Period.quarter(2025, 1)) == []


# --- Scores and grades at their edges ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100.00", Grade.EXCELLENT),
        ("90.00", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80.00", Grade.GOOD),
        ("79.99", Grade.PASS),
        ("60.00", Grade.PASS),
        ("59.99", Grade.FAIL),
        ("0.00", Grade.FAIL),
    ],
)
def test_grade_boundaries_include_their_edge(total, grade):
    assert grade_of(Decimal(total), AssessmentScheme()) == grade


def test_no_indicator_assessed_is_no_grade():
    assert grade_of(None, AssessmentScheme()) == Grade.NOT_ASSESSED


@pytest.mark.parametrize(
    ("key", "value", "score"),
    [
        (AVERAGE_TIME, 0.5, 100),
        (AVERAGE_TIME, 0.2, 100),
        (AVERAGE_TIME, 1.0, 50),
        (AVERAGE_TIME, 1.5, 0),
        (AVERAGE_TIME, 2.0, 0),
        (SIGNALS, 0, 100),
        (SIGNALS, 2, 90),
        (SIGNALS, 20, 0),
        (SIGNALS, 30, 0),
        (COMPLAINTS, 5, 90),
        (COMPLAINTS, 50, 0),
        (ON_TIME, 0.9, 90),
        (ON_TIME, None, None),
    ],
)
def test_each_indicator_maps_to_its_documented_score(key, value, score):
    result = indicator_score(key, value)
    assert result == (None if score is None else pytest.approx(score))


# --- The scheme's validation --------------------------------------------------------------------------


def test_the_migration_installs_one_active_scheme_with_the_default_weights():
    scheme = AssessmentScheme.objects.get(is_active=True)
    assert sum(scheme.weights.values()) == 100
    assert (scheme.excellent_from, scheme.good_from, scheme.pass_from) == (90, 80, 60)


def test_weights_must_add_up_to_100():
    scheme = AssessmentScheme(name="x", is_active=False, weight_on_time=26)
    with pytest.raises(ValidationError) as raised:
        scheme.full_clean()
    assert "weight_on_time" in raised.value.message_dict
    assert "101" in " ".join(raised.value.message_dict["weight_on_time"])


def test_grade_boundaries_must_descend():
    scheme = AssessmentScheme(name="x", is_active=False, good_from=Decimal(90))
    with pytest.raises(ValidationError) as raised:
        scheme.full_clean()
    assert "excellent_from" in raised.value.message_dict


def test_only_one_scheme_is_in_use():
    with pytest.raises(ValidationError):
        AssessmentScheme(name="second", is_active=True).full_clean()


def test_the_admin_refuses_weights_that_do_not_add_up_and_keeps_what_was_typed(admin_client):
    scheme = AssessmentScheme.objects.get(is_active=True)
    post = {
        "name": scheme.name,
        "is_active": "on",
        **dict.fromkeys(AssessmentScheme.WEIGHT_FIELDS, "20"),
        "excellent_from": "90",
        "good_from": "80",
        "pass_from": "60",
    }
    response = admin_client.post(f"/admin/reports/assessmentscheme/{scheme.pk}/change/", post)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "weight_on_time" in form.errors
    assert form.data["weight_signals"] == "20"
    scheme.refresh_from_db()
    assert scheme.weight_on_time == 25


# --- A constant cost --------------------------------------------------------------------------------


def _statements(period, **options) -> int:
    with CaptureQueriesContext(connection) as captured:
        assessment_compute(period, **options)
    return len(captured.captured_queries)


# A quarter reads its cases accepted and complaints rated from the dashboard's kept sums in one
# statement (PostgreSQL); counted from the tables they are two.
QUARTER_STATEMENTS = 7 if connection.vendor == "postgresql" else 8


def test_the_assessment_costs_a_fixed_number_of_statements_for_3_or_30_departments():
    # The democratic appraisal's scores are one grouped query of them.
    assert _statements(Q3) == QUARTER_STATEMENTS  # nothing at all
    assessment_data.build("-1")
    few = _statements(Q3)
    for n in range(2, 11):
        assessment_data.build(f"-{n}")
    assert Department.objects.count() >= 30
    assert len(assessment_compute(Q3)) == 30
    assert few == _statements(Q3) == QUARTER_STATEMENTS
    assert _statements(Q3, live=False) == 8
    assert _statements(Period.month(2026, 8)) == 8  # a month (the bulletin) is counted
    # Both ways give the same results.
    assert assessment_compute(Q3) == assessment_compute(Q3, live=False)


# --- Publishing: history ------------------------------------------------------------------------------


def test_publishing_stores_the_results_and_a_later_edit_of_the_weights_does_not_rewrite_them(data):
    rows = assessment_publish(quarter=Q3, actor=data.handler)
    by_department = {row.department_id: row for row in rows}
    assert by_department[data.b.pk].total == Decimal("55.94")
    assert by_department[data.b.pk].grade == Grade.FAIL
    assert by_department[data.b.pk].weights["weights"][ON_TIME] == 25
    assert by_department[data.b.pk].inputs["on_time"] == 3
    scheme = AssessmentScheme.objects.get(is_active=True)
    scheme.weight_on_time, scheme.weight_signals = 40, 0
    scheme.save()
    stored = EfficiencyAssessment.objects.get(quarter=Q3.label, department=data.b)
    assert stored.total == Decimal("55.94")
    result = assessment_result_of(stored)
    assert result.total == Decimal("55.94") and result.grade == Grade.FAIL
    assert {item.key: item.weight for item in result.indicators}[ON_TIME] == 25


def test_a_published_quarter_is_replaced_only_by_an_explicit_recompute(data):
    assessment_publish(quarter=Q3, actor=data.handler)
    with pytest.raises(ValidationError) as raised:
        assessment_publish(quarter=Q3, actor=data.handler)
    assert raised.value.code == "published"
    scheme = AssessmentScheme.objects.get(is_active=True)
    scheme.weight_on_time, scheme.weight_signals = 40, 0
    scheme.save()
    rows = assessment_publish(quarter=Q3, actor=data.handler, replace=True)
    b = next(row for row in rows if row.department_id == data.b.pk)
    # (75×40 + 40×15 + 100×15 + 50×10) / 80
    assert b.total == Decimal("70.00") and b.grade == Grade.PASS
    assert EfficiencyAssessment.objects.filter(quarter=Q3.label).count() == 3


def test_a_quarter_in_progress_or_a_month_is_not_published(data):
    with pytest.raises(ValidationError):
        assessment_publish(quarter=Quarter.current(), actor=data.handler)
    with pytest.raises(ValidationError):
        assessment_publish(quarter=Period.month(2026, 9), actor=data.handler)


# --- The draft supervision recommendation -------------------------------------------------------------


def _label(key: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(INDICATOR_TEXTS[key][0])


def test_a_failed_unit_gets_a_draft_from_its_weak_indicators_and_the_others_none(data):
    results = _by_name(assessment_compute(Q3), data)
    draft = recommendation_draft(results["b"])
    assert results["b"].department_name in draft and "55.94" in draft
    for weak in (AVERAGE_TIME, SIGNALS, SATISFACTION):
        assert _label(weak) in draft
    assert _label(ON_TIME) not in draft  # 75: above the pass mark
    assert recommendation_draft(results["a"]) == recommendation_draft(results["c"]) == ""
    assert assessment_data.PLANTED_APPLICANT not in draft


def test_issuing_the_recommendation_opens_a_case_and_issues_it_through_casework(data):
    rows = {row.department_id: row for row in assessment_publish(quarter=Q3, actor=data.handler)}
    assert rows[data.b.pk].recommendation_draft
    assert rows[data.a.pk].recommendation_draft == ""
    recommendation = assessment_recommendation_issue(assessment=rows[data.b.pk], actor=data.handler)
    assert recommendation.kind == Recommendation.Kind.SUPERVISION
    assert recommendation.department == data.b and recommendation.due_date is not None
    case = recommendation.case
    assert case.department == data.b
    assert case.category == Category.PERMITS and case.channel == Channel.APPROVAL
    assert case.status == Case.Status.ACCEPTED
    stored = EfficiencyAssessment.objects.get(pk=rows[data.b.pk].pk)
    assert stored.case == case and stored.recommendation == recommendation
    with pytest.raises(ValidationError):
        assessment_recommendation_issue(assessment=stored, actor=data.handler)
    with pytest.raises(ValidationError):
        assessment_recommendation_issue(assessment=rows[data.a.pk], actor=data.handler)


def test_a_recompute_keeps_the_issued_recommendation(data):
    rows = {row.department_id: row for row in assessment_publish(quarter=Q3, actor=data.handler)}
    recommendation = assessment_recommendation_issue(
        assessment=rows[data.b.pk], actor=data.handler, content="请乙局整改审批超时问题。"
    )
    assert recommendation.content == "请乙局整改审批超时问题。"
    assessment_publish(quarter=Q3, actor=data.handler, replace=True)
    assert (
        EfficiencyAssessment.objects.get(quarter=Q3.label, department=data.b).recommendation == recommendation
    )


def test_signals_count_on_the_shanghai_clock(data):
    # 23:00 on 30 September Beijing time is 15:00 UTC: Q3. Midnight on 1 October is Q4.
    raised = ApprovalSignal.objects.filter(department=data.b).values_list("raised_at", flat=True)
    assert at(2026, 9, 30, 23) in raised and at(2026, 10, 1, 0) in raised
    assert _by_name(assessment_compute(Q3), data)["b"].inputs["signals"] == 1
    assert dt.date(2026, 9, 30) == Q3.last_day

"""The democratic appraisal's scores in the quarterly efficiency assessment (APPRAISAL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from appraisal.campaigns.services import answer_submit
from appraisal.models import Campaign
from appraisal.tests import campaign_factories as f
from core.periods import Period
from inspections.tests import factories as people
from reports.dashboard.assessment import APPRAISAL, assessment_compute, indicator_score
from reports.dashboard.assessment_tables import value_text

pytestmark = pytest.mark.django_db


def _closed_campaign_with_scores(scores):
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    q = f.questions(campaign)
    for score in scores:
        answer_submit(campaign=campaign, answers={department.pk: {q["Attitude"].pk: score}})
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    return campaign, department


def _quarter_of(day: dt.date) -> Period:
    return Period.quarter(day.year, (day.month - 1) // 3 + 1)


@pytest.mark.parametrize(("mean", "score"), [(5, 100), (3, 50), (1, 0), (4.5, 87.5)])
def test_the_appraisal_score_is_25_times_the_mean_less_one(mean, score):
    assert indicator_score(APPRAISAL, mean) == score


def test_a_department_appraised_in_the_quarter_is_assessed_on_its_mean_score():
    campaign, department = _closed_campaign_with_scores([5, 4, 3])
    results = assessment_compute(_quarter_of(campaign.closes_on), now=timezone.now())
    result = next(r for r in results if r.department_id == department.pk)
    appraisal = next(item for item in result.indicators if item.key == APPRAISAL)
    assert result.inputs["appraisal_scores"] == 3
    assert appraisal.value == 4.0 and appraisal.score == 75.0 and appraisal.assessed
    assert value_text(APPRAISAL, appraisal.value) == "4.00"
    assert str(result.total) == "75.00"


def test_an_open_campaign_does_not_count_yet():
    campaign, department = _closed_campaign_with_scores([1, 1])
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.OPEN)
    results = assessment_compute(_quarter_of(campaign.closes_on), now=timezone.now())
    assert department.pk not in {r.department_id for r in results}


def test_the_appraisal_input_drills_down_to_its_campaigns(client):
    campaign, department = _closed_campaign_with_scores([2])
    other, _ = _closed_campaign_with_scores([2])
    result = next(
        r for r in assessment_compute(_quarter_of(campaign.closes_on)) if r.department_id == department.pk
    )
    link = result.link("appraisal_scores")
    assert link.startswith("/admin/appraisal/campaign/?")
    client.force_login(people.staff("Office head"))
    response = client.get(link)
    assert response.status_code == 200
    content = response.content.decode()
    assert f"/admin/appraisal/campaign/{campaign.pk}/change/" in content
    assert f"/admin/appraisal/campaign/{other.pk}/change/" not in content

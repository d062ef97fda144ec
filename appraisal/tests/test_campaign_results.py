"""Results per department: counts, means with their 95 % interval, distributions; free text to a
department only with at least five answers and after the identity check."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal.campaigns.selectors import (
    FREE_TEXT_MIN_ANSWERS,
    campaign_results,
    department_appraisal_means,
    department_free_texts,
)
from appraisal.campaigns.services import answer_submit
from appraisal.models import Campaign
from appraisal.tests import campaign_factories as f

pytestmark = pytest.mark.django_db


def _answer(campaign, department, attitude, comment=""):
    q = f.questions(campaign)
    answer_submit(
        campaign=campaign, answers={department.pk: {q["Attitude"].pk: attitude, q["Comments"].pk: comment}}
    )


def _result(campaign, department):
    return next(r for r in campaign_results(campaign=campaign) if r.department_id == department.pk)


def test_mean_interval_and_distribution_per_question():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    for score in (5, 4, 4, 3):
        _answer(campaign, department, score)
    result = _result(campaign, department)
    attitude = next(q for q in result.questions if q.question.text_en == "Attitude")
    assert result.answers == 4 and attitude.count == 4
    assert attitude.mean == 4.0
    assert attitude.distribution == {1: 0, 2: 0, 3: 1, 4: 2, 5: 1}
    low, high = attitude.interval  # sd 0.8165, t(3) 3.182: 4 ± 1.299
    assert round(low, 2) == 2.70 and round(high, 2) == 5.0
    speed = next(q for q in result.questions if q.question.text_en == "Speed")
    assert speed.count == 0 and speed.mean is None and speed.interval is None


def test_results_take_a_constant_number_of_queries():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    _answer(campaign, department, 3)
    with CaptureQueriesContext(connection) as few:
        campaign_results(campaign=campaign)
    for score in (1, 2, 3, 4, 5, 5, 5):
        _answer(campaign, department, score)
    with CaptureQueriesContext(connection) as many:
        campaign_results(campaign=campaign)
    assert len(few) == len(many)


def test_free_text_reaches_a_department_only_from_five_answers():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    for index in range(FREE_TEXT_MIN_ANSWERS - 1):
        _answer(campaign, department, 4, f"窗口服务很好{index}")
    result = _result(campaign, department)
    assert (
        department_free_texts(campaign=campaign, department_id=department.pk, answers=result.answers) is None
    )
    _answer(campaign, department, 4, "窗口服务很好4")
    result = _result(campaign, department)
    texts = department_free_texts(campaign=campaign, department_id=department.pk, answers=result.answers)
    assert sorted(texts[0].texts) == [f"窗口服务很好{i}" for i in range(5)]


def test_free_text_is_redacted_before_a_department_reads_it():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    for _ in range(4):
        _answer(campaign, department, 4, "还行")
    _answer(campaign, department, 2, "请打我电话13912345678，邮箱 boss@firm.example")
    free = department_free_texts(campaign=campaign, department_id=department.pk, answers=5)[0]
    joined = "\n".join(free.texts)
    assert "13912345678" not in joined and "boss@firm.example" not in joined
    assert len(free.texts) + free.withheld == 5


def test_an_invited_enterprise_s_name_is_removed_from_free_text():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    from appraisal.campaigns.services import Respondent, invitations_issue

    invitations_issue(
        campaign=campaign,
        respondents=[Respondent(kind="enterprise", email="x@x.example", name="华兴机械制造有限公司")],
        actor=None,
    )
    for _ in range(4):
        _answer(campaign, department, 4, "还行")
    _answer(campaign, department, 2, "我们华兴机械上个月被刁难")
    free = department_free_texts(campaign=campaign, department_id=department.pk, answers=5)[0]
    assert not [t for t in free.texts if "华兴" in t]


def test_the_assessment_reads_means_of_closed_campaigns_only():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    for score in (5, 3):
        _answer(campaign, department, score)
    window = (campaign.starts_on, campaign.closes_on)
    assert department_appraisal_means(department_ids=[department.pk], start=window[0], end=window[1]) == {}
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    assert department_appraisal_means(department_ids=[department.pk], start=window[0], end=window[1]) == {
        department.pk: (4.0, 2)
    }

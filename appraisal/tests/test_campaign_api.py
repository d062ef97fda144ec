"""The appraisal API for staff: campaigns, and results as aggregates once closed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from appraisal.campaigns.services import answer_submit
from appraisal.models import Campaign
from appraisal.tests import campaign_factories as f
from inspections.tests import factories as people

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_staff_read_campaigns_and_results_once_closed_without_any_text():
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    q = f.questions(campaign)
    for score in (4, 2):
        answer_submit(
            campaign=campaign,
            answers={department.pk: {q["Attitude"].pk: score, q["Comments"].pk: "秘密意见"}},
        )
    api = _api(people.staff("Leader"))
    listed = api.get("/api/v1/appraisal/campaigns/").json()
    assert (
        listed["results"][0]["id"] == campaign.pk
        and listed["results"][0]["questions"][0]["text_zh"] == "服务态度"
    )
    assert api.get(f"/api/v1/appraisal/campaigns/{campaign.pk}/").json()["results"] is None
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    response = api.get(f"/api/v1/appraisal/campaigns/{campaign.pk}/")
    body = response.content.decode()
    row = next(r for r in response.json()["results"] if r["department"] == department.pk)
    assert row["answers"] == 2 and row["questions"][0]["mean"] == 3.0
    assert "秘密意见" not in body


@pytest.mark.parametrize("who", ["department", "staff_without_role", "anonymous"])
def test_others_are_refused(who):
    f.campaign()
    if who == "anonymous":
        api = APIClient()
    elif who == "department":
        api = _api(people.dept_user(f.complaint_factories.department()))
    else:
        user = people.staff("Case handler")
        user.groups.clear()
        api = _api(user)
    assert api.get("/api/v1/appraisal/campaigns/").status_code in (401, 403)


def test_the_list_takes_a_constant_number_of_queries():
    api = _api(people.staff("Office head"))
    f.campaign()
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/appraisal/campaigns/")
    for _ in range(4):
        f.invite(f.campaign(), ["a@x.example"])
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/appraisal/campaigns/")
    assert len(few) == len(many)

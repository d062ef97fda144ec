"""The respondent's pages and the department's results page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal.campaigns.services import answer_submit
from appraisal.models import Answer, Campaign
from appraisal.tests import campaign_factories as f
from complaints.tests import factories as complaint_factories
from inspections.tests import factories as people

pytestmark = pytest.mark.django_db


def test_the_link_opens_the_form_once_and_keeps_no_token_in_later_urls(client):
    campaign = f.campaign()
    token = f.invite(campaign, ["a@x.example"])["a@x.example"]
    opened = client.get(f"/appraisal/i/{token}/")
    assert opened.status_code == 302 and token not in opened["Location"]
    page = client.get("/appraisal/answer/")
    assert (
        page.status_code == 200
        and "Democratic appraisal 2026" in page.content.decode()
        or "民主评议" in page.content.decode()
    )
    department = campaign.departments.first()
    posted = client.post("/appraisal/answer/", f.form_post(campaign, {department: (5, 4, "好")}))
    assert posted.status_code == 302
    assert Answer.objects.filter(department=department).count() == 1
    again = client.get(f"/appraisal/i/{token}/")
    assert again.status_code == 404


def test_an_unknown_link_is_a_404_that_is_not_logged(client, caplog):
    response = client.get("/appraisal/i/AAAAAAAAAAAAAAAAAAAAAA/")
    assert response.status_code == 404
    assert "AAAAAAAAAAAAAAAAAAAAAA" not in caplog.text


def test_an_empty_form_is_refused_with_a_message_and_keeps_what_was_typed(client):
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    q = f.questions(campaign)
    body = {
        f"d{department.pk}-q{q['Attitude'].pk}": "9",
        f"d{department.pk}-q{q['Comments'].pk}": "保留的文字",
    }
    response = client.post(f"/appraisal/p/{campaign.public_key}/", body)
    assert response.status_code == 200
    content = response.content.decode()
    assert "保留的文字" in content and "field-error" in content
    assert not Answer.objects.exists()
    empty = client.post(f"/appraisal/p/{campaign.public_key}/", {})
    assert "Appraise at least one department" in empty.content.decode() or "至少" in empty.content.decode()


def test_script_in_free_text_comes_back_escaped(client):
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    q = f.questions(campaign)
    body = {
        f"d{department.pk}-q{q['Attitude'].pk}": "9",
        f"d{department.pk}-q{q['Comments'].pk}": "<script>x()</script>",
    }
    content = client.post(f"/appraisal/p/{campaign.public_key}/", body).content.decode()
    assert "<script>x()</script>" not in content and "&lt;script&gt;" in content


def test_the_public_link_works_only_when_staff_opened_it(client):
    closed = f.campaign(public=False)
    assert client.get(f"/appraisal/p/{closed.public_key}/").status_code == 404
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    response = client.post(
        f"/appraisal/p/{campaign.public_key}/", f.form_post(campaign, {department: (3, 3, "")})
    )
    assert response.status_code == 302
    assert Answer.objects.count() == 1


def test_the_public_link_is_rate_limited(client, settings):
    settings.INTAKE_RATE_LIMITS_ENABLED = True
    settings.INTAKE_SUBMIT_RATE = "2/h"
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    body = f.form_post(campaign, {department: (3, 3, "")})
    codes = [client.post(f"/appraisal/p/{campaign.public_key}/", body).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def _five_answers(campaign, department, comment):
    q = f.questions(campaign)
    for score in (1, 2, 3, 4, 5):
        answer_submit(
            campaign=campaign,
            answers={department.pk: {q["Attitude"].pk: score, q["Comments"].pk: f"{comment}{score}"}},
        )


def test_a_department_reads_its_own_results_of_closed_campaigns_only(client):
    mine, other = complaint_factories.department(), complaint_factories.department()
    campaign = f.campaign(departments=[mine, other], public=True)
    _five_answers(campaign, mine, "窗口意见")
    _five_answers(campaign, other, "他部门意见")
    client.force_login(people.dept_user(mine))
    assert client.get(f"/dept/appraisal/{campaign.pk}/").status_code == 404  # still open
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    listing = client.get("/dept/appraisal/")
    assert f'data-campaign="{campaign.pk}"' in listing.content.decode()
    content = client.get(f"/dept/appraisal/{campaign.pk}/").content.decode()
    assert "窗口意见3" in content and "他部门意见" not in content and other.name not in content
    assert "data-mean>3.00" in content


def test_a_department_below_five_answers_sees_no_free_text(client):
    mine = complaint_factories.department()
    campaign = f.campaign(departments=[mine], public=True)
    q = f.questions(campaign)
    for score in (4, 5):
        answer_submit(
            campaign=campaign, answers={mine.pk: {q["Attitude"].pk: score, q["Comments"].pk: "只有两条"}}
        )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    client.force_login(people.dept_user(mine))
    content = client.get(f"/dept/appraisal/{campaign.pk}/").content.decode()
    assert "只有两条" not in content and "data-free-text-held" in content


def test_another_department_s_campaign_is_not_found(client):
    campaign = f.campaign(public=True, status=Campaign.Status.CLOSED)
    client.force_login(people.dept_user(complaint_factories.department()))
    assert client.get(f"/dept/appraisal/{campaign.pk}/").status_code == 404


def test_the_department_list_takes_a_constant_number_of_queries(client):
    mine = complaint_factories.department()
    client.force_login(people.dept_user(mine))
    f.campaign(departments=[mine], status=Campaign.Status.CLOSED)
    with CaptureQueriesContext(connection) as few:
        client.get("/dept/appraisal/")
    for _ in range(4):
        f.campaign(departments=[mine], status=Campaign.Status.CLOSED)
    with CaptureQueriesContext(connection) as many:
        client.get("/dept/appraisal/")
    assert len(few) == len(many)

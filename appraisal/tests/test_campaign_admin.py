"""The staff workplace for appraisal campaigns."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal.campaigns.services import answer_submit
from appraisal.models import Campaign, Invitation
from appraisal.tests import campaign_factories as f
from inspections.tests import factories as people

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_head(client):
    client.force_login(people.staff("Office head"))
    return client


def test_the_campaign_list_takes_a_constant_number_of_queries(office_head):
    f.campaign()
    with CaptureQueriesContext(connection) as few:
        assert office_head.get("/admin/appraisal/campaign/").status_code == 200
    for _ in range(4):
        f.invite(f.campaign(), ["a@x.example", "b@x.example"])
    with CaptureQueriesContext(connection) as many:
        office_head.get("/admin/appraisal/campaign/")
    assert len(few) == len(many)


def test_results_and_every_free_text_show_to_staff_once_closed(office_head):
    campaign = f.campaign(public=True)
    department = campaign.departments.first()
    q = f.questions(campaign)
    answer_submit(
        campaign=campaign, answers={department.pk: {q["Attitude"].pk: 2, q["Comments"].pk: "<b>态度差</b>"}}
    )
    page = office_head.get(f"/admin/appraisal/campaign/{campaign.pk}/change/").content.decode()
    assert "态度差" not in page
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    page = office_head.get(f"/admin/appraisal/campaign/{campaign.pk}/change/").content.decode()
    assert "&lt;b&gt;态度差&lt;/b&gt;" in page and "<b>态度差</b>" not in page


def test_the_invitation_list_never_says_who_answered(office_head):
    campaign = f.campaign()
    f.invite(campaign, ["a@x.example"])
    Invitation.objects.update(used=True)
    page = office_head.get("/admin/appraisal/invitation/").content.decode()
    assert "a@x.example" in page
    assert "used" not in page.lower().split("<table")[-1].split("</table>")[0]
    assert office_head.get("/admin/appraisal/invitation/?used__exact=1").status_code in (200, 302)
    assert "used__exact" not in page


def test_enterprises_are_invited_by_credit_code_and_e_mail_with_errors_per_line(office_head):
    campaign = f.campaign()
    known = people.enterprise()
    url = f"/admin/appraisal/campaign/{campaign.pk}/invite-enterprises/"
    office_head.cookies["django_language"] = "en"  # the errors are read in English
    typed = (
        f"{known.credit_code} boss@firm.example\n"
        "91110000000000000X nobody@firm.example\n"
        f"{known.credit_code} not-an-email"
    )
    response = office_head.post(url, {"lines": typed})
    content = response.content.decode()
    assert response.status_code == 200 and "Line 2" in content and "Line 3" in content
    assert "nobody@firm.example" in content  # what was typed is kept
    assert not Invitation.objects.exists()
    response = office_head.post(url, {"lines": f"{known.credit_code}, boss@firm.example"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.kind, invitation.name, invitation.email) == (
        "enterprise",
        known.name,
        "boss@firm.example",
    )


def test_a_case_handler_cannot_invite(client):
    campaign = f.campaign()
    client.force_login(people.staff("Case handler"))
    assert client.get(f"/admin/appraisal/campaign/{campaign.pk}/invite-enterprises/").status_code == 403

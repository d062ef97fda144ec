"""The campaign services: opening, invitations through the outbox, one-time links, answers,
reminders and the closing sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appraisal.campaigns.services import (
    Respondent,
    answer_submit,
    appraisal_sweep,
    campaign_open,
    invitation_by_token,
    invitations_issue,
    respondents_from_directory,
)
from appraisal.models import Answer, Campaign, Invitation
from appraisal.tests import campaign_factories as f
from complaints.models import Complaint, PublicStatus
from complaints.tests import factories as complaint_factories
from core.models import OutboundEmail
from liaison.models import LiaisonPoint, Supervisor

pytestmark = pytest.mark.django_db


def _answers(campaign, department, attitude=4, comment=""):
    q = f.questions(campaign)
    return {department.pk: {q["Attitude"].pk: attitude, q["Comments"].pk: comment}}


def test_a_campaign_opens_only_with_departments_and_questions():
    campaign = Campaign.objects.create(
        title_zh="评议", starts_on=timezone.localdate(), closes_on=timezone.localdate() + dt.timedelta(days=5)
    )
    with pytest.raises(ValidationError) as error:
        campaign_open(campaign=campaign, actor=None)
    assert error.value.code == "no_departments"
    campaign.departments.add(complaint_factories.department())
    with pytest.raises(ValidationError) as error:
        campaign_open(campaign=campaign, actor=None)
    assert error.value.code == "no_questions"


def test_each_respondent_is_invited_once_by_e_mail_with_a_hashed_one_time_link():
    campaign = f.campaign()
    tokens = f.invite(campaign, ["a@x.example", "b@x.example"])
    assert f.invite(campaign, ["a@x.example"]) == {"a@x.example": tokens["a@x.example"]}
    assert Invitation.objects.filter(campaign=campaign).count() == 2
    assert OutboundEmail.objects.filter(kind="appraisal-invitation").count() == 2
    invitation = Invitation.objects.get(email="a@x.example")
    assert tokens["a@x.example"] not in invitation.token_hash
    assert invitation_by_token(tokens["a@x.example"]) == invitation
    assert OutboundEmail.objects.get(key=f"appraisal-invitation:{invitation.pk}").scrub_after_sending


def test_invitations_wait_until_the_campaign_is_open():
    campaign = f.campaign(status=Campaign.Status.DRAFT)
    with pytest.raises(ValidationError):
        invitations_issue(
            campaign=campaign, respondents=[Respondent(kind="enterprise", email="a@x.example")], actor=None
        )


def test_an_invitation_answers_once():
    campaign = f.campaign()
    token = f.invite(campaign, ["a@x.example"])["a@x.example"]
    invitation = invitation_by_token(token)
    department = campaign.departments.first()
    assert (
        answer_submit(campaign=campaign, answers=_answers(campaign, department), invitation=invitation) == 1
    )
    assert invitation_by_token(token) is None
    with pytest.raises(ValidationError) as error:
        answer_submit(campaign=campaign, answers=_answers(campaign, department), invitation=invitation)
    assert error.value.code == "used"
    assert Answer.objects.count() == 1


@pytest.mark.parametrize("score", [0, 6, "5"])
def test_a_score_is_from_1_to_5(score):
    campaign = f.campaign(public=True)
    with pytest.raises(ValidationError) as error:
        answer_submit(
            campaign=campaign, answers=_answers(campaign, campaign.departments.first(), attitude=score)
        )
    assert error.value.code == "score"


def test_a_department_not_appraised_cannot_be_answered():
    campaign = f.campaign(public=True)
    other = complaint_factories.department()
    with pytest.raises(ValidationError) as error:
        answer_submit(campaign=campaign, answers=_answers(campaign, other))
    assert error.value.code == "department"


def test_without_an_invitation_only_a_public_campaign_takes_answers():
    campaign = f.campaign(public=False)
    with pytest.raises(ValidationError) as error:
        answer_submit(campaign=campaign, answers=_answers(campaign, campaign.departments.first()))
    assert error.value.code == "not_public"


def test_a_closed_campaign_takes_no_answers():
    campaign = f.campaign(public=True, status=Campaign.Status.CLOSED)
    with pytest.raises(ValidationError) as error:
        answer_submit(campaign=campaign, answers=_answers(campaign, campaign.departments.first()))
    assert error.value.code == "closed"


def test_respondents_are_liaison_points_supervisors_and_consenting_complainants_of_closed_cases():
    today = timezone.localdate()
    LiaisonPoint.objects.create(
        enterprise_name="联系点企业", contact_name="甲", email="lp@x.example", appointed_on=today
    )
    LiaisonPoint.objects.create(enterprise_name="无邮箱企业", contact_name="乙", appointed_on=today)
    Supervisor.objects.create(
        enterprise_name="监督员单位", name="丙", email="sv@x.example", appointed_on=today
    )
    Supervisor.objects.create(
        enterprise_name="卸任",
        name="丁",
        email="old@x.example",
        appointed_on=today,
        status=Supervisor.Status.ENDED,
    )
    agreed = complaint_factories.submit(appraisal_consent=True).complaint
    refused = complaint_factories.submit().complaint
    open_case = complaint_factories.submit(appraisal_consent=True).complaint
    Complaint.objects.filter(pk__in=[agreed.pk, refused.pk]).update(status=PublicStatus.CONCLUDED)
    assert open_case.appraisal_consent and not refused.appraisal_consent
    found = respondents_from_directory(kinds=["liaison_point", "supervisor", "complainant"])
    assert sorted((r.kind, r.email) for r in found) == [
        ("complainant", "zhangsan@example.com"),
        ("liaison_point", "lp@x.example"),
        ("supervisor", "sv@x.example"),
    ]


def test_an_anonymous_complaint_never_records_consent():
    complaint = complaint_factories.submit(anonymous=True, appraisal_consent=True).complaint
    assert complaint.appraisal_consent is False


def test_the_sweep_reminds_non_respondents_once_with_a_new_link_then_closes_the_campaign():
    today = timezone.localdate()
    campaign = f.campaign(closes_on=today + dt.timedelta(days=30))
    tokens = f.invite(campaign, ["a@x.example", "b@x.example"])
    answer_submit(
        campaign=campaign,
        answers=_answers(campaign, campaign.departments.first()),
        invitation=invitation_by_token(tokens["a@x.example"]),
    )
    assert appraisal_sweep(today=today) == {"reminded": 0, "closed": 0}
    near_closing = campaign.closes_on - dt.timedelta(days=1)
    assert appraisal_sweep(today=near_closing) == {"reminded": 1, "closed": 0}
    assert appraisal_sweep(today=near_closing) == {"reminded": 0, "closed": 0}
    reminder = OutboundEmail.objects.get(kind="appraisal-reminder")
    assert reminder.to == ["b@x.example"]
    new = f.tokens_in_outbox(campaign, ["b@x.example"], reminder=True)["b@x.example"]
    assert invitation_by_token(tokens["b@x.example"]) is None
    assert invitation_by_token(new).email == "b@x.example"
    assert appraisal_sweep(today=campaign.closes_on) == {"reminded": 0, "closed": 0}
    assert appraisal_sweep(today=campaign.closes_on + dt.timedelta(days=1)) == {"reminded": 0, "closed": 1}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    assert invitation_by_token(new) is None

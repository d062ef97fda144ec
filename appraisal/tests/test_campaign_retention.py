"""Retention of the invitees' e-mail addresses and names (issue 18): RETENTION_APPRAISAL_INVITATION_DAYS
after a campaign closed they are replaced, the free texts redacted against them first, and the
participation figures and results do not change; open and recently closed campaigns are untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from appraisal.campaigns.selectors import campaign_participation, campaign_results, staff_free_texts
from appraisal.campaigns.services import answer_submit
from appraisal.models import AnswerItem, Campaign, Invitation
from appraisal.tests import campaign_factories as f
from core.retention import personal_data_purge

pytestmark = pytest.mark.django_db


def _campaign(emails, *, comment: str = "", closed_days_ago: int, name: str = "") -> Campaign:
    """A campaign run through the services (invitations, an answer), then closed that long ago."""
    campaign = f.campaign(public=True)
    f.invite(campaign, emails)
    if name:
        Invitation.objects.filter(campaign=campaign).update(name=name)
    if comment:
        q = f.questions(campaign)
        department = campaign.departments.first()
        answer_submit(
            campaign=campaign, answers={department.pk: {q["Attitude"].pk: 4, q["Comments"].pk: comment}}
        )
    closes = timezone.localdate() - dt.timedelta(days=closed_days_ago)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.CLOSED, starts_on=closes - dt.timedelta(days=30), closes_on=closes
    )
    campaign.refresh_from_db()
    return campaign


def test_old_campaigns_lose_their_invitees_and_keep_their_figures(settings):
    settings.RETENTION_APPRAISAL_INVITATION_DAYS = 90
    old = _campaign(
        ["wang.canary@old-invitee.example", "li@old-invitee.example"],
        comment="王大锤的联系人wang.canary@old-invitee.example说办事太慢",
        closed_days_ago=200,
        name="王大锤",
    )
    recent = _campaign(["zhao@recent-invitee.example"], closed_days_ago=10)
    before = (campaign_participation(campaign=old), campaign_results(campaign=old))
    recent_before = list(Invitation.objects.filter(campaign=recent).values_list("email", "name"))

    run, _outcomes = personal_data_purge(dry_run=False, kinds=["appraisal_invitations"], actor_name="test")

    assert run.counts["appraisal_invitations"]["invitations_scrubbed"] == 2
    emails = list(Invitation.objects.filter(campaign=old).values_list("email", "name"))
    assert all(email.endswith("@purged.invalid") and name == "" for email, name in emails)
    text = AnswerItem.objects.exclude(text="").get().text
    assert "王大锤" not in text and "wang.canary" not in text and "办事太慢" in text
    assert (campaign_participation(campaign=old), campaign_results(campaign=old)) == before
    assert list(Invitation.objects.filter(campaign=recent).values_list("email", "name")) == recent_before
    assert staff_free_texts(campaign=old, department_id=old.departments.first().pk)

    again, _outcomes = personal_data_purge(dry_run=False, kinds=["appraisal_invitations"], actor_name="test")
    assert again.counts["appraisal_invitations"]["records"] == 0


def test_an_open_campaign_is_never_purged(settings):
    settings.RETENTION_APPRAISAL_INVITATION_DAYS = 30
    campaign = _campaign(["open@invitee.example"], closed_days_ago=100)
    # Still open (not closed by the sweep yet): its invitations may still be used or reminded.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.OPEN)
    run, _outcomes = personal_data_purge(dry_run=False, kinds=["appraisal_invitations"], actor_name="test")
    assert run.counts["appraisal_invitations"]["records"] == 0
    assert Invitation.objects.get(campaign=campaign).email == "open@invitee.example"

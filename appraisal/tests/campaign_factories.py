"""Test data for the appraisal campaigns: a campaign open today with its departments and
questions, and the invitations' links read back from their outbox e-mails."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from appraisal.campaigns.services import Respondent, campaign_open, invitations_issue
from appraisal.models import Campaign, Invitation, Question
from complaints.tests import factories as complaint_factories
from core.models import OutboundEmail

LINK = re.compile(r"/appraisal/i/([A-Za-z0-9_-]{22})/")


def campaign(*, departments=None, status=Campaign.Status.OPEN, public=False, **overrides) -> Campaign:
    today = timezone.localdate()
    values = {
        "title_zh": "2026年度民主评议",
        "title_en": "Democratic appraisal 2026",
        "starts_on": today - dt.timedelta(days=3),
        "closes_on": today + dt.timedelta(days=20),
        "public_link_enabled": public,
    }
    values.update(overrides)
    made = Campaign.objects.create(**values)
    made.departments.set(departments or [complaint_factories.department(), complaint_factories.department()])
    Question.objects.create(
        campaign=made, kind=Question.Kind.RATING, text_zh="服务态度", text_en="Attitude", order=1
    )
    Question.objects.create(
        campaign=made, kind=Question.Kind.RATING, text_zh="办事效率", text_en="Speed", order=2
    )
    Question.objects.create(
        campaign=made, kind=Question.Kind.TEXT, text_zh="意见建议", text_en="Comments", order=3
    )
    if status != Campaign.Status.DRAFT:
        made = campaign_open(campaign=made, actor=None)
    if status == Campaign.Status.CLOSED:
        Campaign.objects.filter(pk=made.pk).update(status=Campaign.Status.CLOSED)
        made.refresh_from_db()
    return made


def invite(campaign_: Campaign, emails, kind=Invitation.Kind.ENTERPRISE) -> dict[str, str]:
    """Invite these e-mails; return {e-mail: token} read from the queued e-mails."""
    invitations_issue(
        campaign=campaign_,
        respondents=[Respondent(kind=kind, email=e, name=f"企业{e[:3]}") for e in emails],
        actor=None,
    )
    return tokens_in_outbox(campaign_, emails)


def tokens_in_outbox(campaign_: Campaign, emails, *, reminder: bool = False) -> dict[str, str]:
    prefix = "appraisal-reminder" if reminder else "appraisal-invitation"
    tokens = {}
    for invitation in Invitation.objects.filter(campaign=campaign_, email__in=list(emails)):
        email = OutboundEmail.objects.get(key=f"{prefix}:{invitation.pk}")
        tokens[invitation.email] = LINK.search(email.body_text).group(1)
    return tokens


def questions(campaign_: Campaign) -> dict[str, Question]:
    return {q.text_en: q for q in campaign_.questions.all()}


def form_post(campaign_: Campaign, per_department: dict) -> dict:
    """A POST body: {department: (attitude, speed, comment)}."""
    q = questions(campaign_)
    body = {}
    for department, (attitude, speed, comment) in per_department.items():
        body[f"d{department.pk}-q{q['Attitude'].pk}"] = str(attitude)
        body[f"d{department.pk}-q{q['Speed'].pk}"] = str(speed)
        body[f"d{department.pk}-q{q['Comments'].pk}"] = comment
    return body

"""The daily appraisal sweep on a real Celery worker, and its cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appraisal.campaigns.services import appraisal_sweep
from appraisal.campaigns.tasks import appraisal_sweep_task
from appraisal.models import Campaign, Invitation
from appraisal.tests import campaign_factories as f
from tests.fixtures import wait_for


@pytest.mark.django_db
def test_the_sweep_costs_the_same_statements_for_2_and_40_invitations():
    today = timezone.localdate()
    first = f.campaign(closes_on=today + dt.timedelta(days=1))
    f.invite(first, [f"a{n}@x.example" for n in range(2)])
    with CaptureQueriesContext(connection) as few:
        assert appraisal_sweep(today=today)["reminded"] == 2
    second = f.campaign(closes_on=today + dt.timedelta(days=1))
    f.invite(second, [f"b{n}@x.example" for n in range(40)])
    with CaptureQueriesContext(connection) as many:
        assert appraisal_sweep(today=today)["reminded"] == 40
    assert len(few) == len(many)


@pytest.mark.services
def test_a_real_worker_reminds_and_closes(worker_factory):
    today = timezone.localdate()
    reminding = f.campaign(closes_on=today + dt.timedelta(days=1))
    f.invite(reminding, ["late@x.example"])
    ending = f.campaign(starts_on=today - dt.timedelta(days=30), closes_on=today - dt.timedelta(days=1))
    worker_factory()
    appraisal_sweep_task.delay()
    wait_for(
        lambda: (
            Invitation.objects.filter(email="late@x.example", reminded=True).exists()
            and Campaign.objects.filter(pk=ending.pk, status=Campaign.Status.CLOSED).exists()
        ),
        timeout=60,
        what="the worker to run the appraisal sweep",
    )
    appraisal_sweep_task.delay()  # twice: nothing more
    wait_for(lambda: True, timeout=1)

"""The demo's trainings and award activities (envopt.setup.demo_activities): cancelled items,
filings in every state, each kind of flag, a case from the unfiled training; once only."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User

from complaints.models import Channel
from envopt.setup.demo import DEPARTMENTS
from envopt.setup.demo_activities import demo_activities_install
from inspections.models import ActivityComplaint, ActivityFiling, ActivityFlag, CancelledActivity
from liaison.models import Department

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded():
    for name, short, system, is_key, box in DEPARTMENTS:
        Department.objects.create(
            name=name, short_name=short, system=system, is_key=is_key, email=f"{box}@x.example" if box else ""
        )
    dept = User.objects.create_user("dept")
    dept.groups.add(Group.objects.get(name="Department user"))
    Department.objects.get(short_name="市场监管局").members.add(dept)
    head = User.objects.create_user("officehead", is_staff=True)
    head.groups.add(Group.objects.get(name="Office head"))
    return demo_activities_install(now=NOW)


def test_the_demo_has_filings_in_every_state_and_each_kind_of_flag(seeded):
    assert CancelledActivity.objects.count() == 3
    statuses = set(ActivityFiling.objects.values_list("status", flat=True))
    assert statuses == set(ActivityFiling.Status.values)
    # The cancelled award filed again was refused: nothing stored under its name.
    assert not ActivityFiling.objects.filter(title__contains="优秀民营企业评选").exists()
    assert set(ActivityFlag.objects.values_list("kind", flat=True)) == set(ActivityFlag.Kind.values)
    unfiled = ActivityFlag.objects.get(kind=ActivityFlag.Kind.UNFILED)
    assert unfiled.complaint_link == ActivityComplaint.objects.get() and unfiled.case is not None
    assert unfiled.case.complaint_links.get().complaint.channel == Channel.ACTIVITY_FILING
    # Filed and decided over the last two quarters, never after the demo's now.
    assert not ActivityFiling.objects.filter(created_at__gt=NOW).exists()


def test_the_demo_runs_once(seeded):
    again = demo_activities_install(now=NOW)
    assert again == seeded and ActivityFiling.objects.count() == seeded["training and award filings"]

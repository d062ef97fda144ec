"""The demo's democratic appraisal (envopt.setup.demo_appraisal): last quarter's campaign closed
with its answers, this quarter's open with its invitations; free text held back where fewer than
five answered."""

import datetime as dt
import time

import pytest

from appraisal.campaigns.selectors import campaign_results, department_free_texts
from appraisal.models import Campaign, Invitation
from envopt.setup.demo import DEPARTMENTS
from envopt.setup.demo_appraisal import APPRAISED, demo_appraisal_install
from liaison.models import Department, LiaisonPoint

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded():
    for name, short, system, is_key, _box in DEPARTMENTS:
        Department.objects.create(name=name, short_name=short, system=system, is_key=is_key)
    LiaisonPoint.objects.create(
        enterprise_name="联系点企业",
        contact_name="甲",
        email="lp@x.example",
        appointed_on=dt.date(2026, 1, 1),
    )
    started = time.monotonic()
    counts = demo_appraisal_install(now=NOW)
    print(f"demo appraisal seeded in {time.monotonic() - started:.1f} s")
    return counts


def test_last_quarter_closed_with_its_answers_and_this_quarter_open_with_invitations(seeded):
    closed = Campaign.objects.get(status=Campaign.Status.CLOSED)
    assert dt.date(2026, 7, 1) <= closed.closes_on <= dt.date(2026, 9, 30)
    assert closed.answers.count() == sum(count for count, _mean in APPRAISED.values())
    current = Campaign.objects.get(status=Campaign.Status.OPEN)
    assert Invitation.objects.filter(campaign=current).count() == 1
    results = {r.department_name: r for r in campaign_results(campaign=closed)}
    assert results["市税务局"].mean > results["市住房和城乡建设局"].mean
    held = results["市自然资源和规划局"]
    assert held.answers == 3
    assert (
        department_free_texts(campaign=closed, department_id=held.department_id, answers=held.answers) is None
    )


def test_installed_once(seeded):
    assert demo_appraisal_install(now=NOW) == {"appraisal campaigns": 2}

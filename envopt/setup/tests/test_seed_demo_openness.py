"""The demo's openness checks (envopt.setup.demo_openness): one campaign of the six key
departments, every item recorded, failed ones on the ladder, a serious one with its case, the
market regulator's answers in each state and a demonstration site; installed once."""

import pytest

from appraisal.models import DemonstrationSite, OpennessCampaign, OpennessFinding
from casework.tests import factories as casework_factories
from complaints.models import Channel, Complaint
from envopt.setup.demo import DEPARTMENTS
from envopt.setup.demo_openness import UNITS, demo_openness_install
from liaison.models import Department

pytestmark = pytest.mark.django_db
S = OpennessFinding.Status


@pytest.fixture
def seeded():
    for name, short, system, is_key, box in DEPARTMENTS:
        Department.objects.create(
            name=name, short_name=short, system=system, is_key=is_key, email=f"{box}@d.example" if box else ""
        )
    casework_factories.user("handler", username="handler")
    casework_factories.user("head", username="officehead")
    casework_factories.user(
        "dept", username="dept", department=Department.objects.get(short_name="市场监管局")
    )
    return demo_openness_install()


def test_a_campaign_with_every_item_recorded_at_every_unit(seeded):
    campaign = OpennessCampaign.objects.get()
    assert campaign.units.count() == len(UNITS) and campaign.items.count() == 12
    assert seeded["openness findings"] == OpennessFinding.objects.count() == 12 * len(UNITS)
    assert OpennessFinding.objects.filter(result="pass").count() == 12 * len(UNITS) - 7


def test_the_answers_in_each_state_and_the_serious_case(seeded):
    market = OpennessFinding.objects.filter(department__short_name="市场监管局").exclude(result="pass")
    assert sorted(market.values_list("status", flat=True)) == sorted([S.ACCEPTED, S.ANSWERED, S.OPEN])
    serious = OpennessFinding.objects.get(result="serious")
    assert Complaint.objects.get(case_link__case=serious.case).channel == Channel.OPENNESS_CHECK
    assert DemonstrationSite.objects.get().department.short_name == "环保局"


def test_installed_once(seeded):
    assert demo_openness_install() == seeded

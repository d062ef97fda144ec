"""The openness API (/api/v1/openness/): read only, for commission staff who read findings;
departments, liaison points and the public get nothing; lists have constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from appraisal.models import Criterion, OpennessFinding
from appraisal.openness.services import demonstration_site_mark, finding_record
from appraisal.tests import openness_factories as f
from casework.tests import factories as casework_factories

pytestmark = pytest.mark.django_db
R = OpennessFinding.Result


@pytest.fixture
def scene():
    unit = f.department(name="接口测试局")
    campaign = f.campaign(unit)
    handler = casework_factories.user("handler", username="inspector-qian")
    for criterion in Criterion.values:
        failed = criterion == Criterion.RULES
        finding_record(
            campaign=campaign,
            department=unit,
            item=f.item(campaign, criterion),
            result=R.FAIL if failed else R.PASS,
            note="制度未建立。" if failed else "",
            uploads=[],
            actor=handler,
        )
    demonstration_site_mark(
        campaign=campaign, department=unit, citation="整改迅速", actor=casework_factories.user("head")
    )
    return {"unit": unit, "campaign": campaign}


def as_user(role, **kwargs) -> APIClient:
    client = APIClient()
    client.force_authenticate(casework_factories.user(role, **kwargs))
    return client


def test_staff_read_campaigns_findings_results_and_sites(scene):
    client = as_user("leader")
    campaigns = client.get("/api/v1/openness/campaigns/").json()
    assert campaigns["count"] == 1 and len(campaigns["results"][0]["items"]) == 6
    findings = client.get("/api/v1/openness/findings/", {"result": "fail"}).json()
    assert findings["count"] == 1
    row = findings["results"][0]
    assert row["criterion"] == "rules" and row["note"] == "制度未建立。" and row["rectify_by"]
    assert "inspector-qian" not in str(findings) and "recorded_by" not in row
    results = client.get(f"/api/v1/openness/campaigns/{scene['campaign'].pk}/results/").json()
    assert results["total"]["checked"] == 6 and results["total"]["rate"] == 83.3
    unit = results["units"][0]
    assert unit["name"] == "接口测试局" and unit["demonstration_site"] is True
    rules = next(rate for rate in unit["criteria"] if rate["criterion"] == "rules")
    assert rules == {"criterion": "rules", "checked": 1, "passed": 0, "failed": 1, "serious": 0, "rate": 0.0}
    sites = client.get("/api/v1/openness/demonstration-sites/").json()
    assert sites["results"][0]["citation"] == "整改迅速"


@pytest.mark.parametrize("role", ["dept", "liaison"])
def test_departments_and_liaison_points_read_nothing(scene, role):
    client = as_user(role, department=scene["unit"] if role == "dept" else None)
    for url in (
        "/api/v1/openness/campaigns/",
        "/api/v1/openness/findings/",
        f"/api/v1/openness/campaigns/{scene['campaign'].pk}/results/",
        "/api/v1/openness/demonstration-sites/",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_reads_nothing(scene):
    assert APIClient().get("/api/v1/openness/findings/").status_code in (401, 403)


def test_the_findings_list_has_constant_queries(scene):
    client = as_user("leader")
    client.get("/api/v1/openness/findings/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/openness/findings/")
    other = f.department()
    campaign = f.campaign(other)
    for criterion in Criterion.values:
        finding_record(
            campaign=campaign,
            department=other,
            item=f.item(campaign, criterion),
            result=R.FAIL,
            note="未公开。",
            actor=casework_factories.user("handler"),
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/openness/findings/").json()["count"] == 12
    assert len(few) == len(many)

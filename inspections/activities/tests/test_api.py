"""The API: a department files and reads its own filings, staff read every filing and the flags,
a cancelled item is refused with the field and the reason; no department reads the flags."""

import pytest
from rest_framework.test import APIClient

from inspections.activities.tests import factories as af
from inspections.models import ActivityFiling, ActivityFlag
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db
FILINGS, FLAGS, CANCELLED = (
    "/api/v1/activities/filings/",
    "/api/v1/activities/flags/",
    "/api/v1/activities/cancelled/",
)


@pytest.fixture
def api():
    return APIClient()


def _payload(department, **overrides):
    data = {k: v for k, v in af.filing_kwargs(department, None).items() if k != "actor"}
    data.update(
        department=department.pk, starts_on=data["starts_on"].isoformat(), ends_on=data["ends_on"].isoformat()
    )
    data["fee"] = str(data["fee"])
    data.update(overrides)
    return data


def test_a_department_files_and_reads_only_its_own(api):
    mine, other = f.department(), f.department()
    af.approved(other, title="别人的培训")
    api.force_authenticate(f.dept_user(mine))
    response = api.post(FILINGS, _payload(mine), format="json")
    assert response.status_code == 201 and response.json()["status"] == "filed"
    listed = api.get(FILINGS).json()["results"]
    assert [row["title"] for row in listed] == ["安全生产标准化培训班"]
    assert api.get(f"{FILINGS}{ActivityFiling.objects.get(department=other).pk}/").status_code == 404
    assert api.post(FILINGS, _payload(other), format="json").status_code == 400


def test_a_cancelled_item_is_refused_with_its_field(api):
    af.cancelled("优秀民营企业评选")
    department = f.department()
    api.force_authenticate(f.dept_user(department))
    response = api.post(
        FILINGS, _payload(department, title="2027 优秀民营企业评选", kind="award"), format="json"
    )
    assert response.status_code == 400 and "title" in response.json()
    assert [row["name"] for row in api.get(CANCELLED).json()["results"]] == ["优秀民营企业评选"]


def test_flags_are_for_staff_only(api):
    department = f.department()
    ActivityFlag.objects.create(department=department, kind="unfiled", title="某培训", explanation="…")
    api.force_authenticate(f.dept_user(department))
    assert api.get(FLAGS).status_code == 403
    api.force_authenticate(f.staff("Case handler"))
    assert [row["title"] for row in api.get(FLAGS).json()["results"]] == ["某培训"]
    assert api.post(FLAGS, {}, format="json").status_code == 405


def test_staff_read_every_filing_but_cannot_file(api):
    af.approved(f.department())
    af.approved(f.department())
    api.force_authenticate(f.staff("Leader"))
    assert api.get(FILINGS).json()["count"] == 2
    assert api.post(FILINGS, _payload(f.department()), format="json").status_code == 403

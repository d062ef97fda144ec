"""The assessment's pages: the staff page (publish, recompute, issue), the monthly bulletin and its
workbook read back, the public ranking on /figures/ (no identity), the dashboard's section (a
constant cost) and the read-only API."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from casework.models import Recommendation
from casework.tests import factories
from core.periods import Period
from reports.dashboard.assessment import assessment_compute
from reports.dashboard.assessment_services import assessment_publish
from reports.dashboard.assessment_tables import BulletinWorkbook
from reports.models import EfficiencyAssessment
from reports.tests import assessment_data
from reports.tests.assessment_data import PLANTED_APPLICANT, PLANTED_CREDIT_CODE, Q3
from reports.tests.factories import IDENTITY_VALUES
from tests.fixtures import export_download

pytestmark = [pytest.mark.django_db, pytest.mark.urls("reports.tests.urls_dashboard")]

PAGE = f"/dashboard/assessment/?quarter={Q3.label}"
SEPTEMBER = Period.month(2026, 9)
COMPLAINT_TEXT = "三个月内被同一部门重复检查五次"  # the factories' complaint description


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def data():
    return assessment_data.build()


@pytest.fixture
def head():
    return factories.user("head")


@pytest.fixture
def leader():
    return factories.user("leader")


def _page(client, user, url=PAGE):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response, response.content.decode()


def test_a_leader_sees_each_department_with_its_scores_grade_and_the_weights(client, data, leader):
    response, page = _page(client, leader)
    rows = {row.result.department_id: row for row in response.context["rows"]}
    assert rows[data.b.pk].result.total == Decimal("55.94")
    assert f'data-department="{data.b.pk}" data-grade="fail"' in page
    assert 'data-status="provisional"' in page and "data-appraisal-note" in page
    assert "data-weights" in page and 'id="definitions"' in page
    # Each number a link: the cases, complaints and referrals lists are installed here.
    c = rows[data.c.pk]
    referral_inputs = {cell.key: cell for item in c.indicators for cell in item.inputs}
    assert referral_inputs["referrals_due"].url.startswith("/admin/casework/referral/?figure=referrals_due")
    assert 'data-input="referrals_on_time" data-value="2"' in page
    assert 'data-action="publish"' not in page  # a leader reads, the office head publishes


def test_the_office_head_publishes_then_recomputes_only_explicitly(client, data, head):
    client.force_login(head)
    response = client.post("/dashboard/assessment/publish/", {"quarter": Q3.label})
    assert response.status_code == 302
    assert EfficiencyAssessment.objects.filter(quarter=Q3.label).count() == 3
    _response, page = _page(client, head)
    assert 'data-status="published"' in page and 'data-action="recompute"' in page
    again = client.post("/dashboard/assessment/publish/", {"quarter": Q3.label}, follow=True)
    refused = [message for message in again.context["messages"] if message.level_tag == "error"]
    assert len(refused) == 1 and Q3.display in refused[0].message
    assert again.context["is_published"]
    replaced = client.post("/dashboard/assessment/publish/", {"quarter": Q3.label, "replace": "1"})
    assert replaced.status_code == 302


def test_the_office_head_issues_the_recommendation_from_the_page(client, data, head):
    assessment_publish(quarter=Q3, actor=head)
    row = EfficiencyAssessment.objects.get(quarter=Q3.label, department=data.b)
    _response, page = _page(client, head)
    assert f'data-recommendation="{data.b.pk}"' in page and 'data-action="issue"' in page
    response = client.post(
        f"/dashboard/assessment/{row.pk}/recommendation/", {"content": row.recommendation_draft}
    )
    assert response.status_code == 302
    recommendation = Recommendation.objects.get(department=data.b)
    assert recommendation.case.department == data.b
    _response, page = _page(client, head)
    assert "data-issued" in page and recommendation.case.reference in page


def test_a_leader_may_not_publish_and_a_department_user_sees_nothing(client, data, leader):
    client.force_login(leader)
    assert client.post("/dashboard/assessment/publish/", {"quarter": Q3.label}).status_code == 403
    client.force_login(factories.user("dept", department=data.b))
    assert client.get(PAGE).status_code == 403
    assert client.get(f"/dashboard/bulletin/?month={SEPTEMBER.label}").status_code == 403
    assert client.get(f"/dashboard/bulletin.xlsx?month={SEPTEMBER.label}").status_code == 403


def test_the_bulletin_counts_the_month_by_the_same_rules(client, data, leader):
    response, page = _page(client, leader, f"/dashboard/bulletin/?month={SEPTEMBER.label}")
    rows = {row.result.department_id: row.result for row in response.context["rows"]}
    # B in September: the late approval (10 Sep) and the one decided at 23:00 on 30 Sep.
    assert rows[data.b.pk].inputs["decided"] == 2 and rows[data.b.pk].inputs["on_time"] == 1
    assert rows[data.b.pk].inputs["signals"] == 1
    assert data.a.pk not in rows  # A decided nothing in September and accepted nothing
    assert 'data-export="bulletin"' in page


def test_the_bulletin_workbook_reads_back_with_the_pages_figures(client, data, leader):
    client.force_login(leader)
    response = export_download(client, f"/dashboard/bulletin.xlsx?month={SEPTEMBER.label}", user=leader)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bulletin-2026-09.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    with translation.override(settings.LANGUAGE_CODE):
        department = gettext("Department")
    header_at = next(i for i, row in enumerate(rows) if len(row) > 1 and row[1] == department)
    header = rows[header_at]
    body = {row[1]: dict(zip(header, row, strict=False)) for row in rows[header_at + 1 :] if row and row[1]}
    results = {result.department_name: result for result in assessment_compute(SEPTEMBER)}
    assert set(body) == set(results)
    b = body[data.b.name]
    assert b[header[2]] == 2  # approvals decided
    assert b[header[3]] == 1  # decided on time
    assert b[header[-2]] == f"{results[data.b.name].total:.2f}"
    assert len(workbook.worksheets) == 2


def test_the_public_ranking_appears_once_published_and_shows_no_identity(client, data, head):
    page = client.get(f"/figures/?quarter={Q3.label}").content.decode()
    assert "data-assessment-unpublished" in page
    assessment_publish(quarter=Q3, actor=head)
    cache.clear()
    page = client.get(f"/figures/?quarter={Q3.label}").content.decode()
    assert "data-assessment-ranking" in page, page
    assert data.a.name in page and "55.94" in page
    for secret in (PLANTED_APPLICANT, PLANTED_CREDIT_CODE, COMPLAINT_TEXT, *IDENTITY_VALUES.values()):
        assert secret not in page
    assert "/admin/" not in page


def test_the_dashboard_section_costs_the_same_for_3_or_30_departments(client, leader):
    client.force_login(leader)
    quarter = f"?quarter={Q3.label}"

    def queries():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/dashboard/{quarter}")
        assert response.status_code == 200
        return len(captured.captured_queries), response.content.decode()

    empty, _page_text = queries()
    assessment_data.build("-1")
    few, page = queries()
    assert 'data-section="assessment"' in page and 'data-grade="fail"' in page
    for n in range(2, 11):
        assessment_data.build(f"-{n}")
    many, _page_text = queries()
    assert empty == few == many


def test_the_dashboard_section_adds_at_most_ten_statements(client, leader):
    """A separate cap for the assessment's section: the published rows' query and, while the
    quarter is not published, the eight statements of the computation (the democratic
    appraisal's scores are the eighth) and the one that stores it for when the cache is down
    (core.stored_figures)."""
    from reports.dashboard import views

    client.force_login(leader)
    assessment_data.build()
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        views._assessment_context(Q3)
    assert len(captured.captured_queries) <= 10


# --- The API --------------------------------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_the_api_lists_the_published_assessments_by_quarter_and_department(data, head, leader):
    assert _api(leader).get("/api/v1/approvals/assessments/").json()["count"] == 0
    assessment_publish(quarter=Q3, actor=head)
    listed = _api(leader).get("/api/v1/approvals/assessments/", {"quarter": "2026Q3"}).json()
    assert listed["count"] == 3
    first = listed["results"][0]
    assert first["rank"] == 1 and first["department"] == data.a.pk and first["grade"] == "excellent"
    b = _api(leader).get("/api/v1/approvals/assessments/", {"department": data.b.pk}).json()["results"]
    assert [row["total"] for row in b] == ["55.94"]
    assert set(b[0]) >= {"inputs", "scores", "weights"} and "recommendation_draft" not in b[0]
    assert _api(leader).get("/api/v1/approvals/assessments/", {"quarter": "2026Q9"}).status_code == 400
    detail = _api(leader).get(f"/api/v1/approvals/assessments/{b[0]['id']}/")
    assert detail.status_code == 200 and detail.json()["grade"] == "fail"
    assert _api(leader).post("/api/v1/approvals/assessments/", {}).status_code == 405


def test_the_api_is_the_dashboards_readers_only(data, head):
    assessment_publish(quarter=Q3, actor=head)
    department_user = factories.user("dept", department=data.b)
    assert _api(department_user).get("/api/v1/approvals/assessments/").status_code == 403
    assert APIClient().get("/api/v1/approvals/assessments/").status_code == 401


def test_the_schema_documents_the_assessments(leader):
    schema = _api(leader).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/approvals/assessments/"]["get"]
    assert {"quarter", "department", "page"} <= {p["name"] for p in operation["parameters"]}
    assert "/api/v1/approvals/assessments/{id}/" in schema["paths"]
    assert "post" not in schema["paths"]["/api/v1/approvals/assessments/"]


BULLETIN_WORKBOOK = "bulletin workbook"


def test_the_assessment_and_bulletin_pages_cost_the_same_for_3_or_30_departments(client, head):
    client.force_login(head)

    def queries(url):
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            if url == BULLETIN_WORKBOOK:  # written by a background export (core.exports)
                BulletinWorkbook(SEPTEMBER, assessment_compute(SEPTEMBER)).generate()
            else:
                assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    urls = [PAGE, f"/dashboard/bulletin/?month={SEPTEMBER.label}", BULLETIN_WORKBOOK]
    assessment_data.build("-1")
    few = [queries(url) for url in urls]
    for n in range(2, 11):
        assessment_data.build(f"-{n}")
    assert [queries(url) for url in urls] == few
    assessment_publish(quarter=Q3, actor=head)  # the published page reads the stored rows
    published = queries(PAGE)
    for n in range(11, 14):
        assessment_data.build(f"-{n}")
    assessment_publish(quarter=Q3, actor=head, replace=True)
    assert queries(PAGE) == published


def test_a_department_with_only_signals_on_older_applications_is_assessed(data):
    from approvals.models import ApprovalSignal
    from reports.tests.assessment_data import at, item, record, signal

    quiet = assessment_data.complaint_factories.department(name="丁局")
    pending = record(item(quiet, promised=5), accepted=at(2026, 6, 1), due=Q3.first_day)
    signal(pending, ApprovalSignal.Kind.OVERDUE, at(2026, 7, 2))
    results = {result.department_id: result for result in assessment_compute(Q3)}
    assert results[quiet.pk].inputs["signals"] == 1 and results[quiet.pk].inputs["signals_red"] == 1
    assert results[quiet.pk].grade == EfficiencyAssessment.Grade.NOT_ASSESSED

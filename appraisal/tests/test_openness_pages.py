"""Openness checks in the staff workplace and on the published pages: recording a finding with
evidence in the admin, the results per unit and criterion (admin, dashboard, dispatch pack sheet),
the public figures (per criterion only) and the public list of demonstration sites."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.models import Criterion, DemonstrationSite, FindingEvidence, OpennessFinding
from appraisal.openness.selectors import openness_results
from appraisal.openness.services import demonstration_site_mark, finding_record
from appraisal.tests import openness_factories as f
from casework.tests import factories as casework_factories
from core.periods import Period
from reports.ledger import services as ledger
from reports.tests.test_ledger import staff

pytestmark = pytest.mark.django_db
R = OpennessFinding.Result


@pytest.fixture
def scene():
    good, poor = f.department(name="示范甲局"), f.department(name="整改乙局")
    campaign = f.campaign(good, poor)
    handler = casework_factories.user("handler")
    for criterion in Criterion.values:
        finding_record(
            campaign=campaign, department=good, item=f.item(campaign, criterion), result=R.PASS, actor=handler
        )
    # 乙局: content and form failed, the rest passed (4 of 6).
    for criterion in Criterion.values:
        failed = criterion in (Criterion.CONTENT, Criterion.FORM)
        finding_record(
            campaign=campaign,
            department=poor,
            item=f.item(campaign, criterion),
            result=R.FAIL if failed else R.PASS,
            note="未按规定公开。" if failed else "",
            actor=handler,
        )
    return {"good": good, "poor": poor, "campaign": campaign, "handler": handler}


def test_results_per_unit_and_criterion(scene):
    results = openness_results(campaign=scene["campaign"])
    by_name = {unit.name: unit for unit in results.units}
    assert [unit.name for unit in results.units] == ["示范甲局", "整改乙局"]  # best first
    assert by_name["示范甲局"].total.rate == 100.0
    poor = by_name["整改乙局"]
    assert poor.total.checked == 6 and poor.total.passed == 4 and poor.total.rate == 66.7
    assert poor.criteria[Criterion.CONTENT].rate == 0.0 and poor.criteria[Criterion.TIME].rate == 100.0
    assert results.criteria[Criterion.CONTENT].rate == 50.0 and results.total.rate == 83.3


def test_the_admin_results_page(client, scene):
    client.force_login(casework_factories.user("head"))
    url = reverse("admin:appraisal_opennesscampaign_results", args=[scene["campaign"].pk])
    page = client.get(url).content.decode()
    assert "data-openness-results" in page and "66.7 % (4/6)" in page and "100.0 % (6/6)" in page


def test_the_admin_records_a_serious_finding_with_evidence(client, scene):
    campaign, poor = scene["campaign"], scene["poor"]
    other = f.campaign(poor)
    client.force_login(scene["handler"])
    url = reverse("admin:appraisal_opennessfinding_record")
    assert client.get(reverse("admin:appraisal_opennessfinding_add")).status_code == 302
    item = f.item(other, Criterion.SATISFACTION)
    data = {
        "campaign": other.pk,
        "department": poor.pk,
        "item": item.pk,
        "result": R.SERIOUS,
        "note": "",
        "evidence": [f.image_upload()],
    }
    # A failed item without a note: the error next to the field, what was typed kept.
    again = client.post(url, data)
    assert again.status_code == 200 and again.context["form"].errors["note"]
    assert again.context["form"]["item"].value() == str(item.pk)
    data["note"] = "群众满意度调查未开展<script>alert(1)</script>"
    data["evidence"] = [f.image_upload()]
    done = client.post(url, data)
    finding = OpennessFinding.objects.get(campaign=other)
    assert done.status_code == 302 and done["Location"].endswith(f"/{finding.pk}/change/")
    assert finding.case_id is not None and finding.result == R.SERIOUS
    evidence = FindingEvidence.objects.get(finding=finding)
    change = client.get(done["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in change and "&lt;script&gt;" in change
    download = reverse("admin:appraisal_opennessfinding_evidence", args=[finding.pk, evidence.pk])
    response = client.get(download)
    assert (
        response.status_code == 200 and response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    )
    assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
    # The file of one finding is not reached through another.
    first = OpennessFinding.objects.filter(campaign=campaign).first()
    assert (
        client.get(
            reverse("admin:appraisal_opennessfinding_evidence", args=[first.pk, evidence.pk])
        ).status_code
        == 404
    )
    # A department user never reaches the admin's evidence.
    client.force_login(casework_factories.user("dept", department=poor))
    assert client.get(download).status_code in (302, 403)


def test_the_admin_finding_list_has_constant_queries(client, scene):
    client.force_login(casework_factories.user("head"))
    url = reverse("admin:appraisal_opennessfinding_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count("field-department_shown") == 12
    OpennessFinding.objects.filter(department=scene["good"]).delete()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    assert len(few) == len(many), [q["sql"][:80] for q in many.captured_queries]


def test_the_dashboard_shows_pass_rates_by_unit_and_the_public_figures_by_criterion(client, scene):
    quarter = Period.current()
    client.force_login(casework_factories.user("leader"))
    dashboard = client.get(reverse("dashboard:index") + f"?quarter={quarter.label}").content.decode()
    assert 'data-section="openness"' in dashboard and "data-openness-units" in dashboard
    assert "整改乙局" in dashboard and "66.7 % (4/6)" in dashboard
    client.logout()
    public = client.get(reverse("figures:index") + f"?quarter={quarter.label}").content.decode()
    assert 'data-section="openness"' in public and "83.3 % (10/12)" in public
    assert "整改乙局" not in public and "data-openness-units" not in public
    assert "/admin/" not in public.split('data-section="openness"')[1].split("</section>")[0]


def test_the_dispatch_pack_has_the_openness_sheet_for_who_reads_findings(client, scene):
    quarter = Period.current()
    held = ledger.dispatch_meeting_schedule(
        quarter=quarter.label, scheduled_on=quarter.last_day, place="三楼会议室", actor=None
    )
    url = reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk])
    client.cookies["django_language"] = "en"
    client.force_login(staff("reports.view_dispatchmeeting", "appraisal.view_opennessfinding"))
    book = load_workbook(io.BytesIO(client.get(url).content), read_only=True)
    rows = list(book["Openness checks"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Unit")
    assert rows[header][1].startswith("Content complete")
    body = {row[0]: row for row in rows[header + 1 : -1]}
    assert body["整改乙局"][1] == 0 and body["整改乙局"][3] == 100 and body["整改乙局"][-1] == 66.7
    assert rows[-1][0] == "All units" and rows[-1][-1] == 83.3
    page = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    assert "data-openness" in page and page.count("data-openness-unit") == 2 and "66.7 % (4/6)" in page
    client.force_login(staff("reports.view_dispatchmeeting"))
    assert (
        "data-openness"
        not in client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    )
    book = load_workbook(io.BytesIO(client.get(url).content), read_only=True)
    rows = list(book["Openness checks"].iter_rows(values_only=True))
    assert ("Openness checks are not shown: you may not see them.",) in rows
    assert not any(row and row[0] == "整改乙局" for row in rows)


# --- Demonstration sites ---------------------------------------------------------------------------


def test_a_demonstration_site_is_listed_publicly(client, scene):
    head = casework_factories.user("head")
    demonstration_site_mark(
        campaign=scene["campaign"],
        department=scene["good"],
        citation="六项标准全部达标<script>alert(1)</script>",
        actor=head,
    )
    page = client.get(reverse("openness_public:sites")).content.decode()
    assert "示范甲局" in page and "data-sites" in page and scene["campaign"].title in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "整改乙局" not in page


def test_a_demonstration_site_is_marked_once_by_a_decider_with_a_clean_citation(scene):
    head = casework_factories.user("head")
    with pytest.raises(PermissionDenied):
        demonstration_site_mark(
            campaign=scene["campaign"],
            department=scene["good"],
            citation="好",
            actor=casework_factories.user("leader"),
        )
    with pytest.raises(ValidationError) as error:
        demonstration_site_mark(
            campaign=scene["campaign"],
            department=scene["good"],
            citation="联系人张科长13912345678",
            actor=head,
        )
    assert "citation" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        demonstration_site_mark(
            campaign=scene["campaign"], department=f.department(), citation="好", actor=head
        )
    assert "department" in error.value.message_dict
    demonstration_site_mark(campaign=scene["campaign"], department=scene["good"], citation="好", actor=head)
    with pytest.raises(ValidationError):
        demonstration_site_mark(
            campaign=scene["campaign"], department=scene["good"], citation="再次", actor=head
        )
    assert DemonstrationSite.objects.count() == 1


def test_the_admin_marks_a_demonstration_site(client, scene):
    client.force_login(casework_factories.user("head"))
    url = reverse("admin:appraisal_demonstrationsite_add")
    bad = client.post(url, {"campaign": scene["campaign"].pk, "department": scene["good"].pk, "citation": ""})
    assert bad.status_code == 200 and bad.context["form"].errors["citation"]
    done = client.post(
        url, {"campaign": scene["campaign"].pk, "department": scene["good"].pk, "citation": "公开栏规范"}
    )
    assert done.status_code == 302 and DemonstrationSite.objects.get().citation == "公开栏规范"


def test_the_public_list_has_constant_queries(client, scene):
    head = casework_factories.user("head")
    url = reverse("openness_public:sites")
    demonstration_site_mark(campaign=scene["campaign"], department=scene["good"], citation="好", actor=head)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        unit = f.department()
        campaign = f.campaign(unit)
        demonstration_site_mark(campaign=campaign, department=unit, citation=f"第{n}", actor=head)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count("data-site=") == 5
    assert len(few) == len(many)


def test_a_user_without_view_permission_has_no_results_page(client, scene):
    client.force_login(User.objects.create_user("plain", is_staff=True))
    url = reverse("admin:appraisal_opennesscampaign_results", args=[scene["campaign"].pk])
    assert client.get(url).status_code == 403

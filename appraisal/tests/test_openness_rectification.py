"""The unit answers a failed item with its rectification from its portal (/dept/openness/);
staff accept it or return it with a reason (a new deadline, one round more). A unit never
reaches another's finding, nor who recorded it or the evidence."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import Criterion, OpennessFinding
from appraisal.openness.services import finding_accept, finding_answer, finding_record, finding_return
from appraisal.tests import openness_factories as f
from casework.tests import factories as casework_factories
from core.errors import InvalidTransition
from core.models import Deadline, OutboundEmail

pytestmark = pytest.mark.django_db
R = OpennessFinding.Result
S = OpennessFinding.Status


@pytest.fixture
def scene():
    unit, other = f.department(), f.department()
    campaign = f.campaign(unit, other)
    handler = casework_factories.user("handler", username="inspector-zhao")
    finding = finding_record(
        campaign=campaign,
        department=unit,
        item=f.item(campaign),
        result=R.FAIL,
        note="办事指南未公开收费依据。",
        actor=handler,
    )
    return {
        "unit": unit,
        "other": other,
        "campaign": campaign,
        "handler": handler,
        "finding": finding,
        "dept_user": casework_factories.user("dept", department=unit),
        "other_user": casework_factories.user("dept", department=other),
    }


def test_the_unit_answers_then_staff_accept(scene):
    finding = finding_answer(
        finding=scene["finding"], rectification="已在办事指南中公开收费依据。", actor=scene["dept_user"]
    )
    assert finding.status == S.ANSWERED and finding.answered_by == scene["dept_user"]
    assert Deadline.objects.get(pk=finding.deadline_id).status == Deadline.Status.MET
    finding = finding_accept(finding=finding, actor=scene["handler"])
    assert finding.status == S.ACCEPTED
    assert OutboundEmail.objects.filter(kind="openness_finding_accepted", to=[scene["unit"].email]).exists()
    with pytest.raises(InvalidTransition):
        finding_answer(finding=finding, rectification="再次", actor=scene["dept_user"])


def test_a_returned_rectification_gets_a_new_deadline_and_an_email(scene):
    first = scene["finding"].deadline
    finding = finding_answer(finding=scene["finding"], rectification="已整改。", actor=scene["dept_user"])
    finding = finding_return(finding=finding, reason="未附整改后的页面截图。", actor=scene["handler"])
    assert finding.status == S.RETURNED and finding.deadline.round == first.round + 1
    assert finding.deadline_id != first.pk and finding.deadline.status == Deadline.Status.OPEN
    email = OutboundEmail.objects.get(kind="openness_finding_returned")
    assert "未附整改后的页面截图。" in email.body_text
    finding = finding_answer(finding=finding, rectification="已补充截图。", actor=scene["dept_user"])
    assert finding_accept(finding=finding, actor=scene["handler"]).status == S.ACCEPTED


def test_a_return_reason_naming_someone_is_refused(scene):
    finding = finding_answer(finding=scene["finding"], rectification="已整改。", actor=scene["dept_user"])
    with pytest.raises(ValidationError):
        finding_return(finding=finding, reason="请联系群众13912345678核实。", actor=scene["handler"])
    finding.refresh_from_db()
    assert finding.status == S.ANSWERED


def test_only_the_findings_unit_answers_and_only_deciders_decide(scene):
    with pytest.raises(PermissionDenied):
        finding_answer(finding=scene["finding"], rectification="越权", actor=scene["other_user"])
    finding = finding_answer(finding=scene["finding"], rectification="已整改。", actor=scene["dept_user"])
    for outsider in (casework_factories.user("intake"), scene["dept_user"]):
        with pytest.raises(PermissionDenied):
            finding_accept(finding=finding, actor=outsider)
        with pytest.raises(PermissionDenied):
            finding_return(finding=finding, reason="不够", actor=outsider)


# --- The portal pages ------------------------------------------------------------------------------


def test_the_unit_answers_from_its_portal(client, scene):
    finding = scene["finding"]
    client.force_login(scene["dept_user"])
    listing = client.get(reverse("openness_dept:list")).content.decode()
    assert "检查项" in listing and f'data-finding="{finding.pk}"' in listing
    url = reverse("openness_dept:detail", args=[finding.pk])
    page = client.get(url).content.decode()
    assert "办事指南未公开收费依据。" in page and "data-rectification-form" in page
    # Who recorded it is not shown to the unit.
    assert "inspector-zhao" not in page and "inspector-zhao" not in listing
    blank = client.post(url, {"rectification": "  "})
    assert blank.status_code == 200 and blank.context["form"].errors["rectification"]
    done = client.post(url, {"rectification": "已公开收费依据<script>alert(1)</script>"})
    assert done.status_code == 302
    finding.refresh_from_db()
    assert finding.status == S.ANSWERED
    page = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_another_unit_cannot_reach_the_finding(client, scene):
    client.force_login(scene["other_user"])
    url = reverse("openness_dept:detail", args=[scene["finding"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"rectification": "越权"}).status_code == 404
    assert (
        f'data-finding="{scene["finding"].pk}"'
        not in client.get(reverse("openness_dept:list")).content.decode()
    )


def test_a_passed_item_is_not_on_the_portal(client, scene):
    passed = finding_record(
        campaign=scene["campaign"],
        department=scene["unit"],
        item=f.item(scene["campaign"], Criterion.TIME),
        result=R.PASS,
        actor=scene["handler"],
    )
    client.force_login(scene["dept_user"])
    assert client.get(reverse("openness_dept:detail", args=[passed.pk])).status_code == 404


def test_the_portal_list_has_constant_queries(client, scene):
    client.force_login(scene["dept_user"])
    url = reverse("openness_dept:list") + "?status=all"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for criterion in (Criterion.FORM, Criterion.TIME, Criterion.PROCEDURE, Criterion.RULES):
        finding_record(
            campaign=scene["campaign"],
            department=scene["unit"],
            item=f.item(scene["campaign"], criterion),
            result=R.FAIL,
            note="未公开。",
            actor=scene["handler"],
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("data-finding=") == 5
    assert len(few) == len(many), [q["sql"][:80] for q in many.captured_queries]


def test_the_portal_needs_a_department_login(client, scene):
    url = reverse("openness_dept:list")
    assert client.get(url).status_code == 302
    client.force_login(casework_factories.user("liaison"))
    assert client.get(url).status_code == 403

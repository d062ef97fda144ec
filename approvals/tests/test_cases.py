"""A red signal turned into a case (channel: approvals, category 行政审批), and the signals admin:
its columns, filters, search, actions and a constant number of queries per page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import ApprovalSignal
from approvals.services.cases import signal_case_open
from approvals.services.corrections import signal_answer
from approvals.services.signals import signals_evaluate
from approvals.tests import factories as f
from casework.models import Case
from casework.tests import factories as casework_factories
from complaints.models import Category, Channel
from core.errors import InvalidTransition
from core.models import Deadline

pytestmark = pytest.mark.django_db
K, S = ApprovalSignal.Kind, ApprovalSignal.Status
CHANGELIST = "admin:approvals_approvalsignal_changelist"


@pytest.fixture
def scene():
    department = f.department(name="审批案件测试局")
    item = f.item(department)
    late = f.record(item, accepted_at=f.at(2026, 9, 30), applicant_name="申请人甲有限公司")
    prompt = f.record(item, accepted_at=f.at(2026, 10, 13))  # due 20 October
    signals_evaluate([late.pk, prompt.pk], now=f.at(2026, 10, 19))
    staff = f.grant(
        casework_factories.user("handler"), "approvals.decide_signal", "approvals.view_approvalsignal"
    )
    return {
        "department": department,
        "item": item,
        "late": late,
        "red": late.signals.get(kind=K.OVERDUE),
        "yellow": prompt.signals.get(kind=K.DUE_SOON),
        "staff": staff,
    }


def test_a_red_signal_opens_an_accepted_case_on_the_approvals_channel(scene):
    red = scene["red"]
    case = signal_case_open(signal=red, actor=scene["staff"])
    assert case.channel == Channel.APPROVAL and case.department == scene["department"]
    assert case.status == Case.Status.ACCEPTED
    complaint = case.complaint_links.get().complaint
    assert complaint.category == Category.PERMITS and complaint.is_anonymous
    assert scene["late"].external_id in complaint.description and scene["item"].name in complaint.description
    assert "申请人甲" not in complaint.description  # the record's facts, not the applicant's name
    red.refresh_from_db()
    assert (red.status, red.case, red.decided_by) == (S.CASE, case, scene["staff"])
    assert Deadline.objects.get(pk=red.deadline_id).status == Deadline.Status.CANCELLED
    with pytest.raises(InvalidTransition):
        signal_case_open(signal=red, actor=scene["staff"])


def test_a_yellow_signal_opens_no_case_and_nobody_without_both_permissions_does(scene):
    with pytest.raises(ValidationError):
        signal_case_open(signal=scene["yellow"], actor=scene["staff"])
    only_decide = f.grant(casework_factories.user("leader"), "approvals.decide_signal")
    with pytest.raises(PermissionDenied):
        signal_case_open(signal=scene["red"], actor=only_decide)


# --- The admin ---------------------------------------------------------------------------------------


def test_the_admin_opens_a_case_and_lands_on_it(client, scene):
    client.force_login(scene["staff"])
    url = reverse("admin:approvals_approvalsignal_open_case", args=[scene["red"].pk])
    form = client.get(url)
    assert (
        form.status_code == 200 and scene["late"].external_id in form.context["form"].initial["description"]
    )
    response = client.post(url, {"description": form.context["form"].initial["description"]})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:casework_case_change", args=[case.pk]
    )


def test_the_admin_accepts_and_returns_corrections(client, scene):
    dept_user = casework_factories.user("dept", department=scene["department"])
    signal_answer(signal=scene["red"], correction="已作出决定。", actor=dept_user)
    client.force_login(scene["staff"])
    returned = client.post(
        reverse("admin:approvals_approvalsignal_return", args=[scene["red"].pk]), {"reason": ""}
    )
    assert returned.status_code == 200 and returned.context["form"].errors["reason"]
    client.post(
        reverse("admin:approvals_approvalsignal_return", args=[scene["red"].pk]), {"reason": "请说明原因。"}
    )
    scene["red"].refresh_from_db()
    assert scene["red"].status == S.RETURNED
    signal_answer(signal=scene["red"], correction="超期原因系材料补正。", actor=dept_user)
    client.post(
        reverse(CHANGELIST),
        {"action": "accept_selected", "_selected_action": [scene["red"].pk, scene["yellow"].pk]},
    )
    scene["red"].refresh_from_db()
    assert scene["red"].status == S.ACCEPTED


def test_the_bulk_open_case_action_lands_on_the_case(client, scene):
    client.force_login(scene["staff"])
    response = client.post(
        reverse(CHANGELIST), {"action": "open_cases", "_selected_action": [scene["red"].pk]}
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/casework/case/{case.pk}/change/")


def test_the_admin_needs_the_permissions(client, scene):
    viewer = f.grant(casework_factories.user("leader"), "approvals.view_approvalsignal")
    client.force_login(viewer)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert (
        client.get(reverse("admin:approvals_approvalsignal_open_case", args=[scene["red"].pk])).status_code
        == 403
    )
    assert (
        client.get(reverse("admin:approvals_approvalsignal_return", args=[scene["red"].pk])).status_code
        == 403
    )


def _listed(client, query: str = "") -> set[int]:
    response = client.get(reverse(CHANGELIST) + query)
    assert response.status_code == 200, query
    return {row.pk for row in response.context["cl"].result_list}


def test_the_admin_filters(client, scene):
    other = f.department()
    other_record = f.record(f.item(other), accepted_at=f.at(2026, 11, 2), fees=[("NO-1", "5")])
    signals_evaluate([other_record.pk], now=f.at(2026, 11, 3))
    outside = other_record.signals.get()
    red, yellow = scene["red"], scene["yellow"]
    client.force_login(scene["staff"])
    assert _listed(client) == {red.pk, yellow.pk, outside.pk}
    assert _listed(client, f"?department__id__exact={other.pk}") == {outside.pk}
    assert _listed(client, f"?item={scene['item'].pk}") == {red.pk, yellow.pk}
    # The item filter offers the items of the department chosen, not the whole catalogue.
    sidebar = client.get(reverse(CHANGELIST) + f"?department__id__exact={scene['department'].pk}")
    assert scene["item"].name in sidebar.content.decode()
    assert other_record.item.name not in sidebar.content.decode()
    assert _listed(client, "?colour__exact=yellow") == {yellow.pk}
    assert _listed(client, "?kind__exact=fee_outside") == {outside.pk}
    assert _listed(client, "?status__exact=open") == {red.pk, yellow.pk, outside.pk}
    # The bounds as the assessment's drill-down writes them: aware, Shanghai's midnight.
    midnight = "T00%3A00%3A00%2B08%3A00"
    november = f"?raised_at__gte=2026-11-01{midnight}&raised_at__lt=2026-12-01{midnight}"
    assert _listed(client, november) == {outside.pk}
    assert _listed(client, "?period=2026-10") == {red.pk, yellow.pk}
    assert _listed(client, "?period=2026Q4") == {red.pk, yellow.pk, outside.pk}
    # The correction deadlines of 19 October and 3 November (3 working days) have passed by now.
    assert _listed(client, "?overdue=yes") == {red.pk, outside.pk}
    assert _listed(client, "?overdue=no") == {yellow.pk}
    assert _listed(client, f"?q={scene['late'].external_id}") == {red.pk}


def test_the_admin_list_runs_the_same_queries_for_a_few_and_many_signals(client, scene):
    client.force_login(scene["staff"])
    client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(CHANGELIST))
    records = [f.record(scene["item"], accepted_at=f.at(2026, 9, 30), fees=[("XX", "1")]) for _ in range(30)]
    signals_evaluate([r.pk for r in records], now=f.at(2026, 10, 19))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 25
    assert len(many) == len(few), [q["sql"][:90] for q in many.captured_queries]
    page = response.content.decode()
    assert 'data-colour="red"' in page and 'data-action="case"' in page

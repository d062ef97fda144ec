"""The department pages (/dept/notifications/) and the staff workplace (admin): who sees what,
the preview, the buttons, and the reply. Assertions read data attributes and the database,
not sentences in one language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.tests.factories import user
from core.models import Deadline, OutboundEmail
from reports.models import NotificationReport, NotificationRun
from reports.notifications import services
from reports.tests.factories import IDENTITY_VALUES, PLANTED, complaint, department, staff

pytestmark = pytest.mark.django_db


def list_url() -> str:
    return reverse("notifications:list")


def report_url(report: NotificationReport) -> str:
    return reverse("notifications:report", args=[report.pk])


def preview_url(run: NotificationRun) -> str:
    return reverse("admin:reports_notificationrun_change", args=[run.pk])


def _sent_run(*units) -> NotificationRun:
    for unit in units:
        complaint(department=unit)
    run = services.notification_run_prepare(period="2026-10", actor=None)
    services.notification_run_approve(run=run, actor=None)
    return services.notification_run_send(run=run, actor=None)


def test_a_department_gets_404_for_another_departments_report(client):
    a, b = department(), department()
    run = _sent_run(a, b)
    report_a, report_b = run.reports.get(department=a), run.reports.get(department=b)
    client.force_login(user("dept", department=a))

    assert client.get(report_url(report_b)).status_code == 404
    assert client.post(report_url(report_b), {"measures": "越权回复"}).status_code == 404
    assert client.get(report_url(report_a)).status_code == 200
    listed = client.get(list_url()).content.decode()
    assert f'data-notification="{report_a.pk}"' in listed
    assert f'data-notification="{report_b.pk}"' not in listed


def test_a_department_sees_nothing_before_the_run_is_sent(client):
    unit = department()
    complaint(department=unit)
    run = services.notification_run_prepare(period="2026-10", actor=None)
    client.force_login(user("dept", department=unit))

    assert client.get(report_url(run.reports.get())).status_code == 404
    services.notification_run_approve(run=run, actor=None)
    assert client.get(report_url(run.reports.get())).status_code == 404
    assert "data-notification=" not in client.get(list_url()).content.decode()


def test_staff_and_strangers_do_not_use_the_department_pages(client):
    unit = department()
    report = _sent_run(unit).reports.get()
    client.force_login(staff())
    assert client.get(report_url(report)).status_code == 403
    client.logout()
    assert client.get(report_url(report)).status_code == 302  # to the login page


def test_replying_on_the_page_meets_the_deadline_and_shows_in_the_admin(client):
    unit = department()
    report = _sent_run(unit).reports.get()
    client.force_login(user("dept", department=unit))

    page = client.get(report_url(report)).content.decode()
    assert 'name="measures"' in page
    response = client.post(report_url(report), {"measures": "建立检查计划备案制度,合并同类检查。"})
    assert response.status_code == 302

    report.refresh_from_db()
    assert report.status == NotificationReport.Status.REPLIED
    assert Deadline.objects.get(pk=report.deadline_id).status == Deadline.Status.MET
    page = client.get(report_url(report)).content.decode()
    assert "data-reply" in page and 'name="measures"' not in page

    client.force_login(staff(permissions=("view",)))
    assert "建立检查计划备案制度" in client.get(preview_url(report.run)).content.decode()
    changelist = client.get(reverse("admin:reports_notificationreport_changelist")).content.decode()
    assert "replied" in changelist or report.get_status_display() in changelist


def test_an_empty_reply_keeps_the_form_with_an_error(client):
    unit = department()
    report = _sent_run(unit).reports.get()
    client.force_login(user("dept", department=unit))

    response = client.post(report_url(report), {"measures": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["measures"]
    report.refresh_from_db()
    assert report.status == NotificationReport.Status.SENT


def test_the_department_list_costs_the_same_queries_for_2_and_12_reports(client):
    member_units = [department() for _n in range(12)]
    _sent_run(*member_units)
    member = user("dept", department=member_units[0])
    client.force_login(member)
    with CaptureQueriesContext(connection) as few:
        client.get(list_url())
    for unit in member_units[1:]:
        unit.members.add(member)
    member._envopt_department_ids = None
    with CaptureQueriesContext(connection) as many:
        response = client.get(list_url())
    assert response.content.decode().count("data-notification=") == 12
    assert len(few) == len(many)


# --- The staff workplace -------------------------------------------------------------------


def test_staff_prepare_a_run_by_naming_the_period(client):
    complaint(department=department())
    client.force_login(staff())
    add = reverse("admin:reports_notificationrun_add")

    response = client.post(add, {"period": "2026-13"})
    assert response.status_code == 200
    assert response.context["form"].errors["period"]
    assert not NotificationRun.objects.exists()

    response = client.post(add, {"period": "2026-10"})
    run = NotificationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == preview_url(run)


def test_the_preview_shows_what_each_department_receives_and_buttons_approve_and_send(client):
    a, b = department(), department()
    complaint(department=a, description=PLANTED)
    complaint(department=b, category="fines", description="罚款不开票。")
    run = services.notification_run_prepare(period="2026-10", actor=None)
    client.force_login(staff())

    page = client.get(preview_url(run)).content.decode()
    assert page.count("data-email-text") == 2
    assert "罚款不开票。" in page and "data-approve" in page and "data-send" not in page
    for value in IDENTITY_VALUES.values():
        assert value not in page

    item = run.items.get(report__department=a)
    client.post(
        reverse("admin:reports_notificationrun_texts", args=[run.pk]), {f"text-{item.pk}": "张三来电。"}
    )
    item.refresh_from_db()
    assert item.text == "张三来电。"
    assert "data-identity-warning" in client.get(preview_url(run)).content.decode()
    client.post(reverse("admin:reports_notificationrun_approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == NotificationRun.Status.DRAFT

    client.post(
        reverse("admin:reports_notificationrun_texts", args=[run.pk]), {f"text-{item.pk}": "企业来电反映。"}
    )
    client.post(reverse("admin:reports_notificationrun_approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == NotificationRun.Status.APPROVED
    assert "data-send" in client.get(preview_url(run)).content.decode()

    client.post(reverse("admin:reports_notificationrun_send", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == NotificationRun.Status.SENT
    assert OutboundEmail.objects.filter(kind="notification_report").count() == 2


def test_approving_and_sending_need_the_approve_permission(client):
    complaint(department=department())
    run = services.notification_run_prepare(period="2026-10", actor=None)
    client.force_login(staff(permissions=("view", "change")))

    assert "data-approve" not in client.get(preview_url(run)).content.decode()
    assert client.post(reverse("admin:reports_notificationrun_approve", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.status == NotificationRun.Status.DRAFT


def test_staff_without_run_permissions_cannot_open_the_preview(client):
    complaint(department=department())
    run = services.notification_run_prepare(period="2026-10", actor=None)
    client.force_login(staff(permissions=()))

    response = client.get(preview_url(run))

    assert response.status_code == 302 and response["Location"] != preview_url(run)
    assert client.post(reverse("admin:reports_notificationrun_approve", args=[run.pk])).status_code == 404


def test_the_changelist_filters_by_status_and_searches_by_department(client):
    unit = department(name="市生态环境局")
    _sent_run(unit)
    client.force_login(staff(permissions=("view",)))
    changelist = reverse("admin:reports_notificationrun_changelist")

    assert client.get(changelist, {"status__exact": "sent"}).context["cl"].result_count == 1
    assert client.get(changelist, {"status__exact": "draft"}).context["cl"].result_count == 0
    assert client.get(changelist, {"q": "生态环境"}).context["cl"].result_count == 1
    assert client.get(changelist, {"q": "不存在的局"}).context["cl"].result_count == 0
    assert client.get(changelist, {"kind": "quarter"}).context["cl"].result_count == 0


def test_a_draft_can_be_discarded_and_prepared_again_but_an_approved_run_cannot(client):
    complaint(department=department())
    run = services.notification_run_prepare(period="2026-10", actor=None)
    client.force_login(staff())
    delete = reverse("admin:reports_notificationrun_delete", args=[run.pk])

    assert client.get(delete).status_code == 200
    client.post(delete, {"post": "yes"})
    assert not NotificationRun.objects.exists()

    run = services.notification_run_prepare(period="2026-10", actor=None)
    services.notification_run_approve(run=run, actor=None)
    assert (
        client.post(
            reverse("admin:reports_notificationrun_delete", args=[run.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert NotificationRun.objects.filter(pk=run.pk).exists()

"""A notification run as one workbook, written in the background (core.exports, issue 18): the
button records the export, the job writes every department and every complaint as released
(identity removed, as the departments receive them), and only its owner downloads it."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core.exports import export_job_run
from core.models import ExportJob
from reports.notifications import services
from reports.tests.factories import IDENTITY_VALUES, PLANTED, complaint, department, staff

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_run_exports_its_departments_and_released_complaints_to_its_owner_only():
    tax, market = department(name="甲区税务局"), department(name="乙区市场监管局")
    complaint(department=tax, description=PLANTED)
    complaint(department=tax)
    complaint(department=market)
    run = services.notification_run_prepare(period="2026-10", actor=None)
    owner = staff(permissions=("view",))
    client = _client(owner)

    assert client.get(reverse("admin:reports_notificationrun_export", args=[run.pk])).status_code == 405
    response = client.post(reverse("admin:reports_notificationrun_export", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_exportjob_changelist")
    job = ExportJob.objects.get(owner=owner)
    assert (job.kind, job.filters, job.state) == ("reports.notification_run", {"run": run.pk}, "queued")
    assert export_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert job.rows_done == job.rows_total == 3

    download = client.get(reverse("admin:core_exportjob_download", args=[job.pk]))
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    departments = [row for row in book.worksheets[0].iter_rows(min_row=4, values_only=True) if row and row[0]]
    assert {(row[0], row[1]) for row in departments} == {("甲区税务局", 2), ("乙区市场监管局", 1)}
    complaints = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert sorted(row[0] for row in complaints) == ["乙区市场监管局", "甲区税务局", "甲区税务局"]
    text = "\n".join(str(cell) for row in complaints for cell in row if cell is not None)
    assert "执法大队一个月内上门检查四次" in text  # the complaint's words, as released
    for secret in IDENTITY_VALUES.values():
        assert secret not in text, secret
    # Another member of staff who reads the same runs gets nothing from this link.
    assert _client(staff(permissions=("view",))).get(download.wsgi_request.path).status_code == 404


def test_a_user_who_cannot_see_the_runs_cannot_export_one():
    run = services.notification_run_prepare(period="2026-10", actor=None)
    outsider = staff(permissions=())
    response = _client(outsider).post(reverse("admin:reports_notificationrun_export", args=[run.pk]))
    assert response.status_code in (403, 404)
    assert not ExportJob.objects.exists()

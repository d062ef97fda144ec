"""A case handler exports the case list in Chromium (issue 18): the button answers at once with
the list of their exports, a real Celery worker writes the workbook while the list refreshes
itself, and the download, read back with openpyxl, holds exactly the cases of the list."""

import io

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from casework.selectors import case_list
from casework.tests import factories
from core.models import ExportJob
from core.twofactor_testing import totp_code_now, totp_device_for_tests

pytestmark = pytest.mark.browser

PASSWORD = "pw-12345678"  # casework.tests.factories.user


def log_in(page, username: str, *, then: str):
    device = totp_device_for_tests(User.objects.get(username=username))
    page.goto(f"/accounts/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/**")
    page.fill("input[name=code]", totp_code_now(device))
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(f"**{then}")


def test_a_handler_exports_the_case_list_in_the_background(page, worker_factory):
    handler = factories.user("handler", username="handler-export")
    cases = [factories.accepted_case(actor=handler) for _ in range(6)]
    worker = worker_factory(EXPORT_BATCH_ROWS="2")
    log_in(page, handler.username, then="/admin/casework/case/")

    page.locator("[data-export]").click()
    page.wait_for_url("**/admin/core/exportjob/")
    assert page.locator("#result_list tbody tr").count() == 1
    # The list refreshes itself until the worker is done, then shows the link and the rows.
    link = page.locator("[data-export-download]")
    link.wait_for(timeout=90_000)
    job = ExportJob.objects.get(owner=handler)
    assert job.state == ExportJob.State.DONE, (job.error, worker.log())
    assert page.locator("[data-export-state=done]").is_visible()
    assert page.locator("[data-export-progress]").inner_text() == "6 / 6"
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.startswith("cases-") and download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:
        workbook = load_workbook(io.BytesIO(saved.read()), read_only=True)
    references = [row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(references) == sorted(case.reference for case in case_list(viewer=handler))
    assert len(references) == len(cases)

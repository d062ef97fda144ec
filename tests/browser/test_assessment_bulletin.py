"""A leader logs in (password and authenticator code), opens the monthly bulletin of the approvals'
efficiency (定期通报), follows a number to the list behind it and downloads the workbook, which
openpyxl reads back with the page's figures."""

import io

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from casework.tests import factories
from core.exports import export_job_run
from core.models import ExportJob
from core.twofactor_testing import totp_code_now, totp_device_for_tests
from reports.tests import assessment_data

pytestmark = [pytest.mark.browser, pytest.mark.urls("reports.tests.urls_dashboard")]

PASSWORD = "pw-12345678"  # casework.tests.factories.user
BULLETIN = "/dashboard/bulletin/?month=2026-09"


@pytest.fixture
def leader(transactional_db):
    data = assessment_data.build()
    account = factories.user("leader", username="leader-bulletin")
    return account, data


def log_in(page, username: str, next_url: str):
    device = totp_device_for_tests(User.objects.get(username=username))
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/**")
    page.fill("input[name=code]", totp_code_now(device))
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/dashboard/bulletin/**")


def test_a_leader_opens_the_bulletin_and_downloads_the_workbook(page, leader):
    account, data = leader
    log_in(page, account.username, "/dashboard/bulletin/%3Fmonth%3D2026-09")
    assert page.locator("[data-bulletin][data-month='2026-09']").is_visible()
    row_b = page.locator(f"tr[data-department='{data.b.pk}']")
    assert row_b.locator("[data-indicator=on_time] [data-input=decided]").get_attribute("data-value") == "2"
    assert row_b.locator("[data-indicator=on_time] [data-input=on_time]").get_attribute("data-value") == "1"
    total_b = row_b.locator("[data-total]").inner_text().strip()

    # The export runs in the background (core.exports): the button lands on the list of the
    # leader's exports, the job runs (here in the test process, as a worker would), and the list,
    # which refreshes itself, shows the download link.
    page.locator("[data-export=bulletin]").click()
    page.wait_for_url("**/admin/core/exportjob/**")
    assert page.locator("[data-export-state=queued]").is_visible()
    job = ExportJob.objects.get(owner=account)
    assert export_job_run(job.pk) == "done"
    page.locator("[data-export-download]").wait_for(timeout=15_000)
    with page.expect_download() as download_info:
        page.locator("[data-export-download]").click()
    download = download_info.value
    assert download.suggested_filename == "bulletin-2026-09.xlsx"
    with open(download.path(), "rb") as saved:
        workbook = load_workbook(io.BytesIO(saved.read()), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    by_department = {row[1]: row for row in rows if len(row) > 2 and row[1] in {data.b.name, data.c.name}}
    assert by_department[data.b.name][2:4] == [2, 1]  # decided, on time
    assert by_department[data.b.name][-2] == total_b

    # A number leads to the list of exactly the referrals it counts.
    page.goto(BULLETIN)
    row_c = page.locator(f"tr[data-department='{data.c.pk}']")
    row_c.locator("a[data-input=referrals_due]").click()
    page.wait_for_url("**/admin/casework/referral/?figure=referrals_due*")
    assert page.locator("#result_list tbody tr").count() == 2

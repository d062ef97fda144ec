"""A leader reads the inspections of enterprises on the dashboard in Chromium and follows a number
to the inspections it counts, and an enterprise figure to the enterprises it counts; the public
figures page shows the same section without links."""

import os

import pytest

from casework.tests import factories
from reports.tests.test_dashboard_inspections import CURRENT, ENTERPRISE_NAME, data  # noqa: F401
from tests.browser.test_dashboard import log_in

pytestmark = [pytest.mark.browser, pytest.mark.urls("reports.tests.urls_dashboard")]

SHOTS = os.environ.get("ENVOPT_SHOTS", "")  # a folder: save screenshots there to look at


@pytest.fixture
def leader(transactional_db, data):  # noqa: F811
    return factories.user("leader", username="leader-inspections")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/i-{name}.png", full_page=False)


def test_a_leader_reads_the_inspection_figures_and_opens_the_list_behind_one(page, leader):
    log_in(page, leader.username)
    page.goto(f"/dashboard/?quarter={CURRENT.label}#inspections")
    section = page.locator("#inspections")
    assert section.is_visible()
    section.scroll_into_view_if_needed()
    _shot(page, "dashboard-inspections")
    assert section.locator("[data-line=inspections] td").first.inner_text() == "4"
    assert section.locator("[data-line=joint_share] td").first.inner_text() == "50.0%"
    assert section.locator("[data-inspection-league] tbody tr").count() == 2
    section.locator("[data-line=inspections] td a").first.click()
    page.wait_for_url("**/admin/inspections/inspection/?*")
    _shot(page, "drilldown")
    assert page.locator("#result_list tbody tr").count() == 4
    # An enterprise figure lands on the enterprises it counts, and each on its inspections.
    page.go_back()
    page.locator("#inspections [data-line=above_cap] td a").first.click()
    page.wait_for_url("**/admin/inspections/inspectedenterprise/?*")
    _shot(page, "drilldown-enterprises")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and ENTERPRISE_NAME in rows.first.inner_text()
    rows.first.locator("[data-inspections-of]").click()
    page.wait_for_url("**/admin/inspections/inspection/?*")
    assert page.locator("#result_list tbody tr").count() == 3  # this year to 30 September


def test_the_public_page_shows_the_section_without_links_or_enterprises(page, leader):
    page.goto(f"/figures/?quarter={CURRENT.label}#inspections")
    section = page.locator("#inspections")
    assert section.is_visible()
    section.scroll_into_view_if_needed()
    _shot(page, "figures-inspections")
    assert section.locator("a").count() == 0
    assert ENTERPRISE_NAME not in page.content()

"""A leader logs in and reads the quarterly dashboard in Chromium: server-drawn SVG charts, every
asset from the app itself, numbers that lead to the lists behind them, and a page that fits a phone."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User

from casework.figures import ComplaintFigureFilter, FigureFilter
from casework.models import Case
from casework.tests import factories
from complaints.models import Complaint
from core.twofactor_testing import totp_code_now, totp_device_for_tests
from reports.tests.test_dashboard import URLS, build_scenario

pytestmark = [pytest.mark.browser, pytest.mark.urls(URLS)]

PASSWORD = "pw-12345678"  # casework.tests.factories.user


@pytest.fixture
def leader(transactional_db, monkeypatch):
    # The drill-down filters in the admin lists, as the project wires them.
    for model, filter_class in ((Case, FigureFilter), (Complaint, ComplaintFigureFilter)):
        model_admin = admin.site._registry[model]
        if filter_class not in model_admin.list_filter:
            monkeypatch.setattr(model_admin, "list_filter", [filter_class, *model_admin.list_filter])
    build_scenario()
    return factories.user("leader", username="leader-dashboard")


def log_in(page, username: str):
    """The password, then the second step: leaders are staff, so they type the code their
    authenticator app shows (computed here from the enrolled device's secret, as the app does)."""
    device = totp_device_for_tests(User.objects.get(username=username))
    page.goto("/accounts/login/?next=/dashboard/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/**")
    page.fill("input[name=code]", totp_code_now(device))
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/dashboard/")


def test_a_leader_logs_in_and_sees_the_dashboard_with_svg_charts(page, leader, live_server):
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    log_in(page, leader.username)

    assert page.locator("[data-dashboard]").is_visible()
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() == 4
    for index in range(4):
        chart = charts.nth(index)
        assert chart.is_visible()
        assert chart.locator(":scope > title").text_content().strip()
        assert chart.locator(":scope > desc").text_content().strip()
    bar = page.locator("#chart-categories rect.bar").first
    assert bar.bounding_box()["width"] > 0
    assert page.locator("#chart-departments .bar-row.key").count() == 1  # the key department
    assert page.locator("[data-kpi=received] [data-value]").inner_text() == "6"
    page.wait_for_load_state("networkidle")
    assert external == []

    # A number leads to the list of exactly what it counts.
    page.locator("[data-kpi=accepted] a").click()
    page.wait_for_url("**/admin/casework/case/?figure=accepted*")
    assert page.locator("#result_list tbody tr").count() == 4


def test_the_dashboard_fits_a_phone(browser, live_server, leader):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, locale="zh-CN"
    )
    page = context.new_page()
    log_in(page, leader.username)
    assert page.locator("svg.chart").count() == 4
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the dashboard scrolls sideways on a phone ({width}px wide)"
    chart_width = page.locator("#chart-categories").bounding_box()["width"]
    assert 250 < chart_width <= 375
    context.close()


def test_the_public_figures_need_no_login(page, leader):
    page.goto("/figures/")
    assert page.locator("[data-public-figures]").is_visible()
    assert page.locator("svg.chart[role=img]").count() == 4
    assert page.locator("a[href*='/admin/']").count() == 0

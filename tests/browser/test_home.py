"""The home page in a real browser, in Chinese by default and in English after switching."""

import pytest

pytestmark = pytest.mark.browser


def test_home_page_in_chinese_then_english(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", level=1).inner_text() == "政府部门损害了您企业的利益吗？"
    # Every asset comes from the app itself.
    css = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert css == "rgb(178, 34, 34)"

    page.select_option("#language-select", "en")
    page.get_by_role("button", name="切换").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Has a government department harmed your business?"
    )


def test_home_page_fits_a_phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, locale="zh-CN"
    )
    page = context.new_page()
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px wide)"
    context.close()


def test_no_request_leaves_the_server(page, live_server):
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert external == []

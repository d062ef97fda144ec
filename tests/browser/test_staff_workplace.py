"""The staff workplace in Chromium at 1280 px: the front page's work queues lead to lists of
exactly that many rows, and the case list fits the screen without sideways scrolling.

Set ENVOPT_SHOTS_DIR to a directory to keep screenshots of the pages (front page, case list,
case page, an action form) for a person to look at."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from casework.models import Case, CaseEvent, Referral
from casework.tests.test_work_queues import build_queues
from core.twofactor_testing import totp_code_now, totp_device_for_tests
from liaison.models import Department

pytestmark = pytest.mark.browser

PASSWORD = "pw-12345678"  # casework.tests.factories.user
WIDE = {"width": 1280, "height": 800}

LONG_TITLES = [
    "企业反映区市场监督管理局执法大队三个月内以不同名义五次入企检查，每次均要求停产配合，严重影响正常生产经营",
    "某物流公司反映交通运输局对同一车辆重复处罚并收取未列入收费目录的费用，申请退还并纠正",
    "投诉住房和城乡建设局施工许可审批超过承诺时限二十个工作日仍未办结，且要求另行提交已提交过的材料",
    "反映税务分局工作人员态度蛮横、门难进脸难看事难办，多次往返仍未办理出口退税备案手续",
    "企业反映生态环境局在未发现违法事实的情况下责令停产整改，且整改期限明显不合理",
]


def shoot(page, name: str) -> None:
    folder = os.environ.get("ENVOPT_SHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"a-{name}.png"), full_page=True)


@pytest.fixture
def workplace(transactional_db):
    people = build_queues(extra_cases=22)
    # Realistic lists: long Chinese titles, long unit names, cases on the ladder.
    for index, case in enumerate(Case.objects.order_by("pk")):
        Case.objects.filter(pk=case.pk).update(
            title=LONG_TITLES[index % len(LONG_TITLES)], escalation_level=index % 4
        )
    for department in Department.objects.all():
        department.name = f"市市场监督管理局经济技术开发区第{department.pk}分局执法大队"
        department.short_name = ""
        department.save(update_fields=["name", "short_name"])
    for person in User.objects.filter(is_staff=True):
        person.first_name = {"head-a": "王主任", "handler-a": "李明", "handler-b": "陈晓峰"}.get(
            person.username, person.username
        )
        person.save(update_fields=["first_name"])
    return people


def log_in(page, username: str, *, then: str = "/admin/"):
    device = totp_device_for_tests(User.objects.get(username=username))
    page.goto(f"/accounts/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/**")
    page.fill("input[name=code]", totp_code_now(device))
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(f"**{then}")


@pytest.fixture
def wide_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=WIDE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def queue_count(page, key: str) -> int:
    return int(page.locator(f"[data-queue={key}] [data-count]").inner_text())


def test_the_front_page_counts_lead_to_lists_of_that_many_rows(wide_page, workplace):
    page = wide_page
    log_in(page, "head-a")
    assert page.locator(".work-queues").is_visible()
    shoot(page, "front-page")
    counts = {
        key: queue_count(page, key)
        for key in ("to_triage", "to_review", "due_soon", "overdue", "unsatisfied")
    }
    # The office head's office: one due soon, one overdue, one unsatisfied; two complaints new.
    assert counts == {"to_triage": 2, "to_review": 0, "due_soon": 1, "overdue": 1, "unsatisfied": 1}
    for key in ("overdue", "due_soon", "to_triage"):
        page.goto("/admin/")
        page.locator(f"[data-queue={key}] a").click()
        page.wait_for_url("**/admin/**/?*")
        assert page.locator("#result_list tbody tr").count() == counts[key], key
    # The last list is the complaints to triage: the accept form shows what is being accepted.
    shoot(page, "triage-list")
    page.locator("#result_list tbody tr a").first.click()
    page.locator("a.workflow-button[href$='/triage/accept/']").click()
    page.wait_for_url("**/triage/accept/")
    assert page.locator("[data-complaint-text]").is_visible()
    assert "13912345678" not in page.content()  # an office head may see identity; the text has none
    shoot(page, "accept-form")


def test_the_case_list_fits_1280_pixels_without_sideways_scrolling(wide_page, workplace):
    page = wide_page
    log_in(page, "leader-q", then="/admin/casework/case/")
    assert page.locator("#result_list tbody tr").count() == 25  # a full page of long titles
    # The navigation sidebar starts folded on a list page.
    assert not page.locator("#nav-sidebar").is_visible()
    assert "shifted" not in (page.locator("#main").get_attribute("class") or "")
    shoot(page, "case-list")
    scroll_width, client_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert scroll_width <= client_width, f"the list scrolls sideways ({scroll_width} > {client_width})"
    for column in ("column-due_badge", "column-escalation", "column-handler_name", "column-status"):
        box = page.locator(f"#result_list thead th.{column}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDE["width"], column
    # The title keeps room to be read (not squeezed to three characters a line beside the others).
    assert page.locator("#result_list thead th.column-short_title").bounding_box()["width"] >= 240
    # Titles are one line each, the whole title on hover (title attribute) and keyboard focus.
    title = page.locator("#result_list .case-title").first
    full = title.get_attribute("title")
    assert full in LONG_TITLES
    assert title.bounding_box()["height"] < 30
    title.focus()
    assert title.evaluate("e => document.activeElement === e")
    assert title.bounding_box()["height"] > 30  # wrapped open: the whole title is readable

    # Opening the sidebar on a list is remembered for lists.
    page.locator("#toggle-nav-sidebar").click()
    assert page.locator("#nav-sidebar").is_visible()
    page.reload()
    assert page.locator("#nav-sidebar").is_visible()


def test_the_case_page_and_an_action_form_at_1280_pixels(wide_page, workplace):
    page = wide_page
    case = Case.objects.filter(status=Case.Status.REVIEWING).get()
    CaseEvent.objects.create(
        case=case,
        actor=User.objects.get(username="head-a"),
        action=CaseEvent.Action.INTERNAL_NOTE,
        note="与承办单位电话沟通，对方称下周补充材料。",
    )
    log_in(page, "handler-a", then=f"/admin/casework/case/{case.pk}/change/")
    title = page.locator("#content h1, #content h2").first.bounding_box()
    buttons = page.locator(".object-tools").bounding_box()
    # The workflow buttons sit in their own row below the heading, not over it.
    assert buttons["y"] >= title["y"] + title["height"] - 1
    assert page.locator("#events-group [data-internal-note]").is_visible()
    shoot(page, "case-page")
    page.locator("a.workflow-button[href$='/act/review/']").click()
    page.wait_for_url("**/act/review/")
    assert page.locator("[data-report]").is_visible()
    assert page.locator("[data-complaint-text]").first.is_visible()
    shoot(page, "review-form")
    assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    referral = Referral.objects.filter(case=case).get()
    assert referral.status == Referral.Status.REPORTED

"""Content-Security-Policy on every HTML page (issue 11, finding 7), and the pages working under it.

Every page type answers with the policy of envopt/settings.py (scripts and styles only from our
own origin or carrying this response's nonce; no 'unsafe-inline', no 'unsafe-eval'), and its
markup needs nothing else: no inline handler, no style attribute, no inline block without the
nonce. In Chromium, the pages staff and the public use raise no policy violation, the complaint
form still solves its proof of work and submits, and a complaint's <script> opens no dialog.
"""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from casework.tests.factories import user
from complaints.tests import factories as complaint_factories
from complaints.views import receipt_keep
from liaison.models import Department
from reports.ledger.services import dispatch_meeting_schedule
from reports.notifications import services
from reports.tests.factories import complaint, department

HOSTILE = '执法大队一个月内上门检查四次。<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, _, values = part.strip().partition(" ")
        if name:
            parsed[name] = values.split()
    return parsed


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_strict_policy(response) -> str | None:
    """The response's policy is the strict one; returns its nonce (None if the page used none)."""
    assert "Content-Security-Policy" in response, "no Content-Security-Policy header"
    policy = directives(response["Content-Security-Policy"])
    script_src, style_src = policy["script-src"], policy["style-src"]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert unsafe not in script_src, f"script-src allows {unsafe}"
    assert "'unsafe-inline'" not in style_src
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # django-csp puts a nonce in the header only when the page used one.
    nonces = [source for source in script_src if source.startswith("'nonce-")]
    assert len(nonces) <= 1
    return nonces[0][len("'nonce-") : -1] if nonces else None


def assert_markup_obeys_policy(page: str, nonce: str | None) -> None:
    """Nothing on the page needs 'unsafe-inline': no handler attribute, no style attribute, no
    javascript: URL, and every inline <script> or <style> carries this response's nonce."""
    parser = _Elements()
    parser.feed(page)
    for tag, attrs in parser.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> has inline handlers {handlers}"
        assert "style" not in attrs, f"<{tag} style=…> needs 'unsafe-inline'"
        for name in ("href", "src", "action", "formaction"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), f"<{tag} {name}>"
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            assert nonce and attrs.get("nonce") == nonce, "an inline <script> without the response's nonce"
        if tag == "style":
            assert nonce and attrs.get("nonce") == nonce, "an inline <style> without the response's nonce"


@pytest.fixture
def scenario(db):
    unit = department(name="市税务局", language="zh-hans")
    filed = complaint(department=unit, description=HOSTILE)
    run = services.notification_run_prepare(period="2026-10", actor=None)
    return {"unit": unit, "complaint": filed, "run": run, "report": run.reports.get()}


def _client(account=None) -> Client:
    client = Client()
    if account is not None:
        client.force_login(account)
    return client


def _submitted_page_client() -> Client:
    """A browser that has just filed a complaint: the receipt cookie the form's redirect sets."""
    submitted = complaint_factories.submit()
    client = Client()
    client.cookies.update(receipt_keep(HttpResponse(), submitted, emailed=False).cookies)
    return client


def _tracking_client() -> Client:
    submitted = complaint_factories.submit()
    client = Client()
    response = client.post(reverse("complaints:track"), {"code": submitted.tracking_code})
    assert response.status_code == 302
    return client


PUBLIC_PAGES = {
    "home": "home",
    "complaint form": "complaints:new",
    "tracking": "complaints:track",
    "figures": "figures:index",
    "login": "accounts:login",  # /admin/login/ redirects here
}


@pytest.mark.parametrize("url_name", PUBLIC_PAGES.values(), ids=PUBLIC_PAGES.keys())
def test_public_pages_have_a_strict_policy(db, url_name):
    response = _client().get(reverse(url_name))
    assert response.status_code == 200
    assert_markup_obeys_policy(response.content.decode(), assert_strict_policy(response))


def test_the_submitted_page_and_the_tracked_complaint_have_a_strict_policy(db):
    for client, url in (
        (_submitted_page_client(), reverse("complaints:submitted")),
        (_tracking_client(), reverse("complaints:status")),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "data-tracking-code" in page or "data-timeline" in page
        assert_markup_obeys_policy(page, assert_strict_policy(response))


def _staff_pages(scenario) -> dict[str, str]:
    filed, run = scenario["complaint"], scenario["run"]
    held = dispatch_meeting_schedule(
        quarter="2026Q4", scheduled_on=dt.date(2026, 12, 20), place="三楼会议室", actor=None
    )
    return {
        "admin index": reverse("admin:index"),
        "admin changelist": reverse("admin:complaints_complaint_changelist"),
        "admin change form": reverse("admin:complaints_complaint_change", args=[filed.pk]),
        "admin record form": reverse("admin:complaints_complaint_add"),
        "notification runs": reverse("admin:reports_notificationrun_changelist"),
        "notification preview": reverse("admin:reports_notificationrun_change", args=[run.pk]),
        "notification add": reverse("admin:reports_notificationrun_add"),
        "dispatch pack": reverse("admin:reports_dispatchmeeting_pack", args=[held.pk]),
        "dashboard": reverse("dashboard:index"),
        "api docs": reverse("api:docs"),
    }


STAFF_PAGE_NAMES = (
    "admin index",
    "admin changelist",
    "admin change form",
    "admin record form",
    "notification runs",
    "notification preview",
    "notification add",
    "dispatch pack",
    "dashboard",
    "api docs",
)


@pytest.mark.parametrize("name", STAFF_PAGE_NAMES)
def test_staff_pages_have_a_strict_policy(scenario, name):
    client = _client(user("head"))
    response = client.get(_staff_pages(scenario)[name])
    assert response.status_code == 200
    assert_markup_obeys_policy(response.content.decode(), assert_strict_policy(response))


def test_department_pages_have_a_strict_policy(scenario):
    run = scenario["run"]
    services.notification_run_approve(run=run, actor=None)
    services.notification_run_send(run=run, actor=None)
    client = _client(user("dept", department=scenario["unit"]))
    for url in (
        reverse("department_portal:home"),
        reverse("notifications:list"),
        reverse("notifications:report", args=[scenario["report"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_markup_obeys_policy(response.content.decode(), assert_strict_policy(response))


def test_the_email_frame_has_a_policy_of_its_own_without_any_script(scenario):
    """The one relaxation: the e-mail's inline styles, inside a sandbox, with no script at all."""
    client = _client(user("head"))
    run, report = scenario["run"], scenario["report"]

    response = client.get(reverse("admin:reports_notificationrun_email", args=[run.pk, report.pk]))

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy and "script-src-elem" not in policy
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert "sandbox" in policy and policy["sandbox"] == []
    assert policy["frame-ancestors"] == ["'self'"]


# --- In Chromium ----------------------------------------------------------------------------

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Watch:
    """Policy violations (events in the page, reports on the console of any frame) and dialogs."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.dialogs: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__cspViolations || []")
        assert events == [], f"{where}: CSP violations {events}"
        assert self.console == [], f"{where}: CSP reports {self.console}"
        assert self.dialogs == [], f"{where}: a dialog opened: {self.dialogs}"


def _log_in(page, live_server, account) -> None:
    client = Client()
    client.force_login(account)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


@pytest.fixture
def browser_scenario(transactional_db, settings):
    settings.INTAKE_POW_DIFFICULTY = 10  # real JavaScript work, kept short
    Department.objects.create(name="市税务局", short_name="税务局", email="sw@dept.example")
    unit = department(name="市市场监督管理局", language="zh-hans")
    filed = complaint(department=unit, description=HOSTILE)
    run = services.notification_run_prepare(period="2026-10", actor=None)
    return {"complaint": filed, "run": run}


@pytest.mark.browser
def test_the_public_form_submits_and_tracks_under_the_policy(page, browser_scenario):
    watch = Watch(page)
    page.goto("/complaints/new/")
    watch.assert_clean("the complaint form")
    page.locator("input[name=identity_mode][value=anonymous]").check()
    page.fill("#department-search", "税务")  # complaint-form.js filters the directory
    assert page.locator("select[name=department] option:checked").inner_text() == "市税务局"
    page.select_option("select[name=category]", "permits")
    page.fill("textarea[name=description]", "办理退税手续拖了半年还没有结果,窗口人员让我们反复补交材料。")
    page.check("input[name=consent]")
    page.locator("form.complaint-form button[type=submit]").click()  # pow.js solves, then submits
    page.wait_for_url("**/complaints/submitted/", timeout=30000)
    code = page.locator("[data-tracking-code]").inner_text().strip()
    assert len(code) == 23
    watch.assert_clean("the submitted page")

    page.goto("/complaints/track/")
    watch.assert_clean("the tracking page")
    page.fill("input[name=code]", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/complaints/track/status/")
    assert page.locator("[data-status]").is_visible()
    watch.assert_clean("the tracked complaint")


@pytest.mark.browser
def test_staff_pages_showing_a_hostile_complaint_work_under_the_policy(page, live_server, browser_scenario):
    filed, run = browser_scenario["complaint"], browser_scenario["run"]
    _log_in(page, live_server, user("head"))
    watch = Watch(page)

    page.goto(reverse("admin:complaints_complaint_change", args=[filed.pk]))
    assert page.locator("#content-main").is_visible()
    watch.assert_clean("the admin change page of a complaint")

    page.goto(reverse("admin:reports_notificationrun_change", args=[run.pk]))
    text_part = page.locator("[data-email-text]").first
    assert "<script>alert(1)</script>" in text_part.inner_text()  # shown as text
    frame_element = page.locator("iframe.notification-html").first
    frame_element.wait_for()
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_load_state()
    # The e-mail's own inline styles apply inside its frame, as in a mail client.
    assert "sans-serif" in frame.evaluate("getComputedStyle(document.body).fontFamily")
    assert "<script>alert(1)</script>" in frame.locator("body").inner_text()
    watch.assert_clean("the notification preview")

    page.goto(reverse("api:docs"))
    page.locator(".swagger-ui .info .title").first.wait_for()  # the schema loaded and rendered
    watch.assert_clean("the API docs")

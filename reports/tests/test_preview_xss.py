"""Stored XSS through the notification preview: a complaint from the public form is text in
every part of the page staff open (the e-mail's text part, its HTML part, the workbook rows,
the edit boxes), never markup. Checked on the parsed page, not on substrings alone, so that an
escaped payload passes and a live element or handler fails."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.safestring import SafeData

from casework.tests.factories import user
from reports.notifications import services
from reports.tests.factories import complaint, department

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
)
DESCRIPTION = "执法大队一个月内上门检查四次。" + " ".join(PAYLOADS)


class _Elements(HTMLParser):
    """Every element of a page with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


def assert_no_live_payload(page: str) -> None:
    parsed = parse(page)
    for tag, attrs in parsed.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> carries an event handler: {handlers}"
        assert tag not in {"img", "svg"} or attrs.get("src") != "x", f"an injected <{tag}> is live"
    assert not any("alert(" in script for script in parsed.scripts), "an injected script is live"
    for raw in ("<script>alert", "<img src=x", "<svg onload"):
        assert raw not in page


@pytest.fixture
def hostile_run():
    unit = department(language="en")
    complaint(department=unit, description=DESCRIPTION)
    return services.notification_run_prepare(period="2026-10", actor=None)


def test_a_script_in_a_complaint_is_shown_as_text_in_the_preview(client, hostile_run):
    client.force_login(user("head"))

    response = client.get(reverse("admin:reports_notificationrun_change", args=[hostile_run.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert_no_live_payload(page)
    # Shown, escaped, in the e-mail's text part, the workbook rows and the edit box.
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    text_parts = [attrs for tag, attrs in parse(page).elements if tag == "div" and "data-email-text" in attrs]
    assert len(text_parts) == 1


def test_the_email_html_is_shown_in_a_sandbox_and_never_inline(client, hostile_run):
    """The HTML part is a whole document: the preview frames it from its own URL, in a sandbox
    with a policy of its own, instead of pasting it into an attribute of the page."""
    client.force_login(user("head"))
    page = client.get(reverse("admin:reports_notificationrun_change", args=[hostile_run.pk])).content.decode()

    frames = [attrs for tag, attrs in parse(page).elements if tag == "iframe"]
    assert len(frames) == 1
    frame = frames[0]
    assert frame.get("sandbox") == "" and "srcdoc" not in frame
    report = hostile_run.reports.get()
    assert frame["src"] == reverse("admin:reports_notificationrun_email", args=[hostile_run.pk, report.pk])

    response = client.get(frame["src"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    email_html = response.content.decode()
    assert_no_live_payload(email_html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email_html
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives  # so no script at all: default-src 'none'
    assert "sandbox" in directives
    assert directives["frame-ancestors"] == "'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_email_html_is_only_for_those_who_may_open_the_preview(client, hostile_run):
    report = hostile_run.reports.get()
    url = reverse("admin:reports_notificationrun_email", args=[hostile_run.pk, report.pk])

    client.force_login(user("dept", department=report.department))
    assert client.get(url).status_code in {302, 403}
    client.force_login(user("intake"))
    assert client.get(url).status_code in {302, 403, 404}

    client.force_login(user("head"))
    assert client.get(url).status_code == 200
    assert (
        client.get(reverse("admin:reports_notificationrun_email", args=[hostile_run.pk, 10**6])).status_code
        == 404
    )


def test_the_rendered_parts_are_plain_strings_not_marked_safe(hostile_run):
    """The text part is rendered with autoescape off: it is plain text, and must never be
    printed into a page as if it were HTML."""
    report = hostile_run.reports.get()
    items = services.items_by_report(hostile_run)[report.pk]
    rendered = services.notification_report_render(report=report, items=items)
    assert not isinstance(rendered.text, SafeData)
    assert not isinstance(rendered.html, SafeData)
    assert "<script>alert(1)</script>" in rendered.text  # as the department reads it, in a mail client

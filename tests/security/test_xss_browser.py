"""The script complaint in Chromium: a complaint whose every text field carries a script, an image
with an onerror handler and a javascript: link, driven to a case with a referral, a department's
report (which carries them too) and a notification run draft, then opened by an office head (who
may see the identity, so the identity fields show as well) in every staff page that shows
complaint text, and by the department in its portal.

On every page: no dialog opened, no injected element in the DOM (no <img src=x>, no element with
an onerror attribute, no javascript: link, no script whose text calls alert), and the payload is
on the page as text.
"""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from casework import services
from casework.models import Case, Referral
from complaints.models import Category, ComplainantType
from complaints.services import ComplaintData, IdentityData, complaint_submit
from core.periods import Quarter, previous_month
from liaison.models import Department
from reports.notifications import services as notification_services
from tests.security.canaries import FIGURES, prefilled_released_text
from tests.security.conftest import log_in, make_user

pytestmark = [pytest.mark.browser, pytest.mark.services]

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(2)>'
LINK = '<a href="javascript:alert(3)">j</a>'
PAYLOAD = SCRIPT + IMAGE + LINK
# The identity fields carry payloads of their own: a text that repeats the identity is refused by
# the identity check before it could reach the department, which is not what this test is about.
NAME_PAYLOAD = '<script>alert(5)</script>"><img src=x onerror=alert(6)>'  # 60 characters at most
ENTERPRISE_PAYLOAD = (
    '甲乙<script>alert(7)</script>"><img src=x onerror=alert(8)><a href="javascript:alert(9)">k</a>有限公司'
)

DOM_CHECK = """() => {
  const injected = document.querySelectorAll('img[src="x"], [onerror]').length;
  const target = e => (e.getAttribute('href') || e.getAttribute('src') || '').trim().toLowerCase();
  const links = [...document.querySelectorAll('a[href], area[href], iframe[src]')]
    .filter(e => target(e).startsWith('javascript:')).length;
  const scripts = [...document.scripts].filter(s => s.textContent.includes('alert(')).length;
  const values = [...document.querySelectorAll('textarea, input')].map(e => e.value).join('\\n');
  return {injected, links, scripts, text: document.body ? document.body.innerText + '\\n' + values : ''};
}"""


def file(department, **fields) -> object:
    return complaint_submit(
        data=ComplaintData(
            complainant_type=ComplainantType.ENTERPRISE,
            category=Category.CHARGES,
            description=PAYLOAD + "办理执照时被要求缴纳没有依据的材料费三百元。",
            desired_outcome=PAYLOAD,
            occurred_place=PAYLOAD,
            department=department,
            department_text=fields.get("department_text", ""),
        ),
        identity=IdentityData(
            contact_name=NAME_PAYLOAD,
            phone="13812345678",
            email="xss@example.com",
            enterprise_name=ENTERPRISE_PAYLOAD,
        ),
        received_at=previous_month().start_at + dt.timedelta(days=4, hours=9),
    ).complaint


@pytest.fixture
def scene(transactional_db):
    department = Department.objects.create(name="市场监管局", email="scj@dept.example")
    head = make_user("office_head")
    dept_user = make_user("department_user", department=department)
    head_client = log_in(head)
    complaint = file(department)
    unknown_unit = file(None, department_text=PAYLOAD)
    case = services.complaint_accept(complaint=complaint, actor=head)
    services.complaint_accept(complaint=unknown_unit, actor=head)
    referral = services.case_refer(
        case=case,
        department=department,
        kind=Referral.Kind.ASSIGN,
        released_text=prefilled_released_text(head_client, case),
        instructions=PAYLOAD,
        actor=head,
    )
    services.referral_acknowledge(referral=referral, actor=dept_user)
    # The department writes the payload too: its report is read in the staff workplace.
    services.referral_report(
        referral=referral, facts=PAYLOAD, finding=Case.Finding.PARTLY, measures=PAYLOAD, actor=dept_user
    )
    run = notification_services.notification_run_prepare(period=previous_month().label, actor=head)
    quarter = Quarter.containing(complaint.received_at).label
    report = run.reports.get(department=department)
    staff_pages = [
        reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        reverse("admin:complaints_complaint_change", args=[unknown_unit.pk]),
        reverse("admin:casework_case_change", args=[case.pk]),
        reverse("admin:casework_case_change", args=[unknown_unit.case_link.case_id]),
        reverse("admin:reports_notificationrun_change", args=[run.pk]),
        reverse("admin:reports_notificationrun_email", args=[run.pk, report.pk]),
        reverse("admin:complaints_complaint_changelist") + f"?figure=received&quarter={quarter}",
        reverse("admin:casework_case_changelist") + f"?figure=accepted&quarter={quarter}",
        reverse("admin:casework_case_changelist"),
        reverse("admin:complaints_complaint_changelist"),
        reverse("admin:casework_referral_change", args=[referral.pk]),
    ]
    return {
        "head": head_client,
        "dept": log_in(dept_user),
        "case": case,
        "staff_pages": staff_pages,
        "department_pages": [reverse("department_portal:referral", args=[referral.pk])],
        # Pages that show no complaint text, opened all the same (an escape missed in a column).
        "quiet_pages": [reverse("dashboard:index"), reverse("admin:casework_referral_changelist")],
        "quiet_department_pages": [reverse("department_portal:home")],
    }


def context_for(browser, live_server, client):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def new_page(context):
    """A page that records and dismisses every dialog (page.dialogs, cleared per visit)."""
    page = context.new_page()
    page.set_default_timeout(15000)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return page


def visit(page, url: str, *, shows_payload: bool) -> list[str]:
    page.dialogs.clear()
    response = page.goto(url)
    page.wait_for_load_state("load")
    found = page.evaluate(DOM_CHECK)
    FIGURES.browser_pages.append(url)
    problems = []
    if response is None or response.status != 200:
        problems.append(f"{url}: answered {response.status if response else 'nothing'}")
    if page.dialogs:
        problems.append(f"{url}: dialogs opened: {page.dialogs}")
    for key in ("injected", "links", "scripts"):
        if found[key]:
            problems.append(f"{url}: {found[key]} {key} element(s) from the payload in the DOM")
    if shows_payload and SCRIPT not in found["text"]:
        problems.append(f"{url}: the payload is not shown as text")
    return problems


def test_the_script_complaint_runs_nowhere_and_reads_as_text(browser, live_server, scene):
    problems = []
    staff = context_for(browser, live_server, scene["head"])
    page = new_page(staff)
    for url in scene["staff_pages"]:
        problems += visit(page, url, shows_payload=True)
    # Every workflow form offered on the case page (the referral form prefills the complaint).
    page.goto(reverse("admin:casework_case_change", args=[scene["case"].pk]))
    actions = page.eval_on_selector_all("a[href*='/act/']", "links => links.map(a => a.getAttribute('href'))")
    assert actions, "the case page offers no workflow action"
    for url in dict.fromkeys(
        [*actions, reverse("admin:casework_case_action", args=[scene["case"].pk, "refer"])]
    ):
        problems += visit(page, url, shows_payload=False)
    for url in scene["quiet_pages"]:
        problems += visit(page, url, shows_payload=False)
    staff.close()

    department = context_for(browser, live_server, scene["dept"])
    page = new_page(department)
    for url in scene["department_pages"]:
        problems += visit(page, url, shows_payload=True)
    for url in scene["quiet_department_pages"]:
        problems += visit(page, url, shows_payload=False)
    department.close()

    FIGURES.browser_findings += problems
    assert not problems, "\n".join(problems)


def test_the_checks_see_a_payload_that_runs(browser):
    """The battery's own check: the same checks on a page where the payload is not escaped."""
    context = browser.new_context()
    page = new_page(context)
    page.set_content(f"<body><p>{PAYLOAD}</p></body>")
    found = page.evaluate(DOM_CHECK)
    context.close()
    assert page.dialogs and found["injected"] and found["links"] and found["scripts"]

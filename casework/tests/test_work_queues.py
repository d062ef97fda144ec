"""The staff front page's work queues: counts by role, each equal to the list it links to, in a
constant number of queries."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import services
from casework.models import Case, Referral
from casework.selectors import WorkScope, due_soon_until, work_queues
from casework.tests import factories
from complaints.models import Rating
from complaints.services import complaint_rate
from complaints.tests import factories as complaint_factories
from liaison.models import Office

pytestmark = pytest.mark.django_db

QUEUE = re.compile(
    r'data-queue="(?P<key>\w+)">\s*<a href="(?P<url>[^"]+)">'
    r'<span class="queue-count" data-count>(?P<count>\d+)<'
)


def build_queues(*, extra_cases: int = 0) -> dict:
    """Two offices, their people and cases in every queue's state; ``extra_cases`` more open
    cases of office B (for query-count and layout tests)."""
    head = factories.user("head", username="head-a")
    handler = factories.user("handler", username="handler-a")
    other = factories.user("handler", username="handler-b")
    leader = factories.user("leader", username="leader-q")
    office_a = Office.objects.create(name="第一监察室", head=head)
    office_b = Office.objects.create(name="第二监察室")
    office_a.members.add(head, handler)
    office_b.members.add(other)
    today = timezone.localdate()

    def assign(case, office, person):
        services.case_assign(case=case, actor=head, office=office, handler=person)
        return case

    due_soon, soon_referral = factories.referred_case(actor=head)
    assign(due_soon, office_a, handler)
    Referral.objects.filter(pk=soon_referral.pk).update(due_date=today)
    late, late_referral = factories.referred_case(actor=head)
    assign(late, office_a, other)
    Referral.objects.filter(pk=late_referral.pk).update(due_date=dt.date(2020, 1, 2))
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    reviewing, _referral = factories.reported_case(actor=head, dept_user=dept_user, department=department)
    assign(reviewing, office_b, handler)
    concluded = factories.accepted_case(actor=head)
    assign(concluded, office_a, other)
    services.case_self_handle(case=concluded, actor=other)
    services.case_close(
        case=concluded, result_summary="已督促整改。", finding=Case.Finding.SUBSTANTIATED, actor=other
    )
    complaint_rate(complaint=concluded.complaint_links.get().complaint, level=Rating.Level.UNSATISFIED)
    for _ in range(1 + extra_cases):
        later, later_referral = factories.referred_case(actor=head)
        assign(later, office_b, other)
        Referral.objects.filter(pk=later_referral.pk).update(due_date=today + dt.timedelta(days=40))
    complaint_factories.submit()
    complaint_factories.submit(anonymous=True)
    return {"head": head, "handler": handler, "other": other, "leader": leader}


def front_page_queues(client) -> dict[str, tuple[int, str]]:
    page = client.get("/admin/").content.decode()
    return {m["key"]: (int(m["count"]), html.unescape(m["url"])) for m in QUEUE.finditer(page)}


def listed_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


EXPECTED = {
    # a handler: their own cases
    "handler": {"to_triage": 2, "to_review": 1, "due_soon": 1, "overdue": 0, "unsatisfied": 0, "mine": 2},
    # an office head: office A's cases (due soon, overdue, unsatisfied), none of their own
    "head": {"to_triage": 2, "to_review": 0, "due_soon": 1, "overdue": 1, "unsatisfied": 1, "mine": 0},
    # a leader: every case; a leader handles nothing, so has no "mine"
    "leader": {"to_triage": 2, "to_review": 1, "due_soon": 1, "overdue": 1, "unsatisfied": 1},
}


@pytest.mark.parametrize("role", ["handler", "head", "leader"])
def test_each_queue_counts_by_role_what_its_list_shows(client, role):
    people = build_queues()
    client.force_login(people[role])
    queues = front_page_queues(client)
    assert {key: count for key, (count, _url) in queues.items()} == EXPECTED[role]
    for key, (count, url) in queues.items():
        assert listed_count(client, url) == count, f"{key}: {url}"


def test_the_scope_follows_the_role():
    people = build_queues()
    assert work_queues(viewer=people["handler"]).scope == WorkScope.MINE
    assert work_queues(viewer=people["head"]).scope == WorkScope.OFFICE
    assert work_queues(viewer=people["leader"]).scope == WorkScope.ALL


def test_due_soon_counts_working_days_on_the_calendar():
    # Two working days after Friday 2 October 2026 (national holiday until the 7th, Saturday the
    # 10th a make-up working day): Friday 9 October.
    assert due_soon_until(dt.date(2026, 10, 2)) == dt.date(2026, 10, 9)


def test_the_queues_cost_the_same_queries_for_few_and_many_cases(client, django_assert_max_num_queries):
    people = build_queues()
    client.force_login(people["head"])
    with CaptureQueriesContext(connection) as few:
        front_page_queues(client)
    for _ in range(15):
        case, _referral = factories.referred_case(actor=people["head"])
        services.case_assign(
            case=case,
            actor=people["head"],
            office=Office.objects.get(name="第一监察室"),
            handler=people["handler"],
        )
    with CaptureQueriesContext(connection) as many:
        front_page_queues(client)
    assert len(many.captured_queries) == len(few.captured_queries)
    # The viewer's permissions (2), the offices they head, the calendar (2), the cases' sums,
    # the complaints to triage.
    with django_assert_max_num_queries(7):
        work_queues(viewer=people["head"])

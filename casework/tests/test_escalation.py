"""Referrals and recommendations on the escalation ladder: who hears of a late item, what the
timeline says, and one digest per department however many items are late."""

import datetime as dt
import io
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import services
from casework.escalation import LADDER_HANDLERS, ladder_handlers_register
from casework.models import Case, CaseEvent, Referral, Review
from casework.tests import factories
from complaints.tests import factories as complaint_factories
from core.ladder import Step, escalation_sweep, ladder_registry
from core.models import Deadline, OutboundEmail
from core.outbox import outbox_render

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(settings):
    # Timeline notes are written in the site language; the tests read them in English.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def ladder_handlers():
    # Until CaseworkConfig.ready() registers them; then this adds nothing and removes nothing.
    added = [kind for kind in LADDER_HANDLERS if ladder_registry.get(kind) is None]
    ladder_handlers_register()
    yield
    for kind in added:
        ladder_registry.unregister(kind)


@pytest.fixture
def handler():
    return factories.user("handler")


@pytest.fixture
def on(monkeypatch):
    """Make services date what they create on a given day (the ladder itself takes ``now``)."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return set_day


def department(**overrides):
    n = next(_counter)
    values = {
        "head_name": "王局长",
        "head_email": f"head{n}@dept.example",
        "supervising_leader": "李副市长",
        "supervising_leader_email": f"leader{n}@city.example",
        "language": "en",
    }
    values.update(overrides)
    return complaint_factories.department(**values)


def ladder_emails(**filters) -> list[OutboundEmail]:
    """The ladder's e-mails, written out as the mail worker writes them when it sends them."""
    emails = list(OutboundEmail.objects.filter(kind__startswith="ladder_", **filters).order_by("id"))
    for email in emails:
        outbox_render(email)
    return emails


def escalation_notes(case: Case) -> list[str]:
    return list(
        case.events.filter(action=CaseEvent.Action.NOTE, note__startswith="Escalation").values_list(
            "note", flat=True
        )
    )


def test_a_referral_climbs_each_step_once_on_the_right_working_day(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    case, referral = factories.referred_case(actor=handler, department=unit, working_days=3)
    assert referral.due_date == D(2026, 10, 8)  # 29, 30 September and 8 October
    happened = {}
    day = D(2026, 9, 28)
    while day <= D(2026, 10, 16):
        for _run in range(2):
            for item in escalation_sweep(now=at(day)).items:
                happened.setdefault(day, []).append(item.step)
        day += dt.timedelta(days=1)
    assert happened == {D(2026, 9, 29): [1], D(2026, 10, 9): [2], D(2026, 10, 12): [3]}
    reminder, warning, escalation = ladder_emails()
    assert (reminder.kind, reminder.to) == ("ladder_reminder", [unit.email])
    assert (warning.kind, warning.to) == ("ladder_warning", [unit.head_email])
    assert (escalation.kind, escalation.to) == ("ladder_escalation", [unit.supervising_leader_email])
    for email in (reminder, warning, escalation):
        assert case.reference in email.body_text and unit.name in email.body_text
        assert f"/dept/referrals/{referral.pk}/" in email.body_text
        assert email.related == case.reference and email.language == "en"
    assert reminder.subject == f"Reminder (催办): {case.reference} is due soon"
    assert "2 working days left" in reminder.body_text
    assert "3 working days overdue" in escalation.body_text
    case.refresh_from_db()
    assert case.escalation_level == Step.ESCALATE
    notes = escalation_notes(case)
    assert len(notes) == 3
    assert notes[0].startswith("Escalation: reminder sent (催办) for assigned referral (交办)")
    assert unit.supervising_leader_email in notes[2] and "listed as supervised" in notes[2]


def test_forty_late_referrals_of_one_department_make_one_email(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    cases = [factories.referred_case(actor=handler, department=unit, working_days=3)[0] for _ in range(40)]
    result = escalation_sweep(now=at(D(2026, 10, 9)))
    assert result.steps == {"reminder": 0, "warning": 40, "escalation": 0}
    (email,) = ladder_emails()
    assert email.to == [unit.head_email]
    assert email.subject == f"Overdue warning (预警): 40 overdue items, {cases[0].reference} and others"
    assert all(case.reference in email.body_text and case.reference in email.body_html for case in cases)
    assert email.body_text.count("/dept/referrals/") == 40
    assert CaseEvent.objects.filter(case__in=cases, note__startswith="Escalation").count() == 40
    assert set(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("escalation_level", flat=True)
    ) == {2}


def test_a_warning_goes_to_the_department_when_no_head_address_is_on_file_and_says_so(handler, on):
    unit = department(head_email="")
    on(D(2026, 9, 28))
    factories.referred_case(actor=handler, department=unit, working_days=3)
    escalation_sweep(now=at(D(2026, 10, 9)))
    (email,) = ladder_emails()
    assert email.to == [unit.email]
    assert f"No e-mail address of the head of {unit.name} is on file" in email.body_text
    assert "No e-mail address of the head" in email.body_html


def test_a_department_without_an_address_gets_a_failed_email_not_silence(handler, on):
    unit = department(email="", head_email="", supervising_leader_email="")
    on(D(2026, 9, 28))
    case, _referral = factories.referred_case(actor=handler, department=unit, working_days=3)
    escalation_sweep(now=at(D(2026, 9, 29)))
    escalation_sweep(now=at(D(2026, 10, 9)))
    escalation_sweep(now=at(D(2026, 10, 12)))
    emails = list(ladder_emails())
    assert [(e.kind, e.to, e.status) for e in emails] == [
        ("ladder_reminder", [], OutboundEmail.Status.FAILED),
        ("ladder_warning", [], OutboundEmail.Status.FAILED),
        ("ladder_escalation", [], OutboundEmail.Status.FAILED),
    ]
    assert f"No e-mail address is on file for {unit.name}" in emails[0].body_text
    assert f"No e-mail address of the supervising leader of {unit.name}" in emails[2].body_text
    assert len(escalation_notes(case)) == 3


def test_a_returned_report_restarts_the_ladder(handler, on):
    unit = department()
    dept_user = factories.user("dept", department=unit)
    on(D(2026, 9, 28))
    case, referral = factories.referred_case(actor=handler, department=unit, working_days=3)
    first_deadline = referral.deadline
    escalation_sweep(now=at(D(2026, 10, 9)))  # first seen overdue: the warning only
    on(D(2026, 10, 9))
    services.referral_acknowledge(referral=referral, actor=dept_user)
    report = services.referral_report(
        referral=referral, facts="已核查。", finding=Case.Finding.PARTLY, measures="已整改。", actor=dept_user
    )
    services.report_review(
        report=report, decision=Review.Decision.RETURN, reason="核查不充分。", working_days=3, actor=handler
    )
    referral.refresh_from_db()
    second_deadline = referral.deadline
    assert (second_deadline.round, second_deadline.ladder_step, referral.due_date) == (2, 0, D(2026, 10, 13))
    assert escalation_sweep(now=at(D(2026, 10, 9), 18)).items == []
    result = escalation_sweep(now=at(D(2026, 10, 12)))
    assert [(item.deadline_id, item.step, item.round) for item in result.items] == [
        (second_deadline.pk, 1, 2)
    ]
    (reminder,) = ladder_emails(kind="ladder_reminder")
    assert "assigned referral (交办), round 2" in reminder.body_text
    first_deadline.refresh_from_db()
    assert (first_deadline.status, first_deadline.ladder_step) == (Deadline.Status.MET, Step.WARN)
    case.refresh_from_db()
    assert case.escalation_level == Step.WARN  # the level never goes down


def test_a_late_recommendation_is_escalated_to_the_supervising_leader(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    case = factories.accepted_case(actor=handler, department=unit)
    recommendation = services.recommendation_issue(
        case=case, department=unit, content="规范检查行为。", working_days=3, actor=handler
    )
    result = escalation_sweep(now=at(D(2026, 10, 12)))
    (item,) = result.items
    assert (item.kind, item.step, item.from_step) == ("recommendation", 3, 0)
    (email,) = ladder_emails()
    assert email.to == [unit.supervising_leader_email]
    assert "supervision recommendation (监察建议)" in email.body_text
    assert f"/dept/recommendations/{recommendation.pk}/" in email.body_text
    (note,) = escalation_notes(case)
    assert "Not sent, as the item was already this late when first swept" in note
    case.refresh_from_db()
    assert case.escalation_level == Step.ESCALATE


def test_a_dry_run_writes_nothing(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    case, referral = factories.referred_case(actor=handler, department=unit, working_days=3)
    events = CaseEvent.objects.count()
    preview = escalation_sweep(now=at(D(2026, 10, 12)), dry_run=True)
    assert [(item.reference, item.step, item.to) for item in preview.items] == [
        (case.reference, 3, (unit.supervising_leader_email,))
    ]
    assert preview.emails == 1
    assert not ladder_emails()
    assert CaseEvent.objects.count() == events
    assert Deadline.objects.get(pk=referral.deadline_id).ladder_step == 0
    assert Case.objects.get(pk=case.pk).escalation_level == 0


def test_the_number_of_statements_is_the_same_for_5_and_50_late_referrals(handler, on):
    units = [department(), department()]

    def statements(per_unit: int) -> int:
        with transaction.atomic():
            on(D(2026, 9, 28))
            for unit in units:
                for _ in range(per_unit):
                    factories.referred_case(actor=handler, department=unit, working_days=3)
            with CaptureQueriesContext(connection) as queries:
                result = escalation_sweep(now=at(D(2026, 10, 9)))
            assert result.steps["warning"] == 2 * per_unit and result.emails == 2
            transaction.set_rollback(True)
        return len(queries.captured_queries)

    assert statements(5) == statements(50)


def test_one_sweep_raises_each_case_to_its_own_step_in_one_statement(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    escalated, _referral = factories.referred_case(actor=handler, department=unit, working_days=3)  # 8 Oct
    on(D(2026, 9, 29))
    warned, _referral = factories.referred_case(actor=handler, department=unit, working_days=3)  # 9 Oct
    on(D(2026, 10, 9))
    reminded, _referral = factories.referred_case(actor=handler, department=unit, working_days=3)  # 13 Oct
    with CaptureQueriesContext(connection) as queries:
        result = escalation_sweep(now=at(D(2026, 10, 12)))
    assert result.steps == {"reminder": 1, "warning": 1, "escalation": 1}
    levels = dict(
        Case.objects.filter(pk__in=[escalated.pk, warned.pk, reminded.pk]).values_list(
            "pk", "escalation_level"
        )
    )
    assert levels == {escalated.pk: Step.ESCALATE, warned.pk: Step.WARN, reminded.pk: Step.REMIND}
    case_updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "casework_case"')
    ]
    # PostgreSQL: one UPDATE joined to the (case, level) pairs. SQLite (the embedded default of a
    # small office) has no arrays to join: one UPDATE a step reached.
    assert len(case_updates) == (1 if connection.vendor == "postgresql" else 3)
    # One digest a step, highest first: the same department hears of each item at its own step.
    assert [(email.kind, email.to) for email in ladder_emails()] == [
        ("ladder_escalation", [unit.supervising_leader_email]),
        ("ladder_warning", [unit.head_email]),
        ("ladder_reminder", [unit.email]),
    ]
    assert [len(escalation_notes(case)) for case in (escalated, warned, reminded)] == [1, 1, 1]


def test_a_lower_step_of_another_item_in_the_same_sweep_never_lowers_the_level(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    case, _referral = factories.referred_case(actor=handler, department=unit, working_days=3)  # 8 Oct
    on(D(2026, 10, 9))
    services.recommendation_issue(
        case=case, department=unit, content="规范检查行为。", working_days=3, actor=handler
    )  # due 13 October
    result = escalation_sweep(now=at(D(2026, 10, 12)))
    assert sorted((item.kind, item.step) for item in result.items) == [("recommendation", 1), ("referral", 3)]
    case.refresh_from_db()
    assert case.escalation_level == Step.ESCALATE
    assert len(escalation_notes(case)) == 2


def test_the_command_prints_what_it_did(handler, on):
    unit = department()
    on(D(2026, 9, 28))
    case, referral = factories.referred_case(actor=handler, department=unit, working_days=3)
    silent = department(email="", head_email="")
    factories.referred_case(actor=handler, department=silent, working_days=3)
    out = io.StringIO()
    call_command("escalate_overdue", "--dry-run", "--now", "2026-10-09", stdout=out)
    assert case.reference in out.getvalue() and unit.head_email in out.getvalue()
    assert f"No address for {silent.name} (for the head of the unit)" in out.getvalue()
    assert Deadline.objects.get(pk=referral.deadline_id).ladder_step == 0
    out = io.StringIO()
    call_command("escalate_overdue", stdout=out)  # today, long after 8 October 2026
    assert case.reference in out.getvalue() and unit.supervising_leader_email in out.getvalue()
    assert Referral.objects.get(pk=referral.pk).deadline.ladder_step == Step.ESCALATE


def test_the_digest_is_written_in_the_department_language(handler, on):
    unit = department(language="zh-hans")
    on(D(2026, 9, 28))
    factories.referred_case(actor=handler, department=unit, working_days=3)
    escalation_sweep(now=at(D(2026, 10, 9)))
    (email,) = ladder_emails()
    assert email.language == "zh-hans"
    assert "2026年10月8日" in email.body_text and "2026年10月8日" in email.body_html


def test_a_report_the_centre_leaves_unreviewed_climbs_its_own_ladder(handler, on, settings):
    from django.contrib.auth.models import User

    from liaison.models import Office

    settings.LADDER_CENTRE_LEADER_EMAIL = "leader@jw.example"
    head = User.objects.create_user("office-head-x", email="head@jw.example")
    office = Office.objects.create(name="测试厅室", head=head, email="office@jw.example")
    handler.email = "handler@jw.example"
    handler.save()
    unit = department()
    dept_user = factories.user("dept", department=unit)
    on(D(2026, 11, 2))
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=unit)
    Case.objects.filter(pk=case.pk).update(office=office, handler=handler)
    report = referral.reports.get()
    assert report.review_deadline.kind == "report_review" and report.review_deadline.due_date == D(
        2026, 11, 9
    )
    escalation_sweep(now=at(D(2026, 11, 5)))
    escalation_sweep(now=at(D(2026, 11, 10)))
    escalation_sweep(now=at(D(2026, 11, 13)))
    review_emails = [e for e in ladder_emails() if "review" in e.body_text]
    assert [e.to for e in review_emails] == [
        ["handler@jw.example"],
        ["head@jw.example"],
        ["leader@jw.example"],
    ]
    # Reviewing meets the deadline: nothing more climbs.
    services.report_review(report=report, decision=Review.Decision.ACCEPT, actor=handler)
    report.review_deadline.refresh_from_db()
    assert report.review_deadline.status == Deadline.Status.MET

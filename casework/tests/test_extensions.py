"""Extension requests (延期申请): the department asks through its portal, staff decide in the
admin; an approval moves the referral's deadline through the deadline service, and the
escalation ladder then counts from the new due date.

Dates are real: the referral is made on Monday 28 September 2026 with 3 working days, so it is
due Thursday 8 October (1–7 October are National Day holidays; Saturday 10 October is a make-up
working day), on the calendar data the migrations load."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from casework import extensions, services
from casework.escalation import LADDER_HANDLERS, ladder_handlers_register
from casework.models import CaseEvent, ExtensionRequest, Referral
from casework.tests import factories
from complaints.tests import factories as complaint_factories
from core.calendar import calendar_day_set, working_days_between
from core.errors import InvalidTransition
from core.ladder import escalation_sweep, ladder_registry
from core.models import Deadline, OutboundEmail

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
REFERRED_ON, DUE = D(2026, 9, 28), D(2026, 10, 8)
A = CaseEvent.Action


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(settings):
    # Timeline notes and e-mails are read in English here; the Chinese catalogue is tested apart.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def ladder_handlers():
    added = [kind for kind in LADDER_HANDLERS if ladder_registry.get(kind) is None]
    ladder_handlers_register()
    yield
    for kind in added:
        ladder_registry.unregister(kind)


@pytest.fixture
def on(monkeypatch):
    """Services and pages date what they do on the given day."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return set_day


@pytest.fixture
def handler():
    account = factories.user("handler")
    account.email, account.first_name = "handler@centre.example", "办案员"
    account.save(update_fields=["email", "first_name"])
    return account


@pytest.fixture
def department():
    return complaint_factories.department(language="en")


@pytest.fixture
def dept_user(department):
    return factories.user("dept", department=department)


@pytest.fixture
def referral(handler, department, dept_user, on):
    """Acknowledged on the day it was referred, due 8 October; the handler is on the case."""
    on(REFERRED_ON)
    case, referral = factories.referred_case(actor=handler, department=department, working_days=3)
    services.case_assign(case=case, handler=handler, actor=handler)
    services.referral_acknowledge(referral=referral, actor=dept_user)
    referral.refresh_from_db()
    assert referral.due_date == DUE
    return referral


def ask(referral, dept_user, proposed: dt.date, reason: str = "需调取三年的检查台账,工作量大。"):
    return extensions.extension_request(
        referral=referral, reason=reason, proposed_date=proposed, actor=dept_user
    )


def field_codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


# --- Asking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "code"),
    [
        (D(2026, 10, 8), "not_later"),  # the current due date itself
        (D(2026, 10, 2), "not_later"),  # earlier (and a holiday)
        (D(2026, 10, 11), "not_working_day"),  # a Sunday
        (D(2027, 2, 1), "too_far"),  # more than 60 working days after 8 October
    ],
)
def test_a_proposed_date_that_is_no_extension_is_refused_next_to_the_field(
    referral, dept_user, on, proposed, code
):
    on(D(2026, 9, 30))
    with pytest.raises(ValidationError) as refused:
        ask(referral, dept_user, proposed)
    assert field_codes(refused.value) == {"proposed_date": [code]}
    assert not ExtensionRequest.objects.exists()
    assert not CaseEvent.objects.filter(action=A.EXTENSION_REQUESTED).exists()
    assert not OutboundEmail.objects.filter(kind="extension_requested").exists()


def test_a_sunday_is_refused_with_the_next_working_day_named(referral, dept_user, on):
    on(D(2026, 9, 30))
    with pytest.raises(ValidationError) as refused:
        ask(referral, dept_user, D(2026, 10, 11))
    assert "2026-10-11" in refused.value.messages[0] and "2026-10-12" in refused.value.messages[0]


def test_a_make_up_working_saturday_can_be_proposed(referral, dept_user, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 10))  # Saturday, a make-up working day (调休)
    assert extension.status == ExtensionRequest.Status.PENDING and extension.due_date_before == DUE


def test_an_overdue_referral_cannot_be_extended_into_the_past(referral, dept_user, on):
    on(D(2026, 10, 14))
    with pytest.raises(ValidationError) as refused:
        ask(referral, dept_user, D(2026, 10, 12))
    assert field_codes(refused.value) == {"proposed_date": ["in_the_past"]}
    assert ask(referral, dept_user, D(2026, 10, 20)).proposed_date == D(2026, 10, 20)


def test_a_reason_is_required(referral, dept_user, on):
    on(D(2026, 9, 30))
    with pytest.raises(ValidationError) as refused:
        ask(referral, dept_user, D(2026, 10, 16), reason="   ")
    assert field_codes(refused.value) == {"reason": ["required"]}


def test_one_pending_request_at_a_time(referral, dept_user, on, handler):
    on(D(2026, 9, 30))
    first = ask(referral, dept_user, D(2026, 10, 16))
    with pytest.raises(ValidationError) as refused:
        ask(referral, dept_user, D(2026, 10, 20))
    assert refused.value.code == "pending"
    extensions.extension_decide(extension=first, approve=False, note="材料已齐全,请按期办理。", actor=handler)
    # Once decided, the department may ask again.
    assert ask(referral, dept_user, D(2026, 10, 20)).status == ExtensionRequest.Status.PENDING


def test_only_a_referral_the_department_is_handling_can_be_extended(handler, department, dept_user, on):
    on(REFERRED_ON)
    _case, sent = factories.referred_case(actor=handler, department=department, working_days=3)
    with pytest.raises(InvalidTransition):  # not acknowledged yet
        ask(sent, dept_user, D(2026, 10, 16))
    _case, reported = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    with pytest.raises(InvalidTransition):  # the report is in: the centre has the next move
        ask(reported, dept_user, D(2026, 12, 16))
    assert not ExtensionRequest.objects.exists()


def test_a_department_cannot_ask_on_another_units_referral(referral, on):
    on(D(2026, 9, 30))
    other_unit = complaint_factories.department()
    outsider = factories.user("dept", department=other_unit)
    with pytest.raises(PermissionDenied):
        ask(referral, outsider, D(2026, 10, 16))
    staff_without_department = factories.user("handler")
    with pytest.raises(PermissionDenied):
        ask(referral, staff_without_department, D(2026, 10, 16))
    assert not ExtensionRequest.objects.exists()


def test_another_units_portal_user_gets_404_and_nothing_is_recorded(client, referral, on):
    on(D(2026, 9, 30))
    outsider = factories.user("dept", department=complaint_factories.department())
    client.force_login(outsider)
    url = reverse("department_portal:referral", args=[referral.pk])
    response = client.post(url, {"action": "extension", "reason": "想延期", "proposed_date": "2026-10-16"})
    assert response.status_code == 404
    assert not ExtensionRequest.objects.exists()


def test_a_request_is_on_the_timeline_and_the_handler_is_told(referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    event = CaseEvent.objects.get(case=referral.case, action=A.EXTENSION_REQUESTED)
    assert event.actor == dept_user
    assert "2026-10-08 → 2026-10-16" in event.note and "检查台账" in event.note
    email = OutboundEmail.objects.get(kind="extension_requested")
    assert email.to == [handler.email] and email.language == "en"
    assert referral.case.reference in email.subject
    decide = reverse("admin:casework_extensionrequest_decide", args=[extension.pk])
    for body in (email.body_text, email.body_html):
        assert "2026-10-16" in body and "2026-10-08" in body and decide in body
        assert reverse("admin:casework_case_change", args=[referral.case_id]) in body
    # The request alone moves nothing.
    referral.refresh_from_db()
    assert referral.due_date == DUE


def test_without_a_handler_the_notice_goes_to_the_centre(settings, handler, department, dept_user, on):
    settings.CENTRE_EMAIL = "centre@centre.example"
    on(REFERRED_ON)
    _case, referral = factories.referred_case(actor=handler, department=department, working_days=3)
    services.referral_acknowledge(referral=referral, actor=dept_user)
    ask(referral, dept_user, D(2026, 10, 16))
    assert OutboundEmail.objects.get(kind="extension_requested").to == ["centre@centre.example"]


# --- Deciding -----------------------------------------------------------------------------------


def test_an_approval_moves_the_due_date_through_the_deadline_service(referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    old_deadline = referral.deadline
    extensions.extension_decide(extension=extension, approve=True, note="同意延期。", actor=handler)

    extension.refresh_from_db()
    referral.refresh_from_db()
    old_deadline.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.APPROVED
    assert extension.granted_date == D(2026, 10, 16) and extension.decided_by == handler
    assert referral.due_date == D(2026, 10, 16)
    new_deadline = referral.deadline
    assert new_deadline.pk != old_deadline.pk and old_deadline.status == Deadline.Status.CANCELLED
    assert new_deadline.status == Deadline.Status.OPEN and new_deadline.ladder_step == 0
    assert new_deadline.due_date == D(2026, 10, 16) and new_deadline.start_date == REFERRED_ON
    assert new_deadline.working_days == working_days_between(REFERRED_ON, D(2026, 10, 16)) == 10
    assert (new_deadline.kind, new_deadline.round, new_deadline.object_id) == ("referral", 1, referral.pk)

    event = CaseEvent.objects.get(case=referral.case, action=A.EXTENSION_DECIDED)
    assert "2026-10-08 → 2026-10-16" in event.note and "同意延期。" in event.note and event.actor == handler
    email = OutboundEmail.objects.get(kind="extension_decided")
    assert email.to == [referral.department.email] and email.language == "en"
    assert "approved" in email.subject.lower() and "2026-10-16" in email.subject
    for body in (email.body_text, email.body_html):
        assert "2026-10-16" in body and "同意延期。" in body
        assert reverse("department_portal:referral", args=[referral.pk]) in body


def test_staff_may_grant_another_working_day_than_proposed(referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 30))
    with pytest.raises(ValidationError) as refused:
        extensions.extension_decide(
            extension=extension, approve=True, granted_date=D(2026, 10, 18), actor=handler
        )  # a Sunday
    assert field_codes(refused.value) == {"granted_date": ["not_working_day"]}
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING
    extensions.extension_decide(
        extension=extension, approve=True, granted_date=D(2026, 10, 20), actor=handler
    )
    referral.refresh_from_db()
    assert referral.due_date == D(2026, 10, 20)


def test_a_refusal_needs_a_reason_keeps_the_due_date_and_tells_the_department(
    referral, dept_user, handler, on
):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    deadline = referral.deadline
    with pytest.raises(ValidationError) as refused:
        extensions.extension_decide(extension=extension, approve=False, actor=handler)
    assert field_codes(refused.value) == {"decision_note": ["required"]}
    extensions.extension_decide(extension=extension, approve=False, note="时限内可以完成。", actor=handler)
    extension.refresh_from_db()
    referral.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.REFUSED and extension.granted_date is None
    assert referral.due_date == DUE and referral.deadline_id == deadline.pk
    assert Deadline.objects.get(pk=deadline.pk).status == Deadline.Status.OPEN
    event = CaseEvent.objects.get(case=referral.case, action=A.EXTENSION_DECIDED)
    assert "refused" in event.note and "时限内可以完成。" in event.note
    email = OutboundEmail.objects.get(kind="extension_decided")
    assert email.to == [referral.department.email] and "refused" in email.subject.lower()
    assert "时限内可以完成。" in email.body_text and "2026-10-08" in email.body_text


def test_a_request_is_decided_once(referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    extensions.extension_decide(extension=extension, approve=True, actor=handler)
    with pytest.raises(InvalidTransition):
        extensions.extension_decide(extension=extension, approve=False, note="改变主意", actor=handler)
    assert CaseEvent.objects.filter(action=A.EXTENSION_DECIDED).count() == 1


def test_only_case_handlers_decide(referral, dept_user, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    for account in (dept_user, factories.user("leader")):
        with pytest.raises(PermissionDenied):
            extensions.extension_decide(extension=extension, approve=True, actor=account)
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING


def test_once_the_report_is_in_a_request_can_only_be_refused(referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    services.referral_report(
        referral=referral, facts="已核查。", finding="substantiated", measures="已整改。", actor=dept_user
    )
    with pytest.raises(InvalidTransition):
        extensions.extension_decide(extension=extension, approve=True, actor=handler)
    extensions.extension_decide(
        extension=extension, approve=False, note="报告已提交,无需延期。", actor=handler
    )
    assert Referral.objects.get(pk=referral.pk).due_date == DUE


def test_a_decision_note_that_names_the_complainant_is_refused(referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    identity = referral.case.complaint_links.get().complaint.identity
    with pytest.raises(ValidationError) as refused:
        extensions.extension_decide(
            extension=extension, approve=False, note=f"请先联系{identity.contact_name}。", actor=handler
        )
    assert field_codes(refused.value) == {"decision_note": ["identity_in_text"]}
    assert not OutboundEmail.objects.filter(kind="extension_decided").exists()


# --- The ladder counts from the new due date -------------------------------------------------------


def ladder_steps_of(referral: Referral, day: dt.date) -> list[int]:
    result = escalation_sweep(now=at(day))
    return [item.step for item in result.items if item.object_id == referral.pk and item.kind == "referral"]


def test_an_approved_extension_stops_the_overdue_warning_that_would_otherwise_fire(
    referral, dept_user, handler, department, on
):
    # The control: a second referral due the same day, not extended.
    on(REFERRED_ON)
    _case, control = factories.referred_case(actor=handler, department=department, working_days=3)
    assert control.due_date == DUE
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    extensions.extension_decide(extension=extension, approve=True, actor=handler)

    # Friday 9 October, the day after the old due date: the control is warned, the extended one not.
    assert ladder_steps_of(control, D(2026, 10, 9)) == [2]
    assert ladder_steps_of(referral, D(2026, 10, 9)) == []
    # The new deadline climbs its own ladder: reminded two working days before 16 October,
    # warned once that day has ended.
    assert ladder_steps_of(referral, D(2026, 10, 13)) == []
    assert ladder_steps_of(referral, D(2026, 10, 14)) == [1]
    assert ladder_steps_of(referral, D(2026, 10, 16)) == []
    assert ladder_steps_of(referral, D(2026, 10, 17)) == [2]
    emails = OutboundEmail.objects.filter(kind="ladder_warning")
    assert emails.count() == 2  # the control's on 9 October, the extended one's on 17 October


def test_the_extended_due_date_follows_a_calendar_edit_like_any_other(
    referral, dept_user, handler, on, django_capture_on_commit_callbacks
):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    extensions.extension_decide(extension=extension, approve=True, actor=handler)
    with django_capture_on_commit_callbacks(execute=True):  # the calendar announces edits after commit
        calendar_day_set(date=D(2026, 10, 14), is_working_day=False, name="临时假日", actor=handler)
    referral.refresh_from_db()
    assert referral.due_date == D(2026, 10, 19)  # one working day more, over the weekend
    assert referral.deadline.due_date == D(2026, 10, 19)


# --- The portal ------------------------------------------------------------------------------------


def test_the_portal_form_files_a_request_and_shows_it_pending(client, referral, dept_user, on):
    on(D(2026, 9, 30))
    client.force_login(dept_user)
    url = reverse("department_portal:referral", args=[referral.pk])
    page = client.get(url).content.decode()
    assert "data-extension-form" in page and 'min="2026-10-09"' in page

    bad = client.post(url, {"action": "extension", "reason": "", "proposed_date": "2026-10-11"})
    assert bad.status_code == 200
    form = bad.context["extension_form"]
    assert form.has_error("reason") and form.has_error("proposed_date", code="not_working_day")
    assert not ExtensionRequest.objects.exists()

    response = client.post(
        url, {"action": "extension", "reason": "需补充调查取证。", "proposed_date": "2026-10-16"}
    )
    assert response.status_code == 302 and response["Location"] == url
    extension = ExtensionRequest.objects.get()
    assert extension.requested_by == dept_user and extension.reason == "需补充调查取证。"
    page = client.get(url).content.decode()
    assert f'data-extension="{extension.pk}" data-extension-status="pending"' in page
    assert "data-extension-form" not in page  # one pending at a time
    home = client.get(reverse("department_portal:home")).content.decode()
    assert "data-extension-pending" in home and "2026-10-16" in home

    again = client.post(url, {"action": "extension", "reason": "再次申请。", "proposed_date": "2026-10-20"})
    assert again.status_code == 200
    assert again.context["extension_form"].has_error(NON_FIELD_ERRORS, code="pending")
    assert ExtensionRequest.objects.count() == 1


def test_the_form_errors_are_in_plain_chinese_and_name_the_field(client, referral, dept_user, on, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    on(D(2026, 9, 30))
    client.force_login(dept_user)
    url = reverse("department_portal:referral", args=[referral.pk])
    response = client.post(
        url,
        {"action": "extension", "reason": "", "proposed_date": "2026-10-11"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    form = response.context["extension_form"]
    (reason_error,) = form.errors["reason"]
    (date_error,) = form.errors["proposed_date"]
    assert "理由" in reason_error
    assert "2026-10-11" in date_error and "工作日" in date_error


def test_the_decision_shows_on_the_portal(client, referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    extensions.extension_decide(extension=extension, approve=True, note="同意。", actor=handler)
    client.force_login(dept_user)
    page = client.get(reverse("department_portal:referral", args=[referral.pk])).content.decode()
    assert 'data-extension-status="approved"' in page and 'data-due-date="2026-10-16"' in page
    assert "同意。" in page
    home = client.get(reverse("department_portal:home"))
    (row,) = home.context["page"]
    assert row.due_date == D(2026, 10, 16) and row.pending_extension_date is None


# --- Identity: a department never learns who complained -------------------------------------------

CANARY_NAME, CANARY_PHONE = "司马金丝雀", "13590417263"


def test_no_list_page_or_extension_email_carries_the_complainants_name_or_phone(
    client, handler, department, dept_user, on
):
    on(REFERRED_ON)
    complaint = complaint_factories.submit(
        department=department,
        description=f"我是{CANARY_NAME},电话{CANARY_PHONE}。三个月内被同一部门重复检查五次,严重影响生产。",
    ).complaint
    complaint.identity.contact_name, complaint.identity.phone = CANARY_NAME, CANARY_PHONE
    complaint.identity.save(update_fields=["contact_name", "phone"])
    case = services.complaint_accept(complaint=complaint, actor=handler)
    services.case_assign(case=case, handler=handler, actor=handler)
    referral = services.case_refer(
        case=case,
        department=department,
        kind=Referral.Kind.ASSIGN,
        released_text=services.case_released_text(case=case),
        working_days=3,
        actor=handler,
    )
    services.referral_acknowledge(referral=referral, actor=dept_user)
    on(D(2026, 9, 30))
    client.force_login(dept_user)
    url = reverse("department_portal:referral", args=[referral.pk])
    response = client.post(
        url, {"action": "extension", "reason": "需调取台账。", "proposed_date": "2026-10-16"}
    )
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get()
    extensions.extension_decide(extension=extension, approve=True, note="同意延期。", actor=handler)

    pages = [
        client.get(reverse("department_portal:home"), {"status": s}).content.decode() for s in ("open", "all")
    ]
    pages.append(client.get(url).content.decode())
    assert all("data-summary" in page for page in pages[:2])
    assert "三个月内被同一部门重复检查五次" in pages[0]  # the summary is there, masked
    emails = list(OutboundEmail.objects.filter(kind__startswith="extension_"))
    assert {email.kind for email in emails} == {"extension_requested", "extension_decided"}
    texts = [
        *pages,
        *(part for email in emails for part in (email.subject, email.body_text, email.body_html)),
    ]
    for text in texts:
        assert CANARY_NAME not in text and CANARY_PHONE not in text
        assert CANARY_PHONE[-4:] not in text


# --- The admin -------------------------------------------------------------------------------------

ADMIN_LIST = "/admin/casework/extensionrequest/"


def decide_url(extension: ExtensionRequest) -> str:
    return reverse("admin:casework_extensionrequest_decide", args=[extension.pk])


def test_the_admin_list_shows_pending_first_links_each_case_and_finds_it_by_reference(
    client, referral, dept_user, handler, department, on, django_assert_max_num_queries
):
    on(D(2026, 9, 30))
    decided = ask(referral, dept_user, D(2026, 10, 16))
    extensions.extension_decide(extension=decided, approve=False, note="按期办理。", actor=handler)
    _case, other = factories.referred_case(actor=handler, department=department, working_days=3)
    services.referral_acknowledge(referral=other, actor=dept_user)
    waiting = [ask(referral, dept_user, D(2026, 10, 20)), ask(other, dept_user, D(2026, 10, 21))]
    client.force_login(handler)
    with django_assert_max_num_queries(20):
        response = client.get(ADMIN_LIST)
    assert response.status_code == 200
    shown = [row.pk for row in response.context["cl"].result_list]
    assert shown == [waiting[1].pk, waiting[0].pk, decided.pk]  # pending first, newest first
    page = response.content.decode()
    assert reverse("admin:casework_case_change", args=[other.case_id]) in page
    assert decide_url(waiting[0]) in page and decide_url(decided) not in page

    found = client.get(ADMIN_LIST, {"q": other.case.reference})
    assert [row.pk for row in found.context["cl"].result_list] == [waiting[1].pk]
    pending = client.get(ADMIN_LIST, {"status__exact": "pending"})
    assert {row.pk for row in pending.context["cl"].result_list} == {waiting[0].pk, waiting[1].pk}
    by_unit = client.get(ADMIN_LIST, {"referral__department__id__exact": department.pk})
    assert len(by_unit.context["cl"].result_list) == 3
    elsewhere = client.get(
        ADMIN_LIST, {"referral__department__id__exact": complaint_factories.department().pk}
    )
    assert len(elsewhere.context["cl"].result_list) == 0


def test_the_decide_page_defaults_to_the_proposed_date_and_needs_a_reason_to_refuse(
    client, referral, dept_user, handler, on
):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    client.force_login(handler)
    page = client.get(decide_url(extension))
    assert page.status_code == 200
    assert page.context["form"]["granted_date"].value() == D(2026, 10, 16)
    assert reverse("admin:casework_case_change", args=[referral.case_id]) in page.content.decode()

    refused = client.post(decide_url(extension), {"decision": "refuse", "decision_note": ""})
    assert refused.status_code == 200 and refused.context["form"].has_error("decision_note", code="required")
    sunday = client.post(decide_url(extension), {"decision": "approve", "granted_date": "2026-10-18"})
    assert sunday.status_code == 200
    assert sunday.context["form"].has_error("granted_date", code="not_working_day")
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING

    response = client.post(
        decide_url(extension), {"decision": "approve", "granted_date": "2026-10-16", "decision_note": ""}
    )
    change = reverse("admin:casework_extensionrequest_change", args=[extension.pk])
    assert response.status_code == 302 and response["Location"] == change
    referral.refresh_from_db()
    assert referral.due_date == D(2026, 10, 16)
    detail = client.get(change)
    assert detail.status_code == 200 and not detail.context["can_decide"]
    # Deciding again only says it was decided.
    again = client.post(decide_url(extension), {"decision": "refuse", "decision_note": "不同意"})
    assert again.status_code == 302
    assert ExtensionRequest.objects.get().status == ExtensionRequest.Status.APPROVED


def test_staff_without_the_handling_permission_cannot_decide(client, referral, dept_user, on):
    on(D(2026, 9, 30))
    extension = ask(referral, dept_user, D(2026, 10, 16))
    leader = factories.user("leader")
    assert not leader.has_perm("casework.handle_case")
    client.force_login(leader)
    assert client.get(decide_url(extension)).status_code == 403
    assert client.post(decide_url(extension), {"decision": "approve"}).status_code == 403
    client.force_login(dept_user)
    assert client.get(decide_url(extension)).status_code in (302, 403)
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING


def test_the_case_page_fragment_shows_the_pending_request_with_a_way_to_decide(
    referral, dept_user, handler, on
):
    from django.contrib.auth.context_processors import PermWrapper
    from django.template.loader import render_to_string

    on(D(2026, 9, 30))
    assert extensions.extension_pending_for_case(referral.case) is None
    extension = ask(referral, dept_user, D(2026, 10, 16))
    pending = extensions.extension_pending_for_case(referral.case)
    assert pending == extension
    html = render_to_string(
        "admin/casework/extensionrequest/_case_pending.html",
        {"pending_extension": pending, "perms": PermWrapper(handler)},
    )
    assert "data-extension-pending-case" in html and "2026-10-16" in html and decide_url(extension) in html
    extensions.extension_decide(extension=extension, approve=True, actor=handler)
    assert extensions.extension_pending_for_case(referral.case) is None


def test_the_case_page_shows_the_pending_request(client, referral, dept_user, handler, on):
    on(D(2026, 9, 30))
    page = reverse("admin:casework_case_change", args=[referral.case_id])
    client.force_login(handler)
    assert "data-extension-pending-case" not in client.get(page).content.decode()
    extension = ask(referral, dept_user, D(2026, 10, 16))
    html = client.get(page).content.decode()
    assert "data-extension-pending-case" in html and decide_url(extension) in html
    extensions.extension_decide(extension=extension, approve=True, actor=handler)
    assert "data-extension-pending-case" not in client.get(page).content.decode()


def test_the_department_is_told_in_its_own_language(handler, dept_user, on):
    unit = complaint_factories.department(language="zh-hans")
    chinese_user = factories.user("dept", department=unit)
    on(REFERRED_ON)
    _case, referral = factories.referred_case(actor=handler, department=unit, working_days=3)
    services.referral_acknowledge(referral=referral, actor=chinese_user)
    on(D(2026, 9, 30))
    extension = ask(referral, chinese_user, D(2026, 10, 16))
    extensions.extension_decide(extension=extension, approve=True, actor=handler)
    email = OutboundEmail.objects.get(kind="extension_decided")
    assert email.language == "zh-hans"
    assert "延期已批准" in email.subject and "2026-10-16" in email.body_text

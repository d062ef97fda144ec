"""The leading group (领导小组): its head and deputies are the leaders who hear of the escalation
ladder's top step at the commission's level (the centre's own report reviews, the work ledger's
tasks); every member receives the dispatch-meeting pack. LADDER_CENTRE_LEADER_EMAIL is the
fallback while the group has no leader with an address. Mail goes through the real outbox to a
real SMTP server."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from casework.escalation import ladder_handlers_register
from casework.models import Case
from casework.tests import factories as case_factories
from complaints.tests import factories as complaint_factories
from core.ladder import escalation_sweep
from core.models import OutboundEmail
from core.outbox import outbox_deliver
from liaison.leading_group import (
    leading_group_leader_addresses,
    leading_group_office,
    leading_group_pack_recipients,
    leading_group_recipient,
)
from liaison.models import LeadingGroupMember, Office
from liaison.tests.factories_associations import member
from reports.ledger import services as ledger
from reports.ledger.escalation import ledger_ladder_register
from reports.ledger.pack_services import PACK_EMAIL_KIND, dispatch_pack_send
from reports.tests.test_dispatch import MEETING_PERMISSIONS
from reports.tests.test_ledger import staff

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
R = LeadingGroupMember.Role


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.LADDER_CENTRE_LEADER_EMAIL = "fallback@ccdi.example"


@pytest.fixture
def on(monkeypatch):
    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return set_day


@pytest.fixture
def group():
    account = User.objects.create_user("deputy-secretary", email="deputy.secretary@ccdi.example")
    return {
        "head": member(R.HEAD, name="", email="", user=account, order=1),
        "deputy": member(R.DEPUTY, email="deputy@ccdi.example", order=2),
        "member": member(R.MEMBER, email="member@ccdi.example", order=3),
        "former": member(R.DEPUTY, email="former@ccdi.example", is_active=False),
    }


def delivered(smtp_server, kind_prefix: str) -> list:
    for email in OutboundEmail.objects.filter(kind__startswith=kind_prefix, status="pending").order_by("id"):
        assert outbox_deliver(email.pk) == "sent"
    return smtp_server.messages


def test_the_leaders_are_the_active_head_and_deputies_with_an_account_address_as_fallback(group):
    assert leading_group_leader_addresses() == ("deputy.secretary@ccdi.example", "deputy@ccdi.example")
    assert leading_group_pack_recipients() == (
        "deputy.secretary@ccdi.example",
        "deputy@ccdi.example",
        "member@ccdi.example",
    )
    assert leading_group_recipient().note == ""


def test_without_leaders_the_setting_is_the_fallback_and_without_it_the_row_fails_visibly(settings):
    member(R.MEMBER, email="member@ccdi.example")
    assert leading_group_leader_addresses() == ("fallback@ccdi.example",)
    settings.LADDER_CENTRE_LEADER_EMAIL = ""
    recipient = leading_group_recipient()
    assert recipient.to == () and "leading group" in recipient.note


def test_a_member_is_named_by_an_account_or_a_name():
    with pytest.raises(ValidationError) as error:
        LeadingGroupMember(role=R.MEMBER, email="x@ccdi.example").full_clean()
    assert "name" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadingGroupMember.objects.create(role=R.MEMBER, name="")


def test_one_office_is_the_leading_groups_office():
    centre = Office.objects.create(name="监察投诉中心", hosts_leading_group=True)
    assert leading_group_office() == centre
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.create(name="第二室", hosts_leading_group=True)


def test_a_late_ledger_task_reaches_the_leading_groups_leaders_by_smtp(group, on, smtp_server):
    ledger_ladder_register()
    head = staff(email="head@ccdi.example")
    office = Office.objects.create(name="第一室", head=head, email="office1@ccdi.example")
    on(D(2026, 9, 28))
    task = ledger.ledger_task_create(
        title="整理联系点走访记录", office=office, due_date=D(2026, 10, 8), actor=None
    )
    for day in (D(2026, 9, 29), D(2026, 10, 9), D(2026, 10, 12)):
        escalation_sweep(now=at(day))
    escalation = OutboundEmail.objects.get(kind="ladder_escalation")
    assert escalation.to == ["deputy.secretary@ccdi.example", "deputy@ccdi.example"]
    messages = delivered(smtp_server, "ladder_")
    (top,) = [m for m in messages if "deputy@ccdi.example" in str(m["To"])]
    assert str(top["To"]) == "deputy.secretary@ccdi.example, deputy@ccdi.example"
    assert task.reference in top.get_body(("plain",)).get_content()
    assert not any("member@ccdi.example" in str(m["To"]) or "former@" in str(m["To"]) for m in messages)


def test_a_report_the_centre_leaves_unreviewed_reaches_the_leading_groups_leaders(group, on, smtp_server):
    ladder_handlers_register()
    handler = case_factories.user("handler")
    handler.email = "handler@ccdi.example"
    handler.save()
    unit = complaint_factories.department(language="en")
    dept_user = case_factories.user("dept", department=unit)
    on(D(2026, 11, 2))
    case, referral = case_factories.reported_case(actor=handler, dept_user=dept_user, department=unit)
    office = Office.objects.create(name="案件室", email="cases@ccdi.example")
    Case.objects.filter(pk=case.pk).update(office=office, handler=handler)
    for day in (D(2026, 11, 5), D(2026, 11, 10), D(2026, 11, 13)):
        escalation_sweep(now=at(day))
    messages = delivered(smtp_server, "ladder_")
    about_review = [m for m in messages if "review" in m.get_body(("plain",)).get_content()]
    assert [str(m["To"]) for m in about_review] == [
        "handler@ccdi.example",
        "cases@ccdi.example",
        "deputy.secretary@ccdi.example, deputy@ccdi.example",
    ]
    assert case.reference in about_review[-1].get_body(("plain",)).get_content()


def test_the_dispatch_pack_is_emailed_to_every_member_with_its_workbook(group, smtp_server, client):
    meeting = ledger.dispatch_meeting_schedule(
        quarter="2026Q4", scheduled_on=D(2026, 12, 20), place="三楼会议室", actor=None
    )
    secretary = staff(*MEETING_PERMISSIONS)
    client.force_login(secretary)
    change = client.get(reverse("admin:reports_dispatchmeeting_change", args=[meeting.pk])).content.decode()
    url = reverse("admin:reports_dispatchmeeting_send_pack", args=[meeting.pk])
    assert url in change
    confirm = client.get(url).content.decode()
    assert "member@ccdi.example" in confirm and "former@" not in confirm
    response = client.post(url)
    assert response.status_code == 302
    email = OutboundEmail.objects.get(kind=PACK_EMAIL_KIND)
    assert email.to == ["deputy.secretary@ccdi.example", "deputy@ccdi.example", "member@ccdi.example"]
    (message,) = delivered(smtp_server, PACK_EMAIL_KIND)
    assert "2026Q4" in str(message["Subject"])
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "dispatch-meeting-pack-2026Q4.xlsx"
    workbook = load_workbook(io.BytesIO(attachment.get_content()), read_only=True)
    assert "Ledger progress" in workbook.sheetnames
    first = next(workbook["Ledger progress"].iter_rows(values_only=True))
    assert first == ("Dispatch meeting 2026Q4: Ledger progress",)


def test_a_pack_with_nobody_to_receive_it_is_refused_with_a_reason(settings):
    settings.LADDER_CENTRE_LEADER_EMAIL = ""
    meeting = ledger.dispatch_meeting_schedule(
        quarter="2026Q4", scheduled_on=D(2026, 12, 20), place="", actor=None
    )
    with pytest.raises(ValidationError) as error:
        dispatch_pack_send(meeting=meeting, actor=staff(*MEETING_PERMISSIONS))
    assert error.value.code == "no_recipient"
    assert not OutboundEmail.objects.filter(kind=PACK_EMAIL_KIND).exists()


def test_only_who_may_change_the_meeting_sends_the_pack(group, client):
    meeting = ledger.dispatch_meeting_schedule(
        quarter="2026Q4", scheduled_on=D(2026, 12, 20), place="", actor=None
    )
    client.force_login(staff("reports.view_dispatchmeeting"))
    url = reverse("admin:reports_dispatchmeeting_send_pack", args=[meeting.pk])
    assert client.post(url).status_code == 403
    assert not OutboundEmail.objects.filter(kind=PACK_EMAIL_KIND).exists()

"""Complaints by e-mail, against a real IMAP server (pymap, started by the test) and a real SMTP
server (aiosmtpd) that receives the automatic replies."""

import base64
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from complaints.mailbox import services as mailbox_services
from complaints.mailbox.imap import Mailbox, MailboxError
from complaints.mailbox.parsing import bytes_decode, header_decode, html_to_text
from complaints.mailbox.services import mail_file, mailbox_fetch
from complaints.models import Channel, Complaint, MailboxMessage, PublicStatus
from complaints.tasks import complaint_mailbox_fetch
from complaints.tests import mail_samples as samples
from complaints.tests.imap_server import imap_server
from complaints.tracking import tracking_code_hash
from core.models import OutboundEmail
from core.outbox import outbox_deliver_many
from envopt.setup.schedules import SCHEDULES

pytestmark = pytest.mark.django_db

Outcome = MailboxMessage.Outcome
PROCESSED, AUTOMATIC, FAILED = "Complaints-processed", "Complaints-automatic", "Complaints-failed"


@pytest.fixture
def imap(settings):
    with imap_server() as server:
        for name, value in server.settings.items():
            setattr(settings, name, value)
        settings.COMPLAINT_MAILBOX_PROCESSED_FOLDER = PROCESSED
        settings.COMPLAINT_MAILBOX_AUTOMATIC_FOLDER = AUTOMATIC
        settings.COMPLAINT_MAILBOX_FAILED_FOLDER = FAILED
        settings.COMPLAINT_MAILBOX_MAX_MESSAGE_SIZE = 100 * 1024
        settings.COMPLAINT_MAILBOX_REPLY_RATE = "3/h"
        yield server


def staff(role: str) -> User:
    user = User.objects.create_user(role.replace(" ", "-"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def record_of(sender: str) -> MailboxMessage:
    return MailboxMessage.objects.get(sender_email=sender, duplicate_of__isnull=True)


def test_every_kind_of_mail_is_filed_once_answered_only_when_real_and_none_is_lost(
    imap, smtp_server, settings, monkeypatch, client
):
    seeded = {
        "gbk": samples.gbk_plain(),
        "html": samples.html_only(),
        "evidence": samples.with_evidence(),
        "hostile": samples.hostile(),
        "auto_reply": samples.auto_reply(),
        "bulk": samples.precedence_bulk(),
        "own": samples.our_own(settings.OUTBOX_MESSAGE_ID_DOMAIN),
        "bounce": samples.bounce(),
        "malformed": samples.malformed_but_readable(),
        "no_sender": samples.no_sender(),
        "oversized": samples.oversized(300 * 1024),
        "duplicate": samples.gbk_plain(received="mx2"),  # same Message-ID, other bytes
    }
    for raw in seeded.values():
        imap.deliver(raw)
    downloaded = []
    whole_fetch = Mailbox.fetch

    def fetch_spy(self, uid):
        raw = whole_fetch(self, uid)
        downloaded.append(len(raw))
        return raw

    monkeypatch.setattr(Mailbox, "fetch", fetch_spy)

    first = mailbox_fetch()
    second = mailbox_fetch()

    assert first == {
        Outcome.COMPLAINT: 5,
        Outcome.DUPLICATE: 1,
        Outcome.AUTOMATIC: 3,
        Outcome.BOUNCE: 1,
        Outcome.FAILED: 1,
        Outcome.OVERSIZED: 1,
    }
    assert second == {}
    # Nothing lost: every seeded message has a record and sits in the folder its outcome names.
    assert MailboxMessage.objects.count() == len(seeded)
    assert not MailboxMessage.objects.filter(moved_at__isnull=True).exists()
    assert imap.messages("INBOX") == []
    assert len(imap.messages(PROCESSED)) == 6
    assert len(imap.messages(AUTOMATIC)) == 4
    assert len(imap.messages(FAILED)) == 2
    # The oversized message was never downloaded whole: only its headers were read.
    assert len(downloaded) == len(seeded) - 1 and max(downloaded) < 100 * 1024

    complaints = Complaint.objects.filter(channel=Channel.EMAIL)
    assert complaints.count() == 5
    assert set(
        MailboxMessage.objects.filter(outcome=Outcome.COMPLAINT).values_list("complaint", flat=True)
    ) == set(complaints.values_list("pk", flat=True))
    for complaint in complaints:
        # Waiting for triage like any complaint, identity in its own row.
        assert complaint.status == PublicStatus.RECEIVED and not hasattr(complaint, "case_link")
        assert not complaint.is_anonymous and complaint.identity.email

    gbk = record_of("wangzhe@qiye.example").complaint
    assert gbk.identity.contact_name == "王喆"
    assert "投诉：区市场监管局乱罚款（朱镕基路门店）" in gbk.description
    assert "朱镕基路的门店被区市场监管局罚款五万元" in gbk.description
    duplicate = MailboxMessage.objects.get(outcome=Outcome.DUPLICATE)
    assert duplicate.duplicate_of == record_of("wangzhe@qiye.example") and duplicate.complaint == gbk

    html = record_of("lina@build.example").complaint
    assert "住建局审批拖了八个月 & 还要求我们找指定中介。" in html.description
    assert "请核查" in html.description
    assert "<" not in html.description and "alert" not in html.description and "color" not in html.description

    evidence = record_of("zhaomin@factory.example")
    assert evidence.complaint.identity.contact_name == "赵敏"
    assert sorted(evidence.complaint.attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
    ]
    assert evidence.refused_attachments == []

    hostile = record_of("mallory@evil.example")
    assert list(hostile.complaint.attachments.values_list("content_type", flat=True)) == ["image/jpeg"]
    assert {(item["name"], item["code"]) for item in hostile.refused_attachments} == {
        ("evidence.pdf", "unsupported_type"),
        ("accounts.docx", "zip_bomb"),
    }

    broken = record_of("chen@shop.example")
    assert broken.outcome == Outcome.COMPLAINT
    assert broken.complaint.identity.contact_name == "陈"
    assert "税务局多次检查" in broken.complaint.description
    assert "一个月内来了四次，每次都查同样的账。" in broken.complaint.description

    assert {r.outcome for r in MailboxMessage.objects.filter(folder=AUTOMATIC)} == {
        Outcome.AUTOMATIC,
        Outcome.BOUNCE,
    }
    assert record_of("holiday@qiye.example").outcome == Outcome.AUTOMATIC
    assert record_of("MAILER-DAEMON@mx.qiye.example").outcome == Outcome.BOUNCE
    big = record_of("big@qiye.example")
    assert big.outcome == Outcome.OVERSIZED and big.folder == FAILED and big.size > 300 * 1024
    failed = MailboxMessage.objects.get(outcome=Outcome.FAILED)
    assert failed.folder == FAILED and failed.complaint is None and failed.reason

    # Automatic replies: one per real complaint, each with that complaint's tracking code,
    # received by the SMTP server; none to an auto-responder, a bounce or ourselves.
    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).values_list("pk", flat=True)
    assert outbox_deliver_many(list(pending)) == {"sent": 5}
    received = {}
    for message in smtp_server.messages:
        (address,) = [a.strip() for a in message["To"].split(",")]
        received[address] = message.get_body(preferencelist=("plain",)).get_content()
    assert set(received) == {
        "wangzhe@qiye.example",
        "lina@build.example",
        "zhaomin@factory.example",
        "mallory@evil.example",
        "chen@shop.example",
    }
    for address, text in received.items():
        complaint = record_of(address).complaint
        codes = re.findall(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", text)
        assert any(tracking_code_hash(code) == complaint.tracking_hash for code in codes), text
    assert (
        gbk.identity.language == "zh-hans"
        and record_of("mallory@evil.example").complaint.identity.language == "en"
    )

    # The identity is protected like any: a handler without the identity permission reads the
    # complaint and the mailbox's record with the sender masked.
    reader = User.objects.create_user("mailbox-reader", password="pw-12345678", is_staff=True)
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_complaint", "view_mailboxmessage"])
    )
    client.force_login(reader)
    pages = [
        reverse("admin:complaints_complaint_change", args=[gbk.pk]),
        reverse("admin:complaints_mailboxmessage_changelist"),
        reverse("admin:complaints_mailboxmessage_change", args=[record_of("wangzhe@qiye.example").pk]),
        reverse("admin:complaints_mailboxmessage_change", args=[hostile.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in ("wangzhe@qiye.example", "王喆", "mallory@evil.example", "gbk-1@qiye.example"):
            assert secret not in page, (url, secret)
    refusals = client.get(pages[3]).content.decode()  # each refused file is listed with its reason
    assert "accounts.docx" in refusals and "evidence.pdf" in refusals

    client.force_login(staff("Intake officer"))
    page = client.get(pages[2]).content.decode()
    assert "wangzhe@qiye.example" in page and "王喆" in page
    assert gbk.identity_views.count() == 1  # the unmasked look is on the record


def test_a_message_filed_before_a_crash_is_moved_not_filed_again(imap):
    raw = samples.gbk_plain()
    imap.deliver(raw)
    # The previous run filed it and died before moving it out of the inbox.
    mail_file(raw=raw)
    assert mailbox_fetch() == {Outcome.COMPLAINT: 1}
    assert Complaint.objects.filter(channel=Channel.EMAIL).count() == 1
    assert imap.messages("INBOX") == [] and len(imap.messages(PROCESSED)) == 1
    assert OutboundEmail.objects.filter(kind="acknowledgement").count() == 1


def test_automatic_replies_to_one_sender_are_rate_limited(settings):
    settings.COMPLAINT_MAILBOX_REPLY_RATE = "2/h"
    records = [
        mail_file(raw=samples.plain("Loop <loop@robot.example>", f"<r{n}@robot.example>")) for n in range(4)
    ]
    other = mail_file(raw=samples.plain("Other <other@qiye.example>", "<o1@qiye.example>"))
    assert [r.reply for r in records] == ["queued", "queued", "rate_limited", "rate_limited"]
    assert all(r.outcome == Outcome.COMPLAINT for r in records)  # filed all the same
    assert other.reply == "queued"
    assert OutboundEmail.objects.filter(kind="acknowledgement").count() == 3


def test_nothing_runs_without_a_host_and_the_command_says_so(settings):
    settings.COMPLAINT_MAILBOX_HOST = ""
    assert complaint_mailbox_fetch() == {}
    with pytest.raises(CommandError, match="COMPLAINT_MAILBOX_HOST"):
        call_command("fetch_complaint_mail")
    assert any(entry["task"] == "complaints.tasks.complaint_mailbox_fetch" for entry in SCHEDULES)


def test_the_command_reads_the_mailbox(imap, capsys):
    imap.deliver(samples.html_only())
    imap.deliver(samples.auto_reply())
    call_command("fetch_complaint_mail")
    out = capsys.readouterr().out
    assert "1" in out and str(Outcome.COMPLAINT.label) in out and str(Outcome.AUTOMATIC.label) in out
    with pytest.raises(CommandError):
        call_command("fetch_complaint_mail", "--limit", "0")


def test_a_wrong_password_is_an_error_and_nothing_is_recorded(imap, settings):
    settings.COMPLAINT_MAILBOX_PASSWORD = "wrong"
    imap.deliver(samples.gbk_plain())
    with pytest.raises(MailboxError):
        mailbox_fetch()
    with pytest.raises(CommandError, match="cannot log in"):
        call_command("fetch_complaint_mail")
    assert not MailboxMessage.objects.exists() and len(imap.messages("INBOX")) == 1


def test_gb_labels_decode_as_gb18030_and_broken_labels_fall_back():
    assert bytes_decode("朱镕基".encode("gbk"), "gb2312") == "朱镕基"
    assert bytes_decode("中文".encode(), "x-no-such-charset") == "中文"
    assert bytes_decode("中文".encode("gb18030"), "utf-8") == "中文"
    assert header_decode("=?GB2312?B?" + base64.b64encode("王喆".encode("gbk")).decode() + "?=") == "王喆"


def test_html_is_turned_into_text_never_kept_as_html():
    text = html_to_text("<p>a<script>x()</script></p><div>b &lt;i&gt;</div><style>p{}</style>c")
    assert text == "a\n\nb <i>\nc"  # an escaped tag stays text: the admin escapes it on output


def test_every_outcome_has_a_folder():
    assert set(mailbox_services._folders()) == set(Outcome.values)


def test_the_enterprise_a_mail_names_as_its_own_is_kept_as_identity():
    record = mail_file(
        raw=samples.plain(
            "Zhou <zhou@weave.example>",
            "<ent-1@weave.example>",
            text="本公司杭州翠竹织造有限公司被区税务局一个月检查四次。翠竹织造已经停产配合三次。",
        )
    )
    complaint = record.complaint
    assert complaint.complainant_type == "enterprise"
    assert complaint.identity.enterprise_name == "杭州翠竹织造有限公司"
    # Its short name is redacted from what staff without the permission (and departments) read.
    assert "翠竹" not in complaint.masked_text and "区税务局" in complaint.masked_text


def test_a_server_without_move_gets_copy_delete_and_expunge(imap, monkeypatch):
    opened = Mailbox.__init__

    def without_move(self, connection):
        opened(self, connection)
        self.capabilities.discard("MOVE")

    monkeypatch.setattr(Mailbox, "__init__", without_move)
    imap.deliver(samples.gbk_plain())
    imap.deliver(samples.bounce())
    assert mailbox_fetch() == {Outcome.COMPLAINT: 1, Outcome.BOUNCE: 1}
    assert imap.messages("INBOX") == []
    assert len(imap.messages(PROCESSED)) == 1 and len(imap.messages(AUTOMATIC)) == 1

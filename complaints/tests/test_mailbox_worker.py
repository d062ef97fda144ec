"""The beat job's task, sent through the broker to a real worker process that reads a real IMAP
server (pymap) and e-mails the tracking code to a real SMTP server (aiosmtpd)."""

from complaints.models import Channel, Complaint, MailboxMessage
from complaints.tasks import complaint_mailbox_fetch
from complaints.tests import mail_samples as samples
from complaints.tests.imap_server import imap_server
from tests.fixtures import wait_for


def test_a_real_worker_reads_the_mailbox_and_the_complainant_gets_the_code(worker_factory, smtp_server):
    with imap_server() as server:
        server.deliver(samples.gbk_plain())
        server.deliver(samples.auto_reply())
        env = {name: str(value) for name, value in server.settings.items()}
        worker = worker_factory(**env, **smtp_server.env)
        complaint_mailbox_fetch.delay()
        wait_for(
            lambda: MailboxMessage.objects.filter(moved_at__isnull=False).count() == 2,
            timeout=90,
            what="the worker to read the mailbox",
        )
        assert server.messages("INBOX") == [], worker.log()
        assert len(server.messages("Complaints-processed")) == 1
        assert len(server.messages("Complaints-automatic")) == 1
    complaint = Complaint.objects.get(channel=Channel.EMAIL)
    assert complaint.identity.email == "wangzhe@qiye.example"
    # The acknowledgement leaves through the outbox (dispatched after commit to the mail queue).
    wait_for(lambda: smtp_server.messages, timeout=90, what="the tracking code to reach the SMTP server")
    assert [message["To"] for message in smtp_server.messages] == ["wangzhe@qiye.example"], worker.log()

"""Read the complaint mailbox now (what the beat job does every few minutes)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from complaints.mailbox.services import MailboxError, mailbox_configured, mailbox_fetch
from complaints.models import MailboxMessage


class Command(BaseCommand):
    help = _(
        "Read the complaint mailbox (COMPLAINT_MAILBOX_HOST…): file each new message as a complaint "
        "on the e-mail channel, record the others, and move each to its folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help=_("Read at most this many messages."))

    def handle(self, *args, limit=None, **options):
        if not mailbox_configured():
            raise CommandError(_("No complaint mailbox is configured: set COMPLAINT_MAILBOX_HOST."))
        if limit is not None and limit < 1:
            raise CommandError(_("--limit must be at least 1."))
        try:
            counts = mailbox_fetch(limit=limit)
        except MailboxError as error:
            raise CommandError(
                _("The complaint mailbox could not be read: %(error)s") % {"error": error}
            ) from error
        labels = dict(MailboxMessage.Outcome.choices)
        lines = [f"{labels.get(outcome, outcome)}: {count}" for outcome, count in sorted(counts.items())]
        self.stdout.write("\n".join(lines) if lines else _("No new messages."))

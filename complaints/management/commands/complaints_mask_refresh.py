"""Rewrite the masked text of every complaint with the redaction as it is now; safe to run again."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from complaints.services import complaint_masked_text_refresh


class Command(BaseCommand):
    help = _(
        "Redact every complaint's text again with the current recogniser (run after an upgrade "
        "that recognises more ways of writing identity): staff without the identity permission "
        "read and search this text."
    )

    def handle(self, *args, **options):
        changed = complaint_masked_text_refresh()
        self.stdout.write(_("%(count)d complaints re-masked.") % {"count": changed})

"""The dispatch-meeting pack sent to the leading group (seed §四.1: the group's members are the
leaders who read it): the pack's workbook, generated as the sender sees it, attached to one
e-mail through the outbox."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import OutboundEmail
from core.outbox import outbox_enqueue
from liaison.leading_group import leading_group_pack_recipients
from reports.ledger.pack import DispatchPack
from reports.ledger.workbooks import PackWorkbook
from reports.models import DispatchMeeting
from reports.xlsx import XLSX_CONTENT_TYPE

PACK_EMAIL_KIND = "dispatch_pack"


@transaction.atomic
def dispatch_pack_send(*, meeting: DispatchMeeting, actor) -> OutboundEmail:
    """E-mail the meeting's pack (the workbook, with a link to the printable page) to every
    active member of the leading group with an address; ``LADDER_CENTRE_LEADER_EMAIL`` when the
    group has none. Each sending is its own outbox row: a pack sent again after the ledger moved
    is a new e-mail. Raises ``ValidationError`` when there is nobody to send it to."""
    recipients = leading_group_pack_recipients()
    if not recipients:
        raise ValidationError(
            _(
                "Nobody to send the pack to: add the leading group's members with their e-mail "
                "addresses in the directory."
            ),
            code="no_recipient",
        )
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        pack = DispatchPack(meeting=meeting, viewer=actor).generate()
        workbook = PackWorkbook(pack)
        content = workbook.generate()
        subject = _("Dispatch meeting %(quarter)s: meeting pack") % {"quarter": meeting.quarter}
        text = _(
            "The pack of the dispatch meeting of %(quarter)s (%(date)s, %(place)s) is attached as a "
            "workbook.\n\nThe printable pack, with the figures as of today: %(link)s\n"
        ) % {
            "quarter": meeting.quarter,
            "date": meeting.scheduled_on.isoformat(),
            "place": meeting.place or "—",
            "link": settings.SITE_URL + reverse("admin:reports_dispatchmeeting_pack", args=[meeting.pk]),
        }
    email = outbox_enqueue(
        key=f"{PACK_EMAIL_KIND}:{meeting.pk}:{timezone.now().isoformat()}",
        kind=PACK_EMAIL_KIND,
        to=recipients,
        subject=subject,
        text=text,
        attachments=[(workbook.filename, content, XLSX_CONTENT_TYPE)],
        language=language,
        related=f"dispatch meeting {meeting.quarter}",
    )
    return email

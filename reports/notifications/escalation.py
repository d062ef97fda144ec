"""The escalation ladder for notification-report replies: a unit that does not reply with its
improvement measures in time is reminded, its head warned, its supervising leader told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from casework.escalation import ladder_recipient
from core.ladder import LadderItem, Notice, Recipient, ladder_registry
from reports.models import REPLY_DEADLINE_KIND, NotificationReport


class NotificationReplyLadder:
    kind = REPLY_DEADLINE_KIND

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        reports = NotificationReport.objects.select_related("run", "department").in_bulk(
            {item.object_id for item in items}
        )
        recipients: dict[tuple[int, int], Recipient] = {}
        notices = []
        for item in items:
            report = reports.get(item.object_id)
            if report is None or report.status == NotificationReport.Status.REPLIED:
                continue
            department = report.department
            if (department.pk, item.step) not in recipients:
                recipients[(department.pk, item.step)] = ladder_recipient(department, item.step)
            recipient = recipients[(department.pk, item.step)]
            with translation.override(recipient.language):
                what = _("Reply to complaint notification %(period)s") % {"period": report.run.period}
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=str(report.run.period),
                    what=what,
                    unit=str(department),
                    link=settings.SITE_URL + reverse("notifications:report", args=[report.pk]),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        # No case timeline here: the deadline's ladder step and the outbox e-mail are the record.
        return None


_notification_reply_ladder = NotificationReplyLadder()


def notification_ladder_register() -> None:
    """Register the reply deadlines with the escalation ladder; safe to call twice."""
    ladder_registry.register(REPLY_DEADLINE_KIND, _notification_reply_ladder)

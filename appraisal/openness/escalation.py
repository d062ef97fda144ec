"""The escalation ladder for the rectification of a failed openness item: a unit that has not
answered within OPENNESS_RECTIFICATION_WORKING_DAYS working days is reminded, its head warned and
its supervising leader told (the same recipients as casework's referrals). An answered or
accepted finding climbs no further (its deadline is met; a notice is skipped if its status moved
meanwhile).

Registered with ``rectification_ladder_register()`` from ``AppraisalConfig.ready()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from appraisal.models import OpennessFinding
from appraisal.openness.services import AWAITING_UNIT, RECTIFICATION_DEADLINE_KIND
from casework.escalation import ladder_recipient
from core.ladder import LadderItem, Notice, Recipient, ladder_registry


class RectificationLadder:
    kind = RECTIFICATION_DEADLINE_KIND

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        findings = OpennessFinding.objects.select_related("department", "campaign", "item").in_bulk(
            {item.object_id for item in items}
        )
        recipients: dict[tuple[int, int], Recipient] = {}
        notices = []
        for item in items:
            finding = findings.get(item.object_id)
            if finding is None or finding.status not in AWAITING_UNIT:
                continue
            department = finding.department
            if (department.pk, item.step) not in recipients:
                recipients[(department.pk, item.step)] = ladder_recipient(department, item.step)
            recipient = recipients[(department.pk, item.step)]
            with translation.override(recipient.language):
                what = _("Rectification of “%(item)s” (%(criterion)s), openness check “%(campaign)s”") % {
                    "item": finding.item.text,
                    "criterion": finding.get_criterion_display(),
                    "campaign": finding.campaign.title,
                }
                reference = _("Openness finding %(number)s") % {"number": finding.pk}
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=reference,
                    what=what,
                    unit=str(department),
                    link=settings.SITE_URL + reverse("openness_dept:detail", args=[finding.pk]),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        # The step is kept on the deadline (ladder_step), which the findings' lists show.
        return None


_rectification_ladder = RectificationLadder()


def rectification_ladder_register() -> None:
    """Register the rectification deadlines with the escalation ladder; safe to call twice."""
    ladder_registry.register(RECTIFICATION_DEADLINE_KIND, _rectification_ladder)

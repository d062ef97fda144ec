"""The escalation ladder for the correction of a red approval signal: a signal the department
has not answered within APPROVAL_CORRECTION_WORKING_DAYS working days reminds the department's
contact, warns its head and goes to its supervising leader (the same recipients as casework's
referrals). A signal answered, accepted, cleared or turned into a case climbs no further (its
deadline is met or cancelled; a notice is skipped if its status moved meanwhile).

Registered with ``correction_ladder_register()`` from ``ApprovalsConfig.ready()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from approvals.models import ApprovalSignal
from approvals.services.signals import CORRECTION_DEADLINE_KIND
from casework.escalation import ladder_recipient
from core.ladder import LadderItem, Notice, Recipient, ladder_registry

AWAITING_DEPARTMENT = (ApprovalSignal.Status.OPEN, ApprovalSignal.Status.RETURNED)


class SignalCorrectionLadder:
    kind = CORRECTION_DEADLINE_KIND

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        signals = ApprovalSignal.objects.select_related("department", "record__item").in_bulk(
            {item.object_id for item in items}
        )
        recipients: dict[tuple[int, int], Recipient] = {}
        notices = []
        for item in items:
            signal = signals.get(item.object_id)
            if signal is None or signal.status not in AWAITING_DEPARTMENT:
                continue
            department = signal.department
            if (department.pk, item.step) not in recipients:
                recipients[(department.pk, item.step)] = ladder_recipient(department, item.step)
            recipient = recipients[(department.pk, item.step)]
            with translation.override(recipient.language):
                what = _("Correction of the signal “%(kind)s” on application %(number)s (%(item)s)") % {
                    "kind": signal.get_kind_display(),
                    "number": signal.record.external_id,
                    "item": signal.record.item.name,
                }
                reference = _("Approval signal %(number)s") % {"number": signal.pk}
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=reference,
                    what=what,
                    unit=str(department),
                    link=settings.SITE_URL + reverse("approvals_dept:detail", args=[signal.pk]),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        # The step is kept on the deadline (ladder_step), which the signals' lists show.
        return None


_correction_ladder = SignalCorrectionLadder()


def correction_ladder_register() -> None:
    """Register the correction deadlines with the escalation ladder; safe to call twice."""
    from approvals import tasks  # noqa: F401 - the daily sweep, known to the worker

    ladder_registry.register(CORRECTION_DEADLINE_KIND, _correction_ladder)

"""The escalation ladder for inspection outcomes: an entry whose outcome is not recorded within
INSPECTION_OUTCOME_WORKING_DAYS working days reminds the department, warns its head and tells
its supervising leader (the same recipients as casework's referrals). From the overdue warning
on, the inspection gets an OUTCOME_LATE flag for the commission (once per inspection).

Registered with ``outcome_ladder_register()`` from ``InspectionsConfig.ready()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.escalation import ladder_recipient
from core.ladder import LadderItem, Notice, Recipient, Step, ladder_registry
from inspections.models import Inspection, InspectionFlag
from inspections.services.entry import OUTCOME_DEADLINE_KIND


class InspectionOutcomeLadder:
    kind = OUTCOME_DEADLINE_KIND

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        inspections = Inspection.objects.select_related("department", "enterprise").in_bulk(
            {item.object_id for item in items}
        )
        recipients: dict[tuple[int, int], Recipient] = {}
        notices = []
        link = settings.SITE_URL + reverse("department_portal:home")
        for item in items:
            inspection = inspections.get(item.object_id)
            if inspection is None or inspection.status != Inspection.Status.ENTERED:
                continue
            department = inspection.department
            if (department.pk, item.step) not in recipients:
                recipients[(department.pk, item.step)] = ladder_recipient(department, item.step)
            recipient = recipients[(department.pk, item.step)]
            with translation.override(recipient.language):
                what = _("Outcome of the inspection of %(enterprise)s entered on %(date)s") % {
                    "enterprise": inspection.enterprise.name,
                    "date": timezone_date(inspection.entered_at),
                }
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=_("Inspection %(number)s") % {"number": inspection.pk},
                    what=what,
                    unit=str(department),
                    link=link,
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        # From the warning on (the due day has ended), the inspection is flagged late.
        warned = {item.object_id for item in items if item.step >= Step.WARN}
        if not warned:
            return
        late = Inspection.objects.filter(pk__in=warned, status=Inspection.Status.ENTERED).values_list(
            "pk", "outcome_deadline__due_date"
        )
        InspectionFlag.objects.bulk_create(
            [
                InspectionFlag(
                    inspection_id=pk,
                    kind=InspectionFlag.Kind.OUTCOME_LATE,
                    explanation=_("The outcome was due on %(date)s and has not been recorded.")
                    % {"date": due.isoformat() if due else "?"},
                )
                for pk, due in late
            ],
            ignore_conflicts=True,  # one flag per kind and inspection: a later step adds none
        )


def timezone_date(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


_outcome_ladder = InspectionOutcomeLadder()


def outcome_ladder_register() -> None:
    """Register the outcome deadlines with the escalation ladder; safe to call twice."""
    ladder_registry.register(OUTCOME_DEADLINE_KIND, _outcome_ladder)

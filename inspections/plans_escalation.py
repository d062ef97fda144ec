"""The escalation ladder for annual inspection plans not filed in time: the department is
reminded (催办), its head warned (预警), its supervising leader told (督办), exactly as for a
late referral (casework.escalation.ladder_recipient). Registered from InspectionsConfig.ready()
with ``plans_ladder_register()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from casework.escalation import ladder_recipient
from core.ladder import LadderItem, Notice, ladder_registry
from inspections.models import InspectionPlan
from inspections.services.plans import PLAN_DEADLINE_KIND


class InspectionPlanLadder:
    """``record`` writes nothing: the deadline's ``ladder_step`` is the record (the plans'
    admin shows it) and the digest is in the outbox."""

    kind = PLAN_DEADLINE_KIND

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        plans = InspectionPlan.objects.select_related("department").in_bulk(
            {item.object_id for item in items}
        )
        notices = []
        for item in items:
            plan = plans.get(item.object_id)
            if plan is None or plan.filed_at is not None:
                continue
            recipient = ladder_recipient(plan.department, item.step)
            with translation.override(recipient.language):
                what = _("Annual inspection plan for %(year)s") % {"year": plan.year}
                reference = _("plan %(year)s") % {"year": plan.year}
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=reference,
                    what=what,
                    unit=str(plan.department),
                    link=settings.SITE_URL + reverse("inspection_plans:detail", args=[plan.pk]),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        return None


inspection_plan_ladder = InspectionPlanLadder()


def plans_ladder_register() -> None:
    """Register the plans with the escalation ladder; safe to call twice."""
    from inspections import plans_tasks  # noqa: F401 - the yearly job, known to the worker

    ladder_registry.register(PLAN_DEADLINE_KIND, inspection_plan_ladder)

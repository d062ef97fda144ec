"""Annual inspection plans (年度检查计划): each active department files its plan for the year by
``settings.INSPECTION_PLAN_DUE`` (month-day, default 03-31). Opening a year gives every active
department its plan row with a deadline of kind ``inspection_plan``; the escalation ladder
reminds, warns and escalates a plan not filed in time (inspections.plans_escalation); filing
meets the deadline."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.calendar import is_working_day, working_days_between
from core.deadlines import deadline_create, deadline_meet
from core.errors import actor_user
from core.models import Deadline
from inspections.models import InspectionPlan
from liaison.models import Department

logger = logging.getLogger(__name__)

PLAN_DEADLINE_KIND = "inspection_plan"


def plan_due_date(year: int) -> dt.date:
    """The nominal due date of ``year``'s plans (``INSPECTION_PLAN_DUE``, "MM-DD")."""
    month, day = (int(part) for part in settings.INSPECTION_PLAN_DUE.split("-"))
    return dt.date(year, month, day)


def _plan_working_days(year: int) -> tuple[dt.date, int]:
    """The deadline's start (the last day of the year before) and its working days: due on the
    configured date, or the first working day after it when that is a holiday or a weekend."""
    start, due = dt.date(year - 1, 12, 31), plan_due_date(year)
    days = working_days_between(start, due)
    if not is_working_day(due):
        days += 1
    return start, max(days, 1)


def plans_open_year(year: int) -> list[InspectionPlan]:
    """Give every active department without a plan for ``year`` its plan row and deadline.
    Safe to run twice: departments that have a plan are left alone. Returns the new plans."""
    start, working_days = _plan_working_days(year)
    created = []
    with transaction.atomic():
        have = set(InspectionPlan.objects.filter(year=year).values_list("department_id", flat=True))
        departments = Department.objects.filter(is_active=True).exclude(pk__in=have).order_by("pk")
        for department in departments.select_for_update(of=("self",)):
            plan = InspectionPlan.objects.create(department=department, year=year)
            plan.deadline = deadline_create(
                subject=plan, kind=PLAN_DEADLINE_KIND, start_date=start, working_days=working_days
            )
            plan.save(update_fields=["deadline", "updated_at"])
            created.append(plan)
    logger.info("inspection plans opened for %s: %s new", year, len(created))
    return created


def plan_file(plan: InspectionPlan, *, summary: str, planned_count: int, actor) -> InspectionPlan:
    """The department files (or, before the year is over, corrects) its plan. The first filing
    meets the deadline; a correction keeps the first filing's time."""
    summary = (summary or "").strip()
    errors = {}
    if not summary:
        errors["summary"] = _("Describe the plan: what you will inspect, where and when.")
    if planned_count is None or planned_count < 0:
        errors["planned_count"] = _("Enter how many inspections you plan, 0 or more.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = (
            InspectionPlan.objects.select_for_update(of=("self",)).select_related("deadline").get(pk=plan.pk)
        )
        if locked.year < timezone.localdate().year:
            raise ValidationError(_("The year of this plan is over: it can no longer be changed."))
        now = timezone.now()
        locked.summary = summary
        locked.planned_count = planned_count
        fields = ["summary", "planned_count", "updated_at"]
        if locked.filed_at is None:
            locked.filed_at, locked.filed_by = now, actor_user(actor)
            fields += ["filed_at", "filed_by"]
        locked.save(update_fields=fields)
        deadline = locked.deadline
        if deadline is not None and deadline.status == Deadline.Status.OPEN:
            deadline_meet(deadline=deadline, at=now)
    logger.info("inspection plan %s filed by %s", locked.pk, getattr(actor, "pk", None))
    return locked

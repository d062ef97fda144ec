"""Test data for trainings and award activities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from inspections.models import ActivityFiling, ActivityKind, CancelledActivity


def filing_kwargs(department, actor, **overrides) -> dict:
    start = timezone.localdate() + dt.timedelta(days=10)
    values = {
        "department": department,
        "kind": ActivityKind.TRAINING,
        "title": "安全生产标准化培训班",
        "organiser": "市安全生产培训中心",
        "audience": "辖区危险化学品企业",
        "starts_on": start,
        "ends_on": start + dt.timedelta(days=1),
        "fee": Decimal("300.00"),
        "fee_basis": "《培训收费管理办法》第五条",
        "voluntary": True,
        "description": "",
        "actor": actor,
    }
    values.update(overrides)
    return values


def approved(department, *, status=ActivityFiling.Status.APPROVED, **overrides) -> ActivityFiling:
    """An approved filing made directly (the services are tested on their own)."""
    values = filing_kwargs(department, None, **overrides)
    values.pop("actor")
    return ActivityFiling.objects.create(**values, status=status, decided_at=timezone.now())


def cancelled(name="优秀民营企业评选", **overrides) -> CancelledActivity:
    values = {
        "kind": ActivityKind.AWARD,
        "name": name,
        "cancelled_on": dt.date(2026, 3, 1),
        "document": "清理通知〔2026〕1号",
    }
    values.update(overrides)
    return CancelledActivity.objects.create(**values)

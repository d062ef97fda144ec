"""Test data for scan-to-enter, the enterprise's page and the ratings: units, items and filed
inspections made directly as model objects; enterprises and inspectors as the filing tests make
them (filing_factories)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from complaints.tests import factories as complaint_factories
from inspections.models import InspectingUnit, Inspection, InspectionItem
from inspections.tests import filing_factories
from liaison.models import Department, Enterprise

PASSWORD = "pw-12345678"
# One way to make each (as the filing tests make them).
enterprise = filing_factories.enterprise
inspector = filing_factories.inspector
_counter = itertools.count(1)


def department(**overrides) -> Department:
    return complaint_factories.department(**overrides)


def dept_user(department: Department, *, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"dept-{next(_counter)}", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Department user"))
    department.members.add(user)
    return user


def item(department: Department, **overrides) -> InspectionItem:
    n = next(_counter)
    values = {
        "code": f"JC-{n:03d}",
        "name": f"安全生产检查事项{n}",
        "legal_basis": "《安全生产法》第六十五条",
    }
    values.update(overrides)
    return InspectionItem.objects.create(department=department, **values)


def filed(
    *,
    department: Department,
    enterprise: Enterprise,
    planned_on: dt.date | None = None,
    status: str = Inspection.Status.FILED,
    items: int = 1,
    **overrides,
) -> Inspection:
    unit, _created = InspectingUnit.objects.get_or_create(department=department, name="执法大队")
    inspection = Inspection.objects.create(
        department=department,
        unit=unit,
        enterprise=enterprise,
        planned_on=planned_on or timezone.localdate(),
        status=status,
        filed_at=timezone.now(),
        officers=[{"name": "王执法", "certificate": "ZF001"}, {"name": "李执法", "certificate": "ZF002"}],
        **overrides,
    )
    inspection.items.set([item(department) for _ in range(items)])
    return inspection

"""Test data for the inspections tests: departments with a unit and an item list, enterprises in
the registry, inspectors, department users and commission staff, and filed inspections made
directly as model objects (the filing service is tested on its own)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from complaints.tests import factories as complaint_factories
from core.validators import credit_code_check_character, organization_code_check_character
from inspections.models import InspectingUnit, Inspection, InspectionItem
from liaison.models import Department, Enterprise

PASSWORD = "pw-12345678"
OFFICERS = [{"name": "王执法", "certificate": "JZ-0001"}, {"name": "李执法", "certificate": "JZ-0002"}]

_counter = itertools.count(1)


# --- The registry and the directory ----------------------------------------------------------------


def credit_code(n: int) -> str:
    body = f"{n:08d}"
    first17 = "91" + "110000" + body + organization_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def enterprise(**overrides) -> Enterprise:
    n = next(_counter) + 3000
    values = {
        "credit_code": credit_code(n),
        "name": f"测试企业{n}有限公司",
        "industry": "制造业",
        "risk_class": "B",
    }
    values.update(overrides)
    return Enterprise.objects.create(**values)


def department(**overrides) -> Department:
    return complaint_factories.department(**overrides)


def department_with_list(*, items=("A01", "A02"), industries=None, **overrides):
    """A department with its inspecting unit and an item list of these codes."""
    department_ = complaint_factories.department(**overrides)
    unit = InspectingUnit.objects.create(department=department_, name=f"{department_.name}执法大队")
    listed = [
        InspectionItem.objects.create(
            department=department_,
            code=code,
            name=f"检查事项{code}",
            legal_basis=f"《某某条例》第{index + 1}条",
            industries=list(industries or []),
        )
        for index, code in enumerate(items)
    ]
    return department_, unit, listed


def item(department: Department, **overrides) -> InspectionItem:
    n = next(_counter)
    values = {
        "code": f"JC-{n:03d}",
        "name": f"安全生产检查事项{n}",
        "legal_basis": "《安全生产法》第六十五条",
    }
    values.update(overrides)
    return InspectionItem.objects.create(department=department, **values)


# --- People ----------------------------------------------------------------------------------------


def inspector(department, *, username=None) -> User:
    account = User.objects.create_user(username or f"inspector-{next(_counter)}", password=PASSWORD)
    account.groups.add(Group.objects.get(name="Department inspector"))
    department.members.add(account)
    return account


def dept_user(department: Department, *, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"dept-{next(_counter)}", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Department user"))
    department.members.add(user)
    return user


def staff(role: str = "Case handler", *, username=None) -> User:
    account = User.objects.create_user(
        username or f"staff-{next(_counter)}", password=PASSWORD, is_staff=True
    )
    account.groups.add(Group.objects.get(name=role))
    return account


# --- Inspections -----------------------------------------------------------------------------------


def days_ahead(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def file_kwargs(department, unit, items, enterprise_, actor, **overrides) -> dict:
    """The arguments of inspection_file for a routine filing ten days ahead."""
    values = {
        "department": department,
        "unit": unit,
        "enterprise": enterprise_,
        "items": list(items),
        "kind": "routine",
        "legal_basis": "",
        "planned_on": days_ahead(10),
        "officers": OFFICERS,
        "actor": actor,
    }
    values.update(overrides)
    return values


def filed(
    *,
    department: Department,
    enterprise: Enterprise,
    planned_on: dt.date | None = None,
    status: str = Inspection.Status.FILED,
    items: int = 1,
    **overrides,
) -> Inspection:
    """An inspection as the filing service leaves it, made directly (no rules evaluated)."""
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

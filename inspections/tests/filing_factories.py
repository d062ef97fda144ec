"""Builders for the filing tests: departments with a unit and an item list, enterprises in the
registry, inspectors and commission staff (model objects, as the registry's admin is another part)."""

import datetime as dt
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from complaints.tests import factories as complaint_factories
from core.validators import credit_code_check_character, organization_code_check_character
from inspections.models import InspectingUnit, InspectionItem
from liaison.models import Enterprise

_counter = itertools.count(1)


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


def department_with_list(*, items=("A01", "A02"), industries=None, **overrides):
    department = complaint_factories.department(**overrides)
    unit = InspectingUnit.objects.create(department=department, name=f"{department.name}执法大队")
    listed = [
        InspectionItem.objects.create(
            department=department,
            code=code,
            name=f"检查事项{code}",
            legal_basis=f"《某某条例》第{index + 1}条",
            industries=list(industries or []),
        )
        for index, code in enumerate(items)
    ]
    return department, unit, listed


def inspector(department, *, username=None) -> User:
    account = User.objects.create_user(username or f"inspector-{next(_counter)}", password="pw-12345678")
    account.groups.add(Group.objects.get(name="Department inspector"))
    department.members.add(account)
    return account


def staff(role: str = "Case handler", *, username=None) -> User:
    account = User.objects.create_user(
        username or f"staff-{next(_counter)}", password="pw-12345678", is_staff=True
    )
    account.groups.add(Group.objects.get(name=role))
    return account


OFFICERS = [{"name": "王执法", "certificate": "JZ-0001"}, {"name": "李执法", "certificate": "JZ-0002"}]


def days_ahead(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def file_kwargs(department, unit, items, enterprise_, actor, **overrides) -> dict:
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

"""Builders for the approvals tests: a catalogue item with its steps and fees; records made
directly with the ORM, their due day counted with core.calendar as the ingest counts it; and
record rows in the shape the service halls' systems push (APPROVALS.md), for the ingest."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Permission

from approvals.models import (
    ApprovalFee,
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalStep,
    ApprovalStepEvent,
    Where,
)
from core.calendar import add_working_days, working_days_between
from inspections.tests.factories import credit_code
from liaison.models import Department

SHANGHAI = ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment on the Shanghai clock."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def department(**overrides) -> Department:
    n = next(_counter)
    values = {"name": f"审批测试局{n}", "email": f"approvals{n}@dept.example"}
    values.update(overrides)
    return Department.objects.create(**values)


_department = department  # for item(), whose parameter of that name hides it


def item(
    department: Department | None = None,
    *,
    promised_days: int = 5,
    statutory_days: int = 20,
    in_hall: bool = True,
    steps=((1, "受理", 1), (2, "审查", 3), (3, "决定", 1)),
    fees=(("GB-01", "工本费", Decimal("10.00")),),
    **overrides,
) -> ApprovalItem:
    """``steps``: (position, name, limit) or just the limits in order; ``fees``: (code, name,
    amount) or (code, amount)."""
    n = next(_counter)
    values = {
        "department": department or _department(),
        "code": f"XK-{n:05d}",
        "name": f"测试许可事项{n}",
        "statutory_days": statutory_days,
        "promised_days": promised_days,
        "in_hall": in_hall,
    }
    values.update(overrides)
    created = ApprovalItem.objects.create(**values)
    steps = [
        step if isinstance(step, tuple) else (position, f"环节{position}", step)
        for position, step in enumerate(steps, start=1)
    ]
    fees = [fee if len(fee) == 3 else (fee[0], f"收费{fee[0]}", fee[1]) for fee in fees]
    ApprovalStep.objects.bulk_create(
        [ApprovalStep(item=created, position=p, name=name, limit_days=limit) for p, name, limit in steps]
    )
    ApprovalFee.objects.bulk_create(
        [
            ApprovalFee(item=created, code=c, name=name, legal_basis="收费依据", amount=Decimal(a))
            for c, name, a in fees
        ]
    )
    return created


def record(
    item: ApprovalItem,
    *,
    accepted_at: dt.datetime,
    accepted_where: str = Where.HALL,
    decision: str = ApprovalRecord.Decision.PENDING,
    decided_at: dt.datetime | None = None,
    decided_where: str = "",
    refusal_reason: str = "",
    credit_code: str = "91310000MA1FL0TEST",
    applicant_name: str = "申请测试有限公司",
    steps=(),
    fees=(),
    external_id: str | None = None,
) -> ApprovalRecord:
    """``steps``: (position, started_at, finished_at); ``fees``: (code, amount)."""
    accepted_on = accepted_at.astimezone(SHANGHAI).date()
    decided_on = decided_at.astimezone(SHANGHAI).date() if decided_at else None
    created = ApprovalRecord.objects.create(
        external_id=external_id or f"SQ2026-{next(_counter):07d}",
        item=item,
        department_id=item.department_id,
        applicant_credit_code=credit_code,
        applicant_name=applicant_name,
        accepted_at=accepted_at,
        accepted_where=accepted_where,
        due_on=add_working_days(accepted_on, item.promised_days).due_date,
        decision=decision,
        decided_at=decided_at,
        decided_on=decided_on,
        decided_where=decided_where or (Where.HALL if decided_at else ""),
        refusal_reason=refusal_reason,
        working_days_taken=working_days_between(accepted_on, decided_on) if decided_on else None,
    )
    by_position = {step.position: step for step in item.steps.all()}
    ApprovalStepEvent.objects.bulk_create(
        [
            ApprovalStepEvent(
                record=created,
                step=by_position.get(position),
                position=position,
                name=by_position[position].name if position in by_position else f"步骤{position}",
                started_at=started,
                finished_at=finished,
                officer="经办人",
                working_days_taken=working_days_between(
                    started.astimezone(SHANGHAI).date(), finished.astimezone(SHANGHAI).date()
                )
                if finished
                else None,
            )
            for position, started, finished in steps
        ]
    )
    schedule = {fee.code: fee for fee in item.fees.all()}
    ApprovalFeeCharge.objects.bulk_create(
        [
            ApprovalFeeCharge(
                record=created, fee=schedule.get(code), code=code, name="收费", amount=Decimal(amount)
            )
            for code, amount in fees
        ]
    )
    return created


def grant(user, *codenames: str):
    """Give ``user`` permissions by "app.codename" (the roles of issue 15 are the lead's)."""
    for name in codenames:
        app, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    if hasattr(user, "_perm_cache"):
        del user._perm_cache
    if hasattr(user, "_user_perm_cache"):
        del user._user_perm_cache
    return user


def row(catalogue_item, external_id=None, /, **overrides) -> dict:
    data = {
        "external_id": external_id or f"SP-{next(_counter):06d}",
        "item_code": catalogue_item.code,
        "applicant_credit_code": credit_code(7001),
        "applicant_name": "测试申请企业有限公司",
        "accepted_at": "2026-09-30T09:30:00+08:00",
        "accepted_where": "hall",
        "decision": "pending",
        "decided_at": None,
        "decided_where": "",
        "refusal_reason": "",
        "steps": [
            {
                "position": 1,
                "name": "受理",
                "started_at": "2026-09-30T09:30:00+08:00",
                "finished_at": "2026-09-30T10:00:00+08:00",
                "officer": "窗口甲",
            },
        ],
        "fees": [],
    }
    data.update(overrides)
    return data

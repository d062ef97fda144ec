"""Builders for the approvals tests: catalogue items with steps and fees, and record rows in the
shape the service halls' systems push (APPROVALS.md)."""

import itertools
from decimal import Decimal

from approvals.models import ApprovalFee, ApprovalItem, ApprovalStep
from complaints.tests import factories as complaint_factories
from inspections.tests.factories import credit_code

_counter = itertools.count(1)

__all__ = ["credit_code", "item", "row"]


def item(
    *,
    department=None,
    code=None,
    promised_days=5,
    statutory_days=20,
    steps=(2, 3),
    fees=(("F1", "100.00"),),
    **overrides,
):
    department = department or complaint_factories.department()
    n = next(_counter)
    catalogue_item = ApprovalItem.objects.create(
        department=department,
        code=code or f"ITEM-{n:04d}",
        name=f"测试审批事项{n}",
        statutory_days=statutory_days,
        promised_days=promised_days,
        **overrides,
    )
    for position, limit in enumerate(steps, start=1):
        ApprovalStep.objects.create(
            item=catalogue_item, position=position, name=f"环节{position}", limit_days=limit
        )
    for code_, amount in fees:
        ApprovalFee.objects.create(
            item=catalogue_item,
            code=code_,
            name=f"收费{code_}",
            legal_basis="《测试收费办法》",
            amount=Decimal(amount),
        )
    return catalogue_item


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

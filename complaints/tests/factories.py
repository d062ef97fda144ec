"""Builders for intake tests: complaints filed through the real service."""

import itertools

from complaints.models import Category, Channel, ComplainantType
from complaints.services import ComplaintData, IdentityData, SubmittedComplaint, complaint_submit
from liaison.models import Department

_counter = itertools.count(1)


def department(**overrides) -> Department:
    n = next(_counter)
    values = {"name": f"测试局{n}", "short_name": f"测试{n}", "email": f"dept{n}@dept.example"}
    values.update(overrides)
    return Department.objects.create(**values)


def complaint_data(**overrides) -> ComplaintData:
    values = {
        "complainant_type": ComplainantType.ENTERPRISE,
        "category": Category.INSPECTIONS,
        "description": "三个月内被同一部门重复检查五次,每次都要求停产配合,严重影响生产经营。",
        "department": None,
        "department_text": "",
    }
    values.update(overrides)
    if values["department"] is None and not values["department_text"]:
        values["department"] = department()
    return ComplaintData(**values)


def identity(**overrides) -> IdentityData:
    values = {
        "contact_name": "张三",
        "phone": "13912345678",
        "email": "zhangsan@example.com",
        "enterprise_name": "华兴机械制造有限公司",
        "credit_code": "91110000802100433B",
    }
    values.update(overrides)
    return IdentityData(**values)


def submit(*, anonymous: bool = False, channel: str = Channel.WEB, **data_overrides) -> SubmittedComplaint:
    return complaint_submit(
        data=complaint_data(**data_overrides), identity=None if anonymous else identity(), channel=channel
    )


def form_post(**overrides) -> dict:
    """A valid POST body for the public form (the proof of work is added by the caller)."""
    values = {
        "complainant_type": "enterprise",
        "identity_mode": "real",
        "enterprise_name": "瑞丰商贸有限公司",
        "credit_code": "91110000802100433B",
        "contact_name": "李四",
        "phone": "13812345678",
        "email": "lisi@example.com",
        "category": Category.CHARGES,
        "occurred_on": "2026-10-12",
        "occurred_place": "市政务服务大厅",
        "description": "办理营业执照变更时被要求缴纳没有任何依据的材料费三百元,并且不开具发票。",
        "desired_outcome": "退还费用,纠正乱收费行为",
        "consent": "on",
    }
    values.update(overrides)
    return values

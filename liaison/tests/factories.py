"""Builders for directory tests: points, supervisors, log entries and workbooks made with openpyxl."""

import datetime
import io
import itertools

import openpyxl

from liaison.models import Department, LiaisonPoint, LiaisonVisit, Supervisor

_counter = itertools.count(1)

DEPARTMENT_HEADERS = [
    "名称 name",
    "简称 short name",
    "系统 system",
    "重点部门 key department",
    "电子邮箱 e-mail",
    "电话 phone",
    "单位负责人 head of unit",
    "负责人邮箱 head e-mail",
    "分管领导 supervising leader",
    "分管领导邮箱 supervising leader e-mail",
]
POINT_HEADERS = [
    "企业名称 enterprise name",
    "行业 sector",
    "地址 address",
    "联系人 contact person",
    "电话 phone",
    "电子邮箱 e-mail",
    "聘任日期 appointed on",
    "任期届满 term ends on",
    "状态 status",
]


def department(**overrides) -> Department:
    n = next(_counter)
    values = {"name": f"测试局{n}", "short_name": f"测试{n}", "email": f"dept{n}@dept.example"}
    values.update(overrides)
    return Department.objects.create(**values)


def point(**overrides) -> LiaisonPoint:
    n = next(_counter)
    values = {
        "enterprise_name": f"测试企业{n}有限公司",
        "contact_name": f"联系人{n}",
        "appointed_on": datetime.date(2026, 1, 1),
    }
    values.update(overrides)
    return LiaisonPoint.objects.create(**values)


def supervisor(**overrides) -> Supervisor:
    n = next(_counter)
    values = {
        "name": f"监督员{n}",
        "enterprise_name": f"监督企业{n}",
        "appointed_on": datetime.date(2026, 1, 1),
    }
    values.update(overrides)
    return Supervisor.objects.create(**values)


def visit(*, days_ago: int = 1, kind: str = LiaisonVisit.Kind.VISIT, **subject) -> LiaisonVisit:
    from django.utils import timezone

    return LiaisonVisit.objects.create(
        visited_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        kind=kind,
        summary="走访了解企业生产经营情况",
        **subject,
    )


def workbook(headers: list[str], rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

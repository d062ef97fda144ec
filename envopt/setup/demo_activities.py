"""Demo trainings and award activities (issue 16): three items cancelled in the clean-up, a dozen
filings over the last two quarters (approved, approved without fee, refused, one awaiting the
decision, one refused at filing because it repeats a cancelled item), a complaint from the public
list about an activity not in it, confirmed by staff into a flag, a fee charged although approved
without fee, a cancelled item held again, and a case opened from the unfiled training.

The market regulation bureau's department user files its own through the filing service; the
other departments' filings are recorded as their systems would have pushed them. Once: when any
filing exists nothing more is done. Deterministic: dates counted from today."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints.models import Category, Channel, ComplainantType
from complaints.services import ComplaintData, complaint_submit
from core.periods import SHANGHAI
from envopt.setup.demo_clock import demo_clock_at
from inspections.activities import services
from inspections.models import ActivityFiling, ActivityFlag, ActivityKind
from liaison.models import Department

T, A = ActivityKind.TRAINING, ActivityKind.AWARD
S = ActivityFiling.Status

CANCELLED = [
    (A, "全市优秀民营企业评选", "市场监管局", "清理规范评比达标表彰项目的通知〔2026〕3号"),
    (A, "诚信纳税示范企业评比", "税务局", "清理规范评比达标表彰项目的通知〔2026〕3号"),
    (T, "企业安全员上岗资格强制培训", "交通局", "涉企培训清理目录〔2026〕1号"),
]

# department (short name), kind, title, organiser, audience, days ago (start), fee, voluntary,
# decision, note
FILINGS = [
    (
        "市场监管局",
        T,
        "食品安全管理员培训班",
        "市食品安全培训中心",
        "餐饮服务企业",
        150,
        "260",
        True,
        S.APPROVED,
        "",
    ),
    (
        "市场监管局",
        T,
        "小微企业登记注册政策宣讲",
        "市场监管局登记科",
        "新设立小微企业",
        120,
        None,
        True,
        S.APPROVED,
        "",
    ),
    (
        "市场监管局",
        T,
        "计量器具使用规范培训",
        "市计量测试所",
        "集贸市场经营户",
        60,
        "120",
        True,
        S.APPROVED_NO_FEE,
        "改为免费举办。",
    ),
    ("市场监管局", A, "质量标杆企业推荐", "市质量协会", "制造业企业", 20, None, True, None, ""),
    ("税务局", T, "新办纳税人培训", "市税务局纳税服务科", "新办纳税人", 140, None, True, S.APPROVED, ""),
    (
        "税务局",
        T,
        "发票管理实务培训班",
        "市税务学会",
        "一般纳税人",
        70,
        "400",
        True,
        S.REFUSED,
        "学会不得借培训收费。",
    ),
    (
        "环保局",
        T,
        "排污许可申报培训",
        "市环境科学学会",
        "重点排污单位",
        110,
        "300",
        True,
        S.APPROVED_NO_FEE,
        "由财政保障经费，不得收费。",
    ),
    (
        "住建局",
        A,
        "优质结构工程评选",
        "市建筑业协会",
        "建筑施工企业",
        90,
        "1500",
        True,
        S.REFUSED,
        "评选收费无依据。",
    ),
    (
        "交通局",
        T,
        "道路运输企业安全生产培训",
        "市交通运输培训中心",
        "道路运输企业",
        45,
        None,
        False,
        S.APPROVED,
        "",
    ),
    (
        "人社局",
        T,
        "企业人力资源政策培训",
        "市人才服务中心",
        "各类企业人事负责人",
        30,
        None,
        True,
        S.APPROVED,
        "",
    ),
]


def _at(today: dt.date, days_ago: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour), tzinfo=SHANGHAI)


def demo_activities_install(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    if not ActivityFiling.objects.exists():
        _install(now=now, today=timezone.localtime(now, SHANGHAI).date())
    return {
        "training and award filings": ActivityFiling.objects.count(),
        "training and award flags": ActivityFlag.objects.count(),
    }


def _install(*, now: dt.datetime, today: dt.date) -> None:
    users = {
        user.username: user for user in get_user_model().objects.filter(username__in=["dept", "officehead"])
    }
    staff, dept_user = users.get("officehead"), users.get("dept")
    departments = {d.short_name: d for d in Department.objects.all()}
    if staff is None or not departments:
        return
    cancelled = {}
    with demo_clock_at(_at(today, 200)):
        for kind, name, short, document in CANCELLED:
            cancelled[name] = services.cancelled_activity_record(
                kind=kind,
                name=name,
                cancelled_on=today - dt.timedelta(days=200),
                department=departments.get(short),
                document=document,
                actor=staff,
            )
    filings = {}
    for short, kind, title, organiser, audience, days_ago, fee, voluntary, decision, note in FILINGS:
        department = departments.get(short)
        if department is None:
            continue
        starts_on = today - dt.timedelta(days=days_ago) + dt.timedelta(days=21)
        values = {
            "kind": kind,
            "title": title,
            "organiser": organiser,
            "audience": audience,
            "starts_on": starts_on,
            "ends_on": starts_on + dt.timedelta(days=1),
            "fee": Decimal(fee) if fee else None,
            "fee_basis": "《行政事业性收费项目目录》" if fee else "",
            "voluntary": voluntary,
            "description": "",
        }
        with demo_clock_at(min(_at(today, days_ago), now)):
            if dept_user is not None and dept_user.departments.filter(pk=department.pk).exists():
                filing = services.activity_file(department=department, actor=dept_user, **values)
            else:
                filing = ActivityFiling.objects.create(department=department, **values)
        if decision is not None:
            with demo_clock_at(min(_at(today, days_ago - 3), now)):
                choice = {S.APPROVED: services.APPROVE, S.APPROVED_NO_FEE: services.APPROVE_NO_FEE}.get(
                    decision, services.REFUSE
                )
                services.activity_decide(filing=filing, decision=choice, note=note, actor=staff)
        filings[title] = filing

    # A department tries to file a cancelled award again: refused at filing, nothing stored.
    if dept_user is not None and "市场监管局" in departments:
        with contextlib.suppress(ValidationError):
            services.activity_file(
                department=departments["市场监管局"],
                kind=A,
                title="2026年度全市优秀民营企业评选",
                organiser="市个体私营经济协会",
                audience="民营企业",
                starts_on=today + dt.timedelta(days=30),
                ends_on=today + dt.timedelta(days=60),
                fee=None,
                fee_basis="",
                voluntary=True,
                description="",
                actor=dept_user,
            )

    # An enterprise complains from "not in this list"; staff confirm it; a case follows.
    if "住建局" in departments:
        with demo_clock_at(min(_at(today, 25), now)):
            submitted = complaint_submit(
                data=ComplaintData(
                    complainant_type=ComplainantType.ENTERPRISE,
                    category=Category.TRAINING,
                    description="住建局下属协会通知施工企业必须参加“施工现场管理人员继续教育”，每人收费六百元，"
                    "不参加不予办理资质延续。该培训不在公示名单中。",
                    department=departments["住建局"],
                    occurred_on=today - dt.timedelta(days=28),
                ),
                identity=None,
                channel=Channel.WEB,
            )
            link = services.activity_complaint_link(complaint=submitted.complaint)
        with demo_clock_at(min(_at(today, 22), now)):
            flag = services.activity_flag_from_complaint(
                link=link,
                title="施工现场管理人员继续教育",
                held_on=today - dt.timedelta(days=28),
                explanation="经核实，该培训未经备案，以办理资质延续为条件要求企业参加并收费。",
                actor=staff,
            )
        with demo_clock_at(min(_at(today, 21), now)):
            services.activity_case_open(flag=flag, description=flag.explanation, actor=staff)

    free = filings.get("计量器具使用规范培训")
    if free is not None:
        with demo_clock_at(min(_at(today, 40), now)):
            services.activity_flag_raise(
                kind=ActivityFlag.Kind.FEE_WITHOUT_APPROVAL,
                title="",
                filing=free,
                held_on=free.starts_on,
                explanation="批准免费举办，现场向每名学员收取资料费八十元。",
                actor=staff,
            )
    held_again = cancelled.get("诚信纳税示范企业评比")
    if held_again is not None:
        with demo_clock_at(min(_at(today, 10), now)):
            services.activity_flag_raise(
                kind=ActivityFlag.Kind.CANCELLED_HELD,
                title="",
                cancelled_item=held_again,
                explanation="已取消的评比以“纳税信用之星”名义再次组织，要求企业报名。",
                actor=staff,
            )

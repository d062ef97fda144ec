"""Demo directory additions (issue 16): trade associations and market intermediaries with their
supervising departments and fee schedules, the leading group with its office in the complaint
centre, and over the story's last two quarters complaints about associations (routed to their
supervisors by the intake service) and calls logged from the conduct hotline.

The directory rows are updated by their names on every run; the complaints are filed once (when
a complaint naming an association or a hotline call exists, none is added). Deterministic: the
dates are counted from today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from complaints.models import Category, Channel, ComplainantType, Complaint
from complaints.services import ComplaintData, IdentityData, complaint_submit
from core.periods import SHANGHAI
from liaison.models import Association, Department, FeeSchedule, LeadingGroupMember, Office

TRADE, BROKER = Association.Kind.TRADE_ASSOCIATION, Association.Kind.INTERMEDIARY

# name, short name, kind, supervising department (short name), registration (short name or ""),
# fee items (item, from, up to or None, legal basis)
ASSOCIATIONS = [
    (
        "市建筑业协会",
        "建协",
        TRADE,
        "住建局",
        "",
        [("会员会费", "1000", "5000", "《社会团体登记管理条例》、协会章程")],
    ),
    (
        "市物业管理协会",
        "物协",
        TRADE,
        "住建局",
        "",
        [("会员会费", "500", "3000", "协会章程（会员大会通过）")],
    ),
    (
        "市餐饮烹饪行业协会",
        "餐协",
        TRADE,
        "市场监管局",
        "",
        [("会员会费", "300", "1200", "协会章程"), ("职业技能培训", "0", None, "自愿参加，不得强制")],
    ),
    (
        "市诚信资产评估事务所有限公司",
        "诚信评估",
        BROKER,
        "市场监管局",
        "市场监管局",
        [("资产评估服务费", "2000", "30000", "《资产评估行业收费管理办法》")],
    ),
    (
        "市恒安房地产估价有限公司",
        "恒安估价",
        BROKER,
        "住建局",
        "市场监管局",
        [("房地产估价费", "1500", "20000", "省物价局估价收费标准")],
    ),
    (
        "市绿源环境影响评价咨询有限公司",
        "绿源环评",
        BROKER,
        "环保局",
        "市场监管局",
        [("环评报告表编制", "8000", "50000", "市场调节价，合同约定")],
    ),
]

# name, position, role, e-mail (None: the demo account's), demo account or ""
LEADING_GROUP = [
    ("赵刚", "市纪委副书记", LeadingGroupMember.Role.HEAD, "leader@jw.envopt.example", ""),
    ("陈明", "委领导", LeadingGroupMember.Role.DEPUTY, None, "leader"),
    ("张华", "监察投诉中心主任", LeadingGroupMember.Role.DEPUTY, None, "officehead"),
    ("孙丽", "党风政风监督室主任", LeadingGroupMember.Role.MEMBER, "dfzf@jw.envopt.example", ""),
    ("周涛", "信访室主任", LeadingGroupMember.Role.MEMBER, "xf@jw.envopt.example", ""),
]

# days before today, association (index), anonymous, what was said
ASSOCIATION_COMPLAINTS = [
    (150, 0, False, "协会要求企业必须参加其组织的收费培训，否则不予办理资质年检推荐，费用每人一千二百元。"),
    (120, 3, True, "评估机构在办理抵押登记时被指定为唯一可选机构，收费远超合同约定标准，且不出具明细。"),
    (75, 1, False, "物业管理协会强制要求企业缴纳会费并订阅刊物，未缴纳的被威胁在评优中不予考虑。"),
    (40, 5, True, "环评咨询公司声称与审批部门有关系，收取高额加急费后报告质量差、反复退回修改。"),
    (12, 2, False, "餐饮协会以开展检查为名上门收取所谓服务费，不交就说要向监管部门反映问题。"),
]
# days before today, department (short name), category, anonymous, what was said
HOTLINE_CALLS = [
    (100, "税务局", Category.CONDUCT, True, "来电反映办税服务厅窗口人员态度生硬，多次以材料不全为由推诿。"),
    (60, "行政服务中心", Category.PERMITS, False, "来电反映开办企业事项需来回跑三次，窗口之间互相推诿。"),
    (30, "交通局", Category.INACTION, True, "来电反映道路运输证年审申请提交一个多月无人处理、无人答复。"),
    (5, "住建局", Category.CONDUCT, True, "来电反映施工许可窗口工作人员上班时间玩手机，群众排队无人理会。"),
]


def _at(today: dt.date, days_before: int) -> dt.datetime:
    day = today - dt.timedelta(days=days_before)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10, 30), tzinfo=SHANGHAI)


def demo_directory_install(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Install the associations, their fee schedules, the leading group and the demo complaints
    about associations and hotline calls; return how many of each exist."""
    departments = {d.short_name: d for d in Department.objects.all()}
    associations = []
    for name, short, kind, supervisor, registration, fees in ASSOCIATIONS:
        body, _created = Association.objects.update_or_create(
            name=name,
            defaults={
                "short_name": short,
                "kind": kind,
                "supervising_department": departments[supervisor],
                "registration_department": departments.get(registration) if registration else None,
                "contact_name": "办公室",
                "phone": "0571-8800" + f"{len(associations) + 1:04d}",
            },
        )
        associations.append(body)
        for item, low, high, basis in fees:
            FeeSchedule.objects.update_or_create(
                association=body,
                item=item,
                defaults={
                    "amount_min": Decimal(low),
                    "amount_max": Decimal(high) if high else None,
                    "legal_basis": basis,
                },
            )

    centre = Office.objects.filter(name="监察投诉中心").first()
    if centre is not None and not Office.objects.filter(hosts_leading_group=True).exists():
        Office.objects.filter(pk=centre.pk).update(hosts_leading_group=True)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["leader", "officehead"])}
    for order, (name, position, role, email, username) in enumerate(LEADING_GROUP, start=1):
        user = users.get(username) if username else None
        LeadingGroupMember.objects.update_or_create(
            order=order,
            defaults={
                "name": name,
                "position": position,
                "role": role,
                "email": email or "",
                "user": user,
                "office": centre,
            },
        )

    today = timezone.localtime(now).date() if now else timezone.localdate()
    if not Complaint.objects.filter(association__isnull=False).exists():
        for days, index, anonymous, text in ASSOCIATION_COMPLAINTS:
            complaint_submit(
                data=ComplaintData(
                    complainant_type=ComplainantType.ENTERPRISE,
                    category=Category.ASSOCIATIONS,
                    description=text,
                    association=associations[index],
                ),
                identity=None
                if anonymous
                else IdentityData(
                    contact_name="刘经理", phone=f"1370000{days:04d}", enterprise_name="嘉禾商贸有限公司"
                ),
                received_at=_at(today, days),
            )
    if not Complaint.objects.filter(channel=Channel.CONDUCT_HOTLINE).exists():
        for days, short, category, anonymous, text in HOTLINE_CALLS:
            data = ComplaintData(
                complainant_type=ComplainantType.INDIVIDUAL,
                category=category,
                description=text,
                department=departments.get(short),
                department_text="" if short in departments else short,
            )
            complaint_submit(
                data=data,
                identity=None if anonymous else IdentityData(contact_name="", phone=f"1360000{days:04d}"),
                channel=Channel.CONDUCT_HOTLINE,
                source="行风热线",
                received_at=_at(today, days),
            )
    return {
        "associations": Association.objects.count(),
        "fee schedule items": FeeSchedule.objects.count(),
        "leading group members": LeadingGroupMember.objects.count(),
        "complaints about associations": Complaint.objects.filter(association__isnull=False).count(),
        "hotline calls": Complaint.objects.filter(channel=Channel.CONDUCT_HOTLINE).count(),
    }

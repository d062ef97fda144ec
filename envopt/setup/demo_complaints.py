"""Six quarters of demo complaints, ending today: a believable mix of units, categories,
channels, real-name and anonymous complainants, with more complaints against the key departments
and the categories each kind of unit draws. Filed through complaint_submit like real ones, each at
its own received time (the service takes ``received_at``; the demo clock stamps the rest), in the
order they arrived. Each carries a demo source label, so that a second run adds nothing.

The plan is drawn from a seeded random generator and today's date: the same day gives the same
complaints."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from complaints.models import Category, Channel, ComplainantType, Complaint
from complaints.services import ComplaintData, IdentityData, complaint_submit
from core.periods import SHANGHAI, Period
from envopt.setup.demo_clock import demo_clock_at
from liaison.models import Department, LiaisonPoint, Supervisor

DEMO_SOURCE = "演示数据 #%03d"
DEMO_SOURCE_PREFIX = "演示数据"
QUARTERS = 6
# Complaints received in each of the six quarters, oldest first (the last one, in progress, is
# cut at today): the programme becomes better known, with the usual dip after Spring Festival.
PER_QUARTER = [34, 41, 36, 47, 52, 55]

C = Category
STORIES: dict[str, list[str]] = {
    C.POLICY: [
        "区里公布的小微企业房租减免政策，到街道办理时工作人员说没有接到通知，不予办理。",
        "稳岗返还政策已经公布三个月，我们按要求提交了材料，至今没有任何答复，也查不到办理进度。",
    ],
    C.PERMITS: [
        "申请施工许可证，材料齐全却被要求先到三个科室分别盖章，来回跑了六趟，两个月还没批下来。",
        "办理排污许可延续，窗口受理后又让我们到局里业务科室再交一遍材料，两头办理，时限一拖再拖。",
        "食品经营许可变更，承诺五个工作日办结，实际拖了二十多天，问就说系统故障。",
    ],
    C.CHARGES: [
        "办理变更登记时被要求缴纳所谓的资料审核费三百元，没有收费依据，也不开发票。",
        "检测机构是主管部门指定的，收费比市场价高出一倍，不在这里检测就不给出具合格意见。",
    ],
    C.FINES: [
        "执法人员检查后当场罚款两千元，没有出具处罚决定书，只给了一张白条。",
        "货车在园区门口临时停靠五分钟就被罚款，同一天同一地点被罚了两次。",
    ],
    C.LEVIES: [
        "街道要求每家企业认购两千元的节日慰问品，说是上级摊派的任务。",
        "社区要求园区企业按员工人数分摊活动经费，不交就在评先评优时不予考虑。",
    ],
    C.INSPECTIONS: [
        "一个月内环保、安监、消防先后来了五批人检查，内容基本重复，每次都要求停产配合。",
        "同一个检查事项，区里查完市里又来查，两周内来了三次，每次都要重新准备全部台账。",
        "执法人员未出示证件、未告知检查依据就进入车间拍照，检查结束也不给检查记录。",
    ],
    C.INACTION: [
        "厂区门口道路塌陷三个月，多次向有关部门反映，一直说在研究，没有任何人来处理。",
        "企业被他人冒用名义注册了分公司，向登记机关举报两个月，至今没有立案也没有答复。",
    ],
    C.MISCONDUCT: [
        "专管员要求我们必须使用他指定的代账公司，否则发票申领就一拖再拖。",
        "执法人员要求企业购买其亲属经营的消防器材，不买就说整改不合格。",
    ],
    C.CORRUPTION: [
        "办理竣工验收时，经办人员暗示要请吃饭才能尽快安排验收。",
        "审批人员多次以各种理由推脱，私下提出要好处费才能加快办理。",
    ],
    C.HARM: [
        "已经签订的招商合同中承诺的配套电力迟迟不落实，工厂无法投产，损失严重。",
        "政府项目工程款拖欠一年多，企业多次催要无果，已影响发放工人工资。",
    ],
    C.CONDUCT: [
        "到窗口咨询时工作人员态度蛮横，不解释政策，只说回去等通知，拖了一个多月。",
        "打了十几次办事电话都没人接，到现场又被告知负责的人不在，让下周再来。",
    ],
    C.TRAINING: [
        "行业主管部门强制要求企业负责人参加收费培训，每人一千二百元，不参加就影响年审。",
        "主管部门组织的评比达标活动要求企业交参评费，不参加就在检查中重点关注。",
    ],
    C.ASSOCIATIONS: [
        "行业协会强制企业入会并缴纳会费五千元，不交就不给出具相关证明。",
        "办理审批前被要求必须找指定的中介机构出具报告，收费高、周期长，别家出具的不认可。",
    ],
    C.OPENNESS: [
        "办事指南上没有写明需要的材料清单，每次去都被告知还缺新的材料。",
        "收费项目和标准没有公示，问工作人员依据是什么，回答说是内部规定不能看。",
    ],
    C.OTHER: [
        "企业反映的问题转给相关部门后一直没有答复，希望纪委督促解决。",
        "企业搬迁补偿协议签订后，补偿款分批支付的时间一再推迟，希望督促兑现承诺。",
    ],
}
# What the complainant asks for, by the kind of problem ("" leaves the field empty, as many do).
OUTCOMES: dict[str, list[str]] = {
    C.POLICY: ["按政策规定办理", "给出书面答复", ""],
    C.PERMITS: ["尽快办结", "一次性告知所需材料", ""],
    C.CHARGES: ["退还费用并纠正", "公开收费依据", ""],
    C.FINES: ["撤销违规罚款", "依法处理责任人", ""],
    C.LEVIES: ["停止摊派并退还费用", ""],
    C.INSPECTIONS: ["停止重复检查", "合并检查、减少打扰", ""],
    C.INACTION: ["尽快处理", "给出书面答复", ""],
    C.MISCONDUCT: ["依法处理责任人", "停止刁难企业", ""],
    C.CORRUPTION: ["依法处理责任人", ""],
    C.HARM: ["兑现承诺", "赔偿企业损失", ""],
    C.CONDUCT: ["改进工作作风", "尽快办结", ""],
    C.TRAINING: ["取消强制培训", "退还费用", ""],
    C.ASSOCIATIONS: ["退还会费", "取消指定中介", ""],
    C.OPENNESS: ["公开办事指南和材料清单", "公开收费项目和标准", ""],
    C.OTHER: ["督促尽快答复", "兑现承诺", ""],
}

S = Department.System
# How often each kind of unit is complained about, and what about.
UNIT_WEIGHTS = {
    S.MARKET_REGULATION: 20,
    S.TAXATION: 13,
    S.CONSTRUCTION: 12,
    S.ENVIRONMENT: 10,
    S.ADMINISTRATIVE_SERVICE: 9,
    S.TRANSPORT: 8,
    S.QUALITY: 6,
    S.HUMAN_RESOURCES: 5,
    S.NATURAL_RESOURCES: 5,
    S.PUBLIC_SECURITY: 4,
    S.UTILITIES: 4,
    S.OTHER: 2,
}
UNKNOWN_UNIT_WEIGHT = 3  # the complainant could not name the unit
UNKNOWN_UNITS = ["开发区某执法中队", "街道办事处（名称不详）", "某检测中心"]
TYPICAL_CATEGORIES = {
    S.MARKET_REGULATION: [C.INSPECTIONS, C.FINES, C.PERMITS, C.CHARGES, C.CONDUCT],
    S.TAXATION: [C.MISCONDUCT, C.POLICY, C.CONDUCT, C.CHARGES],
    S.CONSTRUCTION: [C.PERMITS, C.CORRUPTION, C.HARM, C.INACTION],
    S.ENVIRONMENT: [C.INSPECTIONS, C.PERMITS, C.ASSOCIATIONS],
    S.ADMINISTRATIVE_SERVICE: [C.PERMITS, C.CONDUCT, C.OPENNESS],
    S.TRANSPORT: [C.FINES, C.INACTION, C.INSPECTIONS],
    S.QUALITY: [C.INSPECTIONS, C.CHARGES, C.TRAINING],
    S.HUMAN_RESOURCES: [C.POLICY, C.TRAINING, C.CONDUCT],
    S.NATURAL_RESOURCES: [C.PERMITS, C.HARM, C.INACTION],
    S.PUBLIC_SECURITY: [C.FINES, C.MISCONDUCT, C.CONDUCT],
    S.UTILITIES: [C.HARM, C.CHARGES, C.INACTION],
    S.OTHER: [C.INSPECTIONS, C.MISCONDUCT, C.OTHER],
}
CHANNEL_WEIGHTS = {
    Channel.WEB: 34,
    Channel.HOTLINE: 18,
    Channel.VISIT: 8,
    Channel.LIAISON_POINT: 9,
    Channel.SUPERVISOR: 6,
    Channel.LETTER: 6,
    Channel.EMAIL: 6,
    Channel.MEDIA: 4,
    Channel.HIGHER_AUTHORITY: 4,
    Channel.UNANNOUNCED_VISIT: 5,
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ["建国", "秀英", "志强", "海燕", "立新", "红梅", "国庆", "丽华", "晓东", "文静", "俊杰", "雅琴"]
ENTERPRISE_WORDS = [
    "华兴",
    "鑫源",
    "恒通",
    "瑞丰",
    "金禾",
    "远航",
    "宏达",
    "博创",
    "嘉禾",
    "永安",
    "天成",
    "众联",
]
ENTERPRISE_KINDS = [
    "机械制造有限公司",
    "商贸有限公司",
    "食品有限公司",
    "建筑工程有限公司",
    "物流有限公司",
    "科技有限公司",
]


# The newest complaints stand at fixed stages whatever the day, so that every role finds work
# in the demo: the triage queue, a case awaiting its disposition, one handled by the centre, and
# the market regulator's referrals (the demo department account) at each step. Position 0 is the
# newest complaint; the rest of the story stops wherever today falls.
PINNED_STAGES = {
    0: "received",
    1: "received",
    2: "received",
    3: "accepted",
    4: "sent",
    5: "acknowledged",
    6: "reported",
    7: "returned",
    8: "handling",
    9: "acknowledged",
    # About a month old: acknowledged but never reported, past its due date (the ladder's work).
    18: "acknowledged",
    23: "acknowledged",
}
PINNED_TO_THE_MARKET_REGULATOR = {"sent", "acknowledged", "reported", "returned"}
MARKET_REGULATOR = "市场监管局"


@dataclass
class DemoComplaint:
    """One complaint of the story and what happens to it (drawn in demo_cases)."""

    number: int
    received_at: dt.datetime
    complaint: Complaint | None = None
    pinned_stage: str = ""


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def demo_quarters(today: dt.date) -> list[Period]:
    """The six quarters of the story, oldest first, the last one containing today."""
    current = Period.containing(dt.datetime.combine(today, dt.time(12), tzinfo=SHANGHAI))
    return [current.shifted(-back) for back in range(QUARTERS - 1, -1, -1)]


def _office_hours(rng: random.Random, day: dt.date, *, any_day: bool) -> dt.datetime:
    """A moment on ``day`` when such a complaint arrives: the web form at any hour, the rest in
    office hours on a weekday."""
    if not any_day:
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        hour, minute = rng.randint(8, 16), rng.choice([0, 10, 20, 30, 40, 50])
    else:
        hour, minute = rng.choice([8, 9, 10, 11, 14, 15, 16, 19, 20, 21, 22]), rng.randint(0, 59)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def demo_received_times(today: dt.date, now: dt.datetime) -> list[dt.datetime]:
    """When each complaint of the story arrived, oldest first."""
    rng = random.Random("envopt-demo-received")  # noqa: S311 - not security
    times = []
    for quarter, count in zip(demo_quarters(today), PER_QUARTER, strict=True):
        last = min(quarter.last_day, today)
        span = (last - quarter.first_day).days + 1
        if quarter.contains(now):
            # The quarter in progress: as many as its elapsed share of a full one.
            count = max(3, round(count * span / ((quarter.last_day - quarter.first_day).days + 1)))
        for _ in range(count):
            day = quarter.first_day + dt.timedelta(days=rng.randrange(span))
            moment = _office_hours(rng, day, any_day=rng.random() < 0.35)
            if moment < quarter.start:
                moment = _office_hours(rng, quarter.first_day + dt.timedelta(days=2), any_day=False)
            if moment > now - dt.timedelta(hours=2):
                moment = now - dt.timedelta(hours=rng.randint(2, 30))
            times.append(moment)
    return sorted(times)


def demo_complaints_install(*, now: dt.datetime | None = None) -> list[DemoComplaint]:
    """File the demo complaints that are not there yet, oldest first; return every demo complaint
    of the story (new or already there) in the order received."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    departments = list(Department.objects.filter(is_active=True).order_by("name"))
    if not departments:
        return []
    points = list(LiaisonPoint.objects.select_related("user").order_by("appointed_on", "enterprise_name"))
    supervisors = list(Supervisor.objects.select_related("user").order_by("appointed_on", "name"))
    by_system: dict[str, list[Department]] = {}
    for department in departments:
        by_system.setdefault(department.system, []).append(department)
    existing = {
        c.source: c for c in Complaint.objects.filter(source__startswith=DEMO_SOURCE_PREFIX).order_by("pk")
    }
    market = next((d for d in departments if d.short_name == MARKET_REGULATOR), None)
    rng = random.Random("envopt-demo-complaints")  # noqa: S311 - the same spread every time
    story = []
    times = demo_received_times(today, now)
    for number, received_at in enumerate(times, start=1):
        pinned = PINNED_STAGES.get(len(times) - number, "")
        # Draw everything whether or not the complaint exists, so that the draws stay aligned.
        system = _weighted(
            rng, {**{s: w for s, w in UNIT_WEIGHTS.items() if s in by_system}, "": UNKNOWN_UNIT_WEIGHT}
        )
        department = rng.choice(by_system[system]) if system else None
        category = (
            rng.choice(TYPICAL_CATEGORIES[system])
            if system and rng.random() < 0.75
            else rng.choice(list(STORIES))
        )
        description = rng.choice(STORIES[category])
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        anonymous = rng.random() < 0.22
        individual = rng.random() < 0.12
        outcome = rng.choice(OUTCOMES[category])
        occurred_days = rng.randint(2, 40)
        person = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
        enterprise = f"{rng.choice(ENTERPRISE_WORDS)}{rng.choice(ENTERPRISE_KINDS)}"
        phone = f"139{rng.randrange(10**8):08d}"
        own_point = rng.random() < 0.4  # the demo liaison account's own point files a share
        unknown_unit = rng.choice(UNKNOWN_UNITS)
        if pinned in PINNED_TO_THE_MARKET_REGULATOR and market is not None:
            department = market
        item = DemoComplaint(number=number, received_at=received_at, pinned_stage=pinned)
        story.append(item)
        source = DEMO_SOURCE % number
        if source in existing:
            item.complaint = existing[source]
            continue
        point = supervisor = filer = None
        if channel == Channel.LIAISON_POINT and points:
            point = points[0] if own_point else points[number % len(points)]
            filer = point.user
        elif channel == Channel.SUPERVISOR and supervisors:
            supervisor = supervisors[0] if own_point else supervisors[number % len(supervisors)]
            filer = supervisor.user
        if channel in (Channel.LIAISON_POINT, Channel.SUPERVISOR):
            individual = False  # they file for enterprises
        with demo_clock_at(received_at):
            item.complaint = complaint_submit(
                data=ComplaintData(
                    complainant_type=ComplainantType.INDIVIDUAL if individual else ComplainantType.ENTERPRISE,
                    category=category,
                    description=description,
                    department=department,
                    department_text="" if department else unknown_unit,
                    occurred_on=(received_at - dt.timedelta(days=occurred_days)).date(),
                    occurred_place="经济开发区" if number % 3 else "市政务服务中心",
                    desired_outcome=outcome,
                ),
                identity=None
                if anonymous
                else IdentityData(
                    contact_name=person,
                    phone=phone,
                    enterprise_name="" if individual else enterprise,
                ),
                channel=channel,
                source=source,
                actor=filer,
                liaison_point=point,
                supervisor=supervisor,
                received_at=received_at,
                language="zh-hans",
            ).complaint
    return story

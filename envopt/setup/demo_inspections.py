"""Demo inspections of enterprises (issue 14): a registry of 300 enterprises with their
supervision codes, the inspecting units and item lists of five departments, this year's plans
(most filed in time, one late, one not filed), a year of inspections filed, entered, concluded
and rated through the real services, each step at its own moment (demo_clock), and one of each
flag the rules raise: over the cap, a cross inspection with its joint proposal, a repeated item,
a no-disturbance enterprise, an emergency entry, an outcome not recorded in time and a low
rating; the commission decides some of them and opens a case from one.

On every run, missing enterprises and codes (each with its QR code's scan secret and its private
link) are created by their natural keys and the units, lists and officers' accounts updated by
theirs; the story runs once (when any inspection exists it does nothing). Deterministic: a seeded
generator and dates counted from today."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from base64 import urlsafe_b64encode
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from complaints.models import Category
from core.calendar import WorkingCalendar, add_working_days
from core.ladder import escalation_sweep
from core.models import OutboundEmail
from core.periods import SHANGHAI
from core.validators import credit_code_check_character, organization_code_check_character
from envopt.setup.demo_cases import past_emails_delivered
from envopt.setup.demo_clock import demo_clock_at
from inspections.models import (
    InspectingUnit,
    Inspection,
    InspectionFlag,
    InspectionItem,
    InspectionPlan,
    SupervisionCode,
)
from inspections.services.cases import inspection_case_open
from inspections.services.codes import private_hash, scan_hash
from inspections.services.entry import inspection_enter, inspection_enter_emergency, inspection_outcome_record
from inspections.services.filing import inspection_file
from inspections.services.flags import APPROVE, JOINT, flag_decide
from inspections.services.plans import plan_due_date, plan_file, plans_open_year
from inspections.services.ratings import rating_add
from liaison.models import Department, Enterprise

ENTERPRISES = 300
INSPECTOR_GROUP = "Department inspector"
# The demo inspector who logs in (envopt.setup.demo.ACCOUNTS) files for the market regulator;
# the other departments' officers file through accounts that cannot log in.
MARKET = "市场监管局"
OFFICER_ACCOUNTS = {"税务局": "sw", "环保局": "hb", "住建局": "zjj", "交通局": "jt"}

# (district, administrative division code)
DISTRICTS = [
    ("上城区", "330102"),
    ("拱墅区", "330105"),
    ("西湖区", "330106"),
    ("滨江区", "330108"),
    ("萧山区", "330109"),
    ("余杭区", "330110"),
]
# industry, name ending, share of the registry (weights)
INDUSTRIES = [
    ("制造业", "机械制造有限公司", 24),
    ("批发零售", "商贸有限公司", 16),
    ("建筑业", "建设工程有限公司", 12),
    ("餐饮住宿", "餐饮管理有限公司", 12),
    ("软件信息", "信息技术有限公司", 10),
    ("物流运输", "物流有限公司", 10),
    ("农产品加工", "食品有限公司", 8),
    ("医药", "医药有限公司", 8),
]
NAME_HEADS = [
    "华兴",
    "鑫源",
    "恒通",
    "瑞丰",
    "金禾",
    "远航",
    "宏达",
    "博创",
    "盛世",
    "新锐",
    "嘉禾",
    "永安",
    "天成",
    "泰和",
    "众联",
]
NAME_MIDDLES = [
    "东方",
    "钱塘",
    "之江",
    "西溪",
    "湖畔",
    "运河",
    "临平",
    "望江",
    "九堡",
    "星桥",
    "良渚",
    "闻堰",
    "转塘",
    "三墩",
    "古荡",
    "丁桥",
    "笕桥",
    "彭埠",
    "四季",
    "明珠",
]
STREETS = ["文三路", "莫干山路", "江南大道", "建国北路", "市心中路", "文一西路", "秋涛路", "天目山路"]

# short name of the department -> (inspecting units, inspection items)
LISTS = {
    MARKET: (
        [
            (
                "市市场监督管理局综合行政执法队",
                "《中华人民共和国行政处罚法》第十八条；《市场监督管理行政处罚程序规定》第九条",
            )
        ],
        [
            (
                "SC-001",
                "食品经营许可及食品安全管理制度落实情况检查",
                "《中华人民共和国食品安全法》第八十七条、第一百一十条",
                ["餐饮住宿", "批发零售", "农产品加工"],
            ),
            ("SC-002", "产品质量监督抽查", "《中华人民共和国产品质量法》第十五条", ["制造业", "农产品加工"]),
            ("SC-003", "明码标价和价格行为检查", "《中华人民共和国价格法》第三十四条", []),
            (
                "SC-004",
                "特种设备使用单位安全管理检查",
                "《中华人民共和国特种设备安全法》第五十七条、第六十一条",
                [],
            ),
            (
                "SC-005",
                "药品经营质量管理规范执行情况检查",
                "《中华人民共和国药品管理法》第九十九条",
                ["医药"],
            ),
            ("SC-006", "企业年度报告公示信息抽查", "《企业信息公示暂行条例》第十四条", []),
        ],
    ),
    "税务局": (
        [("市税务局第一稽查局", "《中华人民共和国税收征收管理法》第十四条、第五十四条")],
        [
            ("SW-001", "发票开具、使用和取得情况检查", "《中华人民共和国发票管理办法》第三十五条", []),
            ("SW-002", "纳税申报和税款缴纳情况检查", "《中华人民共和国税收征收管理法》第五十四条", []),
            (
                "SW-003",
                "出口退（免）税情况核查",
                "《出口货物劳务增值税和消费税管理办法》第十二条",
                ["制造业", "批发零售"],
            ),
        ],
    ),
    "环保局": (
        [("市生态环境保护综合行政执法队", "《中华人民共和国环境保护法》第二十四条")],
        [
            (
                "HB-001",
                "排污许可证执行情况检查",
                "《排污许可管理条例》第二十八条",
                ["制造业", "医药", "农产品加工"],
            ),
            (
                "HB-002",
                "危险废物贮存、转移和处置情况检查",
                "《中华人民共和国固体废物污染环境防治法》第二十六条",
                ["制造业", "医药"],
            ),
            (
                "HB-003",
                "建设项目环境影响评价和“三同时”执行情况检查",
                "《中华人民共和国环境影响评价法》第二十五条；《建设项目环境保护管理条例》第十九条",
                [],
            ),
            (
                "HB-004",
                "餐饮油烟净化设施运行检查",
                "《中华人民共和国大气污染防治法》第八十一条",
                ["餐饮住宿"],
            ),
        ],
    ),
    "住建局": (
        [("市住房和城乡建设局建设工程安全质量监督站", "《建设工程安全生产管理条例》第四十条")],
        [
            ("ZJ-001", "建筑施工安全生产检查", "《建设工程安全生产管理条例》第四十三条", ["建筑业"]),
            ("ZJ-002", "建设工程质量检查", "《建设工程质量管理条例》第四十七条", ["建筑业"]),
            ("ZJ-003", "建筑施工企业资质动态核查", "《建筑业企业资质管理规定》第二十八条", ["建筑业"]),
        ],
    ),
    "交通局": (
        [("市交通运输综合行政执法队", "《中华人民共和国道路运输条例》第五十八条")],
        [
            (
                "JT-001",
                "道路运输经营资质和车辆技术状况检查",
                "《中华人民共和国道路运输条例》第六十条",
                ["物流运输"],
            ),
            (
                "JT-002",
                "危险货物道路运输安全检查",
                "《危险货物道路运输安全管理办法》第六十三条",
                ["物流运输", "医药"],
            ),
        ],
    ),
}
# Which departments' inspectors visit most: the market regulator and the tax bureau reach every
# industry, the others their own.
DEPARTMENT_WEIGHTS = {MARKET: 5, "税务局": 3, "环保局": 3, "住建局": 4, "交通局": 4}
OFFICER_NAMES = ["王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵军", "黄敏", "周涛", "吴倩"]
KINDS = [("routine", 50), ("random", 30), ("complaint", 10), ("special", 10)]
OUTCOME_NOTES = {
    Inspection.Outcome.PROBLEMS: [
        "发现台账记录不全，已责令七日内整改并提交整改报告。",
        "部分设备未按期检验，已下达整改通知书。",
        "现场标价签与实际收费不一致，已责令立即改正。",
    ],
    Inspection.Outcome.DECISION: [
        "发现违法行为，已立案调查，拟作出警告并处罚款的行政处罚决定。",
        "已作出责令停止违法行为、限期改正的决定。",
    ],
}
RATING_COMMENTS = {
    5: ["检查人员亮证执法，流程规范，没有影响正常生产。", "一次查完，还讲解了政策，很有帮助。", ""],
    4: ["检查规范，但提前通知时间较短。", ""],
    3: ["检查时间较长，材料要求较多。", ""],
    2: ["同样的材料今年已经提交过两次。"],
    1: ["检查人员态度生硬，要求停工配合半天。"],
}
PLAN_SUMMARY = (
    "按照“双随机、一公开”要求，全年计划对辖区内企业开展检查{count}次，其中随机抽查不低于七成；"
    "对A类企业原则上每年不超过一次，能合并的纳入“综合查一次”联合检查。"
)


def _demo_secret(label: str, credit_code: str) -> str:
    digest = hashlib.sha256(f"{label}:{credit_code}".encode()).digest()[:16]
    return urlsafe_b64encode(digest).decode().rstrip("=")


def demo_code_secret(credit_code: str) -> str:
    """The demo enterprise's QR code (scan) secret: fixed (like the demo passwords) so that the
    printed link stays valid across runs; 22 URL-safe characters, as a real secret has. The
    label is the one the single secret had, so demo codes printed before keep scanning."""
    return _demo_secret("envopt-demo-supervision-code", credit_code)


def demo_private_secret(credit_code: str) -> str:
    """The demo enterprise's private link secret: fixed too, and unrelated to the scan secret."""
    return _demo_secret("envopt-demo-private-link", credit_code)


def demo_credit_code(n: int) -> str:
    division = DISTRICTS[n % len(DISTRICTS)][1]
    body = f"{52000000 + n:08d}"
    first = "91" + division + body + organization_code_check_character(body)
    return first + credit_code_check_character(first)


def demo_enterprise_link() -> tuple[str, str]:
    """The enterprise whose page `make run` prints, and its private link."""
    credit_code = demo_credit_code(0)
    name = Enterprise.objects.filter(credit_code=credit_code).values_list("name", flat=True).first() or ""
    return name, settings.SITE_URL + reverse(
        "inspection_entry:enterprise_open", args=[demo_private_secret(credit_code)]
    )


def demo_scan_link() -> str:
    """What the same enterprise's QR code on the wall carries: the inspector's scan-to-enter link."""
    return settings.SITE_URL + reverse(
        "inspection_entry:scan_open", args=[demo_code_secret(demo_credit_code(0))]
    )


def demo_inspection_logins() -> list[str]:
    name, link = demo_enterprise_link()
    return [
        f"  Scan-to-enter link of {name} (its QR code; log in as inspector): {demo_scan_link()}",
        f"  Enterprise page of {name} (its private link): {link}",
    ]


# --- registry, lists, accounts: updated on every run ---------------------------------------------


def _registry() -> list[Enterprise]:
    rng = random.Random("envopt-demo-enterprises")  # noqa: S311 - not security
    industries = [industry for industry, _ending, weight in INDUSTRIES for _ in range(weight)]
    endings = {industry: ending for industry, ending, _weight in INDUSTRIES}
    wanted = []
    for n in range(ENTERPRISES):
        industry = rng.choice(industries)
        risk = rng.choices("ABCD", weights=[30, 45, 18, 7])[0]
        district, _division = DISTRICTS[n % len(DISTRICTS)]
        head = NAME_HEADS[n % len(NAME_HEADS)]
        middle = NAME_MIDDLES[(n // len(NAME_HEADS)) % len(NAME_MIDDLES)]
        wanted.append(
            Enterprise(
                credit_code=demo_credit_code(n),
                name=f"杭州{head}{middle}{endings[industry]}",
                address=f"{district}{rng.choice(STREETS)}{rng.randint(1, 399)}号",
                district=district,
                industry=industry,
                risk_class=risk,
                # A few good-credit enterprises are left alone unless something happens (无事不扰).
                no_disturbance=risk == "A" and n % 6 == 1,
            )
        )
    existing = set(
        Enterprise.objects.filter(credit_code__in=[e.credit_code for e in wanted]).values_list(
            "credit_code", flat=True
        )
    )
    Enterprise.objects.bulk_create([e for e in wanted if e.credit_code not in existing])
    by_code = Enterprise.objects.in_bulk([e.credit_code for e in wanted], field_name="credit_code")
    enterprises = [by_code[e.credit_code] for e in wanted]
    codes = SupervisionCode.objects.filter(enterprise__in=enterprises)
    have_code = set(codes.values_list("enterprise_id", flat=True))
    now = timezone.now()
    SupervisionCode.objects.bulk_create(
        SupervisionCode(
            enterprise=e,
            scan_hash=scan_hash(demo_code_secret(e.credit_code)),
            scan_issued_at=now,
            private_hash=private_hash(demo_private_secret(e.credit_code)),
            private_issued_at=now,
        )
        for e in enterprises
        if e.pk not in have_code
    )
    # Codes made before the enterprise's private link existed get theirs.
    without_link = list(codes.filter(private_hash=None).select_related("enterprise"))
    for code in without_link:
        code.private_hash = private_hash(demo_private_secret(code.enterprise.credit_code))
        code.private_issued_at = now
    SupervisionCode.objects.bulk_update(without_link, ["private_hash", "private_issued_at"])
    return enterprises


@dataclass
class DemoDepartment:
    department: Department
    unit: InspectingUnit
    items: list[InspectionItem]
    officer: object  # the account that files, enters and records
    officers: list[dict]

    def items_for(self, enterprise: Enterprise) -> list[InspectionItem]:
        return [item for item in self.items if not item.industries or enterprise.industry in item.industries]


def _lists(inspector) -> dict[str, DemoDepartment]:
    User = get_user_model()
    group = Group.objects.get(name=INSPECTOR_GROUP)
    result = {}
    for number, (short, (units, items)) in enumerate(LISTS.items()):
        department = Department.objects.get(short_name=short)
        unit = None
        for name, basis in units:
            unit, _created = InspectingUnit.objects.update_or_create(
                department=department, name=name, defaults={"legal_basis": basis, "is_active": True}
            )
        listed = []
        for code, name, basis, industries in items:
            item, _created = InspectionItem.objects.update_or_create(
                department=department,
                code=code,
                defaults={"name": name, "legal_basis": basis, "industries": industries, "is_active": True},
            )
            listed.append(item)
        if short == MARKET:
            officer = inspector
        else:
            officer, created = User.objects.get_or_create(
                username=f"inspector-{OFFICER_ACCOUNTS[short]}",
                defaults={"first_name": f"{short}执法检查员"},
            )
            if created:
                officer.set_unusable_password()
                officer.save(update_fields=["password"])
            officer.groups.set([group])
        department.members.add(officer)
        officers = [
            {
                "name": OFFICER_NAMES[(2 * number + k) % len(OFFICER_NAMES)],
                "certificate": f"33010{number}{k:02d}{731 + k}",
            }
            for k in range(2)
        ]
        result[short] = DemoDepartment(department, unit, listed, officer, officers)
    return result


# --- the story: runs once -----------------------------------------------------------------------


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


class InspectionStory:
    def __init__(self, now: dt.datetime, departments: dict[str, DemoDepartment], handler) -> None:
        self.now, self.departments, self.handler = now, departments, handler
        self.today = timezone.localtime(now).date()
        self.rng = random.Random("envopt-demo-inspections")  # noqa: S311 - not security
        self.calendar = WorkingCalendar()

    def past(self, moment: dt.datetime) -> bool:
        return moment <= self.now

    def file(
        self,
        short: str,
        enterprise: Enterprise,
        planned_on: dt.date,
        *,
        items=None,
        lead: int = 7,
        kind: str | None = None,
    ) -> Inspection | None:
        """File ``lead`` days before ``planned_on`` (never later than now)."""
        d = self.departments[short]
        items = items or self.rng.sample(d.items_for(enterprise), k=min(2, len(d.items_for(enterprise))))
        at = min(_at(planned_on - dt.timedelta(days=lead), 10, 30), self.now - dt.timedelta(minutes=30))
        if at.astimezone(SHANGHAI).date() > planned_on:
            return None
        kind = kind or self.rng.choices([k for k, _w in KINDS], weights=[w for _k, w in KINDS])[0]
        with demo_clock_at(at):
            return inspection_file(
                department=d.department,
                unit=d.unit,
                enterprise=enterprise,
                items=items,
                kind=kind,
                legal_basis="",
                planned_on=planned_on,
                officers=d.officers,
                actor=d.officer,
            )

    def enter(self, inspection: Inspection | None) -> bool:
        if inspection is None or inspection.status != Inspection.Status.FILED:
            return False
        at = _at(inspection.planned_on, 9, 30)
        if not self.past(at):
            return False
        with demo_clock_at(at):
            inspection_enter(
                inspection=inspection,
                enterprise=inspection.enterprise,
                actor=self.departments_by_pk[inspection.department_id].officer,
            )
        return True

    @property
    def departments_by_pk(self) -> dict[int, DemoDepartment]:
        return {d.department.pk: d for d in self.departments.values()}

    def conclude(
        self, inspection: Inspection, *, outcome: str | None = None, days: int = 1
    ) -> dt.datetime | None:
        at = _at(add_working_days(inspection.planned_on, days, calendar=self.calendar).due_date, 16)
        if not self.past(at):
            return None
        outcome = (
            outcome
            or self.rng.choices(
                [Inspection.Outcome.NO_PROBLEM, Inspection.Outcome.PROBLEMS, Inspection.Outcome.DECISION],
                weights=[70, 24, 6],
            )[0]
        )
        note = "" if outcome == Inspection.Outcome.NO_PROBLEM else self.rng.choice(OUTCOME_NOTES[outcome])
        with demo_clock_at(at):
            inspection_outcome_record(
                inspection=inspection,
                outcome=outcome,
                note=note,
                actor=self.departments_by_pk[inspection.department_id].officer,
            )
        return at

    def rate(self, inspection: Inspection, after: dt.datetime, score: int | None = None) -> None:
        at = after + dt.timedelta(days=self.rng.randint(1, 6), hours=1)
        if not self.past(at):
            return
        score = score or self.rng.choices([5, 4, 3, 2, 1], weights=[58, 27, 9, 4, 2])[0]
        with demo_clock_at(at):
            rating_add(
                inspection=inspection,
                enterprise=inspection.enterprise,
                score=score,
                comment=self.rng.choice(RATING_COMMENTS[score]),
            )

    def visit(self, short: str, enterprise: Enterprise, planned_on: dt.date, *, rate: bool = True, **kwargs):
        """File, enter, conclude and (mostly) rate, as far as today allows."""
        inspection = self.file(short, enterprise, planned_on, **kwargs)
        if self.enter(inspection):
            concluded = self.conclude(inspection, days=self.rng.randint(1, 4))
            if concluded and rate and self.rng.random() < 0.75:
                self.rate(inspection, concluded)
        return inspection

    # --- the parts of the story ---

    def plans(self) -> None:
        year = self.today.year
        opened = _at(dt.date(year, 1, 2), 9)
        if not self.past(opened):
            return
        with demo_clock_at(opened):
            plans_open_year(year)
        due = plan_due_date(year)
        plans = (
            InspectionPlan.objects.filter(year=year).select_related("department").order_by("department__name")
        )
        for index, plan in enumerate(plans):
            short = plan.department.short_name
            if short == "消防支队":
                continue  # not filed: overdue, on the ladder
            late = short == "自然资源局"
            day = due + dt.timedelta(days=16) if late else due - dt.timedelta(days=3 + 2 * index)
            at = _at(day, 15)
            if not self.past(at):
                continue
            count = 40 + 15 * (index % 5)
            d = self.departments.get(short)
            with demo_clock_at(at):
                plan_file(
                    plan,
                    summary=PLAN_SUMMARY.format(count=count),
                    planned_count=count,
                    actor=d.officer if d else self.handler,
                )

    def background(self, enterprises: list[Enterprise]) -> None:
        """A year of ordinary inspections: one or two departments per enterprise, months apart."""
        for enterprise in enterprises:
            eligible = [short for short, d in self.departments.items() if d.items_for(enterprise)]
            weights = [DEPARTMENT_WEIGHTS[short] for short in eligible]
            first = self.rng.choices(eligible, weights=weights)[0]
            day = self.today - dt.timedelta(days=self.rng.randint(12, 330))
            self.visit(first, enterprise, day)
            others = [short for short in eligible if short != first]
            if others and self.rng.random() < 0.3:
                later = day + dt.timedelta(days=self.rng.randint(95, 160))
                if later < self.today - dt.timedelta(days=2):
                    self.visit(self.rng.choice(others), enterprise, later)

    def upcoming(self, enterprises: list[Enterprise]) -> None:
        """Filed for the coming weeks; the first is today's, ready to be entered by scanning."""
        for index, enterprise in enumerate(enterprises):
            short = MARKET if index % 2 == 0 else self.rng.choice(list(self.departments))
            if not self.departments[short].items_for(enterprise):
                short = MARKET
            self.file(short, enterprise, self.today + dt.timedelta(days=index * 2), lead=3)

    def same_year(self, gap: int) -> tuple[dt.date, dt.date]:
        """Two past days ``gap`` days apart in one calendar year, the later three weeks ago."""
        later = self.today - dt.timedelta(days=21)
        earlier = later - dt.timedelta(days=gap)
        if earlier.year != later.year:
            later = dt.date(earlier.year, 12, 15)
            earlier = later - dt.timedelta(days=gap)
        return earlier, later

    def flags(self, scenario: list[Enterprise]) -> None:
        e = iter(scenario)
        market = self.departments[MARKET]

        # Over the cap: a class-A enterprise (one a year) filed a second time by the same department.
        for decide in (False, True):
            enterprise = next(e)
            Enterprise.objects.filter(pk=enterprise.pk).update(risk_class="A", no_disturbance=False)
            enterprise.refresh_from_db()
            earlier, _later = self.same_year(120)
            self.visit(MARKET, enterprise, earlier, rate=False, items=[market.items[2]])
            second_day = min(self.today + dt.timedelta(days=9), dt.date(earlier.year, 12, 31))
            second = self.file(
                MARKET, enterprise, max(second_day, self.today), lead=2, items=[market.items[5]]
            )
            if decide and second is not None:
                self._decide(second, InspectionFlag.Kind.OVER_CAP, APPROVE, "专项检查确有必要，同意实施。")

        # Cross: the environment bureau, then the market regulator 12 days later; a joint
        # inspection is proposed to both; once the commission orders it.
        for decide in (False, True):
            enterprise = next(e)
            Enterprise.objects.filter(pk=enterprise.pk).update(
                industry="制造业", no_disturbance=False, risk_class="C"
            )
            enterprise.refresh_from_db()
            first_day = self.today + dt.timedelta(days=6 if decide else 15)
            self.file("环保局", enterprise, first_day, lead=4)
            second = self.file(MARKET, enterprise, first_day + dt.timedelta(days=12), lead=3)
            if decide and second is not None:
                self._decide(
                    second,
                    InspectionFlag.Kind.CROSS,
                    JOINT,
                    "两部门检查时间相近，请合并为一次联合检查（综合查一次）。",
                )

        # Repeated: the same item inspected twice in a year by the market regulator; the
        # commission opens a case from it.
        enterprise = next(e)
        Enterprise.objects.filter(pk=enterprise.pk).update(risk_class="C", no_disturbance=False)
        enterprise.refresh_from_db()
        earlier, later = self.same_year(70)
        self.visit(MARKET, enterprise, earlier, rate=False, items=[market.items[2]])
        repeated = self.visit(MARKET, enterprise, later, rate=False, items=[market.items[2]])
        if repeated is not None:
            self._case(repeated, InspectionFlag.Kind.REPEATED)

        # No-disturbance: two filings held for approval; one approved.
        for decide in (False, True):
            enterprise = next(e)
            Enterprise.objects.filter(pk=enterprise.pk).update(no_disturbance=True, risk_class="A")
            enterprise.refresh_from_db()
            second = self.file(
                "税务局", enterprise, self.today + dt.timedelta(days=8 if decide else 20), lead=2
            )
            if decide and second is not None:
                self._decide(
                    second,
                    InspectionFlag.Kind.NO_DISTURBANCE,
                    APPROVE,
                    "企业涉嫌虚开发票线索明确，同意检查。",
                )

        # Emergency entry: the environment bureau entered at night on a report of illegal discharge.
        enterprise = next(e)
        Enterprise.objects.filter(pk=enterprise.pk).update(industry="制造业", no_disturbance=False)
        enterprise.refresh_from_db()
        day = self.today - dt.timedelta(days=16)
        environment = self.departments["环保局"]
        with demo_clock_at(_at(day, 22, 40)):
            emergency = inspection_enter_emergency(
                enterprise=enterprise,
                department=environment.department,
                reason="群众举报企业夜间通过暗管偷排生产废水，污染持续发生，需立即进入现场取证。",
                items=[environment.items[0]],
                actor=environment.officer,
            )
        self.conclude(emergency, outcome=Inspection.Outcome.DECISION, days=2)

        # An outcome not recorded in time: the construction bureau entered a month ago; today's
        # sweep of the ladder raises the flag.
        enterprise = next(e)
        Enterprise.objects.filter(pk=enterprise.pk).update(industry="建筑业", no_disturbance=False)
        enterprise.refresh_from_db()
        late = self.file("住建局", enterprise, self.today - dt.timedelta(days=30), lead=5)
        self.enter(late)

        # A low rating of an otherwise ordinary visit.
        enterprise = next(e)
        Enterprise.objects.filter(pk=enterprise.pk).update(
            industry="物流运输", no_disturbance=False, risk_class="B"
        )
        enterprise.refresh_from_db()
        low = self.file("交通局", enterprise, self.today - dt.timedelta(days=40), lead=6)
        if self.enter(low):
            concluded = self.conclude(low, outcome=Inspection.Outcome.PROBLEMS)
            if concluded:
                self.rate(low, concluded, score=1)

    def _decide(self, inspection: Inspection, kind: str, decision: str, note: str) -> None:
        flag = InspectionFlag.objects.filter(inspection=inspection, kind=kind).first()
        if flag is None:
            return
        with demo_clock_at(self.now - dt.timedelta(hours=20)):
            flag_decide(flag=flag, decision=decision, note=note, actor=self.handler)

    def _case(self, inspection: Inspection, kind: str) -> None:
        flag = InspectionFlag.objects.filter(inspection=inspection, kind=kind).first()
        if flag is None:
            return
        codes = "、".join(item.code for item in inspection.items.all())
        with demo_clock_at(self.now - dt.timedelta(days=2, hours=3)):
            inspection_case_open(
                inspection=inspection,
                flag=flag,
                category=Category.INSPECTIONS,
                description=(
                    f"{inspection.department}年内对同一企业重复检查同一事项"
                    f"（{codes}），请核查检查的必要性和审批情况。"
                ),
                actor=self.handler,
            )


def demo_inspections_install(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The registry and lists (every run) and the story of the year's inspections (once)."""
    now = now or timezone.now()
    User = get_user_model()
    inspector = User.objects.get(username="inspector")
    enterprises = _registry()
    departments = _lists(inspector)
    if not Inspection.objects.exists():
        last_email = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        story = InspectionStory(now, departments, User.objects.get(username="handler"))
        story.plans()
        ordinary = [e for e in enterprises[:190] if not e.no_disturbance]
        story.background(ordinary)
        story.upcoming([e for e in enterprises[230:250] if not e.no_disturbance])
        story.flags(enterprises[260:])
        past_emails_delivered(after=last_email, before=now - dt.timedelta(days=1))
        with demo_clock_at(now):
            escalation_sweep(now=now)
    return {"enterprises": len(enterprises), "inspections": Inspection.objects.count()}

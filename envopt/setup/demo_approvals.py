"""Demo electronic supervision of approvals (issue 15): a catalogue of three dozen items across
the demo departments with their steps and fees, and about three thousand approval records over
the last two quarters, pushed through the ingestion service (``records_ingest``) in batches as a
service hall's system would push them.

The records are crafted so that, once the signals are evaluated, every kind appears: decisions
after the promised day, pending records past it, records due on the next working day, a step
over its own limit, refusals without a reason, fees outside the schedule or above it, in-hall
items accepted in the department (体外循环) or accepted in the hall and decided in the
department (两头办理). Most records are in order. One refusal without a reason is turned into a
case through the approvals channel, as the commission would after its red signal.

The catalogue is updated by its item codes on every run; the records are pushed once (when any
record exists, nothing more is done). Deterministic: a seeded generator and dates counted from
today."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.models import ApprovalFee, ApprovalItem, ApprovalRecord, ApprovalSignal, ApprovalStep
from approvals.services.cases import signal_case_open
from approvals.services.ingest import records_ingest
from core.calendar import WorkingCalendar
from core.periods import SHANGHAI, Period
from envopt.setup.demo_clock import demo_clock_at
from envopt.setup.demo_inspections import ENTERPRISES, demo_credit_code
from liaison.models import Department

K = ApprovalItem.Kind
RECORDS = 3000
BATCH = 500

# department (short name), code, name, kind, statutory days, promised days, in the hall, fees
# (code, name, amount). The codes follow the province's catalogue: department prefix and number.
CATALOGUE = [
    (
        "市场监管局",
        "SC-001",
        "食品经营许可",
        K.LICENCE,
        20,
        10,
        True,
        [("SC-F1", "食品经营许可证工本费", "10")],
    ),
    ("市场监管局", "SC-002", "企业设立登记", K.LICENCE, 15, 3, True, []),
    ("市场监管局", "SC-003", "企业变更登记", K.LICENCE, 15, 3, True, []),
    (
        "市场监管局",
        "SC-004",
        "药品零售企业许可",
        K.LICENCE,
        30,
        15,
        True,
        [("SC-F2", "药品经营许可证工本费", "20")],
    ),
    ("市场监管局", "SC-005", "特种设备使用登记", K.NON_LICENCE, 15, 5, True, []),
    ("税务局", "SW-001", "增值税一般纳税人登记", K.NON_LICENCE, 10, 2, True, []),
    ("税务局", "SW-002", "发票领用核定", K.SERVICE, 5, 1, True, []),
    ("税务局", "SW-003", "出口退（免）税备案", K.FILING, 5, 2, True, []),
    ("质监局", "ZJ-001", "工业产品生产许可", K.LICENCE, 60, 30, True, [("ZJ-F1", "产品检验费", "800")]),
    ("质监局", "ZJ-002", "检验检测机构资质认定", K.LICENCE, 45, 20, True, [("ZJ-F2", "资质评审费", "1500")]),
    ("质监局", "ZJ-003", "计量标准器具核准", K.LICENCE, 20, 10, True, [("ZJ-F3", "计量检定费", "300")]),
    ("环保局", "HB-001", "建设项目环境影响报告书审批", K.LICENCE, 60, 30, True, []),
    ("环保局", "HB-002", "建设项目环境影响报告表审批", K.LICENCE, 30, 15, True, []),
    ("环保局", "HB-003", "排污许可证核发", K.LICENCE, 30, 20, True, []),
    ("环保局", "HB-004", "危险废物经营许可", K.LICENCE, 20, 15, False, []),
    ("住建局", "ZJJ-001", "建筑工程施工许可", K.LICENCE, 15, 5, True, []),
    ("住建局", "ZJJ-002", "商品房预售许可", K.LICENCE, 20, 10, True, [("ZJJ-F1", "预售许可测绘费", "2000")]),
    ("住建局", "ZJJ-003", "建筑业企业资质核准", K.LICENCE, 20, 15, True, []),
    ("住建局", "ZJJ-004", "竣工验收备案", K.FILING, 15, 5, True, []),
    (
        "交通局",
        "JT-001",
        "道路货物运输经营许可",
        K.LICENCE,
        20,
        10,
        True,
        [("JT-F1", "道路运输证工本费", "15")],
    ),
    (
        "交通局",
        "JT-002",
        "道路旅客运输经营许可",
        K.LICENCE,
        20,
        15,
        True,
        [("JT-F1", "道路运输证工本费", "15")],
    ),
    ("交通局", "JT-003", "公路超限运输许可", K.LICENCE, 15, 5, True, []),
    ("交通局", "JT-004", "出租汽车经营许可", K.LICENCE, 20, 10, True, []),
    ("公安局", "GA-001", "公章刻制备案", K.FILING, 5, 1, True, []),
    ("公安局", "GA-002", "剧毒化学品购买许可", K.LICENCE, 10, 3, True, []),
    ("公安局", "GA-003", "大型群众性活动安全许可", K.LICENCE, 20, 7, False, []),
    ("人社局", "RS-001", "劳务派遣经营许可", K.LICENCE, 20, 10, True, []),
    ("人社局", "RS-002", "人力资源服务许可", K.LICENCE, 20, 10, True, []),
    ("人社局", "RS-003", "特殊工时制度审批", K.NON_LICENCE, 20, 10, True, []),
    ("自然资源局", "ZR-001", "建设用地规划许可", K.LICENCE, 20, 10, True, []),
    (
        "自然资源局",
        "ZR-002",
        "建设工程规划许可",
        K.LICENCE,
        20,
        10,
        True,
        [("ZR-F1", "规划核验测量费", "500")],
    ),
    ("自然资源局", "ZR-003", "不动产首次登记", K.SERVICE, 30, 5, True, [("ZR-F2", "不动产登记费", "550")]),
    ("行政服务中心", "FW-001", "企业投资项目备案", K.FILING, 5, 2, True, []),
    ("行政服务中心", "FW-002", "企业投资项目核准", K.LICENCE, 20, 10, True, []),
    ("消防支队", "XF-001", "公众聚集场所投入使用前消防安全检查", K.LICENCE, 10, 7, True, []),
    ("消防支队", "XF-002", "建设工程消防验收", K.LICENCE, 15, 10, True, []),
]

OFFICERS = ["窗口 王丽", "窗口 陈静", "科员 李明", "科员 赵阳", "科长 孙伟", "科长 周强", "局领导 吴刚"]
REASON = "申请材料不齐全，经一次性告知后逾期未补正，依据《行政许可法》第三十二条不予受理。"
APPLICANTS = [
    "杭州华兴机械制造有限公司",
    "杭州鑫源商贸有限公司",
    "杭州恒通物流有限公司",
    "杭州瑞丰食品有限公司",
]

# The share of each story among the records (the rest are in order).
STORIES = [
    ("late", 6),  # decided after the promised day
    ("step_over", 4),  # the review step over its own limit, the decision still on time
    ("no_reason", 2),  # refused without a reason
    ("refused", 4),  # refused with its reason: in order
    ("fee_outside", 2),  # a fee not in the item's schedule
    ("fee_above", 2),  # a fee above its approved amount
    ("outside_hall", 2),  # an in-hall item accepted and decided in the department
    ("two_ends", 2),  # an in-hall item accepted in the hall, decided in the department
    ("withdrawn", 2),
    ("ok", 74),
]


def _catalogue() -> list[ApprovalItem]:
    """Create or update the demo catalogue by item code, with its steps and fees."""
    departments = {
        d.short_name: d for d in Department.objects.filter(short_name__in={c[0] for c in CATALOGUE})
    }
    items = []
    for short, code, name, kind, statutory, promised, in_hall, fees in CATALOGUE:
        department = departments.get(short)
        if department is None:
            continue
        item, _created = ApprovalItem.objects.update_or_create(
            code=f"330100-{code}",
            defaults={
                "department": department,
                "name": name,
                "kind": kind,
                "statutory_days": statutory,
                "promised_days": promised,
                "in_hall": in_hall,
                "window_authorised": code != "HB-001",
            },
        )
        review = max(1, promised - 2)
        for position, (step_name, limit) in enumerate([("受理", 1), ("审查", review), ("决定", 1)], start=1):
            ApprovalStep.objects.update_or_create(
                item=item, position=position, defaults={"name": step_name, "limit_days": limit}
            )
        for fee_code, fee_name, amount in fees:
            ApprovalFee.objects.update_or_create(
                item=item,
                code=fee_code,
                defaults={"name": fee_name, "legal_basis": "浙价费〔2017〕号文件", "amount": Decimal(amount)},
            )
        items.append(item)
    return items


class _Days:
    """Working-day arithmetic on one calendar snapshot (the demo's dates, a few hundred days)."""

    def __init__(self, first: dt.date, last: dt.date):
        self.calendar = WorkingCalendar()
        self.calendar.load(first, last)

    def working(self, day: dt.date) -> bool:
        return self.calendar.day(day)[0]

    def after(self, day: dt.date, n: int) -> dt.date:
        counted = 0
        while counted < n:
            day += dt.timedelta(days=1)
            counted += self.working(day)
        return day

    def before(self, day: dt.date, n: int) -> dt.date:
        counted = 0
        while counted < n:
            day -= dt.timedelta(days=1)
            counted += self.working(day)
        return day


def _at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI).isoformat()


def _record(n, item, accepted: dt.date, story: str, days: _Days, today: dt.date, rng, fees) -> dict:
    promised = item.promised_days
    due = days.after(accepted, promised)
    hour = 9 + n % 7
    accepted_at = _at(accepted, hour, (n * 7) % 60)
    if story == "late":
        decided = days.after(due, 1 + n % 4)
    elif story == "step_over":
        decided = due
    else:
        decided = days.after(accepted, max(1, promised - rng.randint(0, max(0, promised - 1))))
    in_hall = item.in_hall
    row = {
        "external_id": f"DEMO-{accepted:%Y%m%d}-{n:05d}",
        "item_code": item.code,
        "applicant_credit_code": demo_credit_code(n % ENTERPRISES),
        "applicant_name": APPLICANTS[n % len(APPLICANTS)],
        "accepted_at": accepted_at,
        "accepted_where": ("online" if n % 3 == 0 else "hall") if in_hall else "department",
        "decision": "approved",
        "decided_where": "hall" if in_hall else "department",
        "refusal_reason": "",
        "steps": [],
        "fees": [],
    }
    if story == "outside_hall" and in_hall:
        row["accepted_where"], row["decided_where"] = "department", "department"
    elif story == "two_ends" and in_hall:
        row["accepted_where"], row["decided_where"] = "hall", "department"
    # Steps: acceptance on the day, the review, the decision on the decision day.
    review_end = days.before(decided, 1) if decided > accepted else decided
    if story == "step_over":
        review_end = decided  # the review takes every day to the decision: over its own limit
    review_end = max(review_end, accepted)
    moment = dt.datetime.fromisoformat(accepted_at)
    accepted_end = (moment + dt.timedelta(minutes=20)).isoformat()
    steps = [
        {"position": 1, "name": "受理", "started_at": accepted_at, "finished_at": accepted_end},
        {"position": 2, "name": "审查", "started_at": accepted_end, "finished_at": _at(review_end, 16, 30)},
        {
            "position": 3,
            "name": "决定",
            "started_at": _at(review_end, 16, 30),
            "finished_at": _at(decided, 17),
        },
    ]
    for step in steps:
        step["officer"] = OFFICERS[(n + step["position"]) % len(OFFICERS)]
    if decided >= today:
        # Not decided yet: the steps so far, the decision pending.
        row["steps"] = [steps[0], {**steps[1], "finished_at": None}]
        row["decision"] = "pending"
        row["decided_where"] = ""
        return row
    row["steps"] = steps
    row["decided_at"] = _at(decided, 17)
    if story in ("refused", "no_reason"):
        row["decision"] = "refused"
        row["refusal_reason"] = REASON if story == "refused" else ""
    elif story == "withdrawn":
        row["decision"] = "withdrawn"
        row["decided_where"] = ""
        row["steps"] = steps[:2]
    schedule = fees.get(item.pk, [])
    if schedule and row["decision"] == "approved":
        fee = schedule[0]
        amount = fee.amount * Decimal("1.5") if story == "fee_above" else fee.amount
        row["fees"].append(
            {"code": fee.code, "name": fee.name, "amount": str(amount.quantize(Decimal("0.01")))}
        )
    if story == "fee_outside" and row["decision"] == "approved":
        row["fees"].append({"code": "QT-99", "name": "咨询服务费", "amount": "200.00"})
    return row


def _pending_stories(items, days: _Days, today: dt.date, start: int) -> list[dict]:
    """Records still pending today: a few past their promised day, a few due on the next working
    day (the yellow prompt), a few due later."""
    rows = []
    next_working = days.after(today, 1)
    n = start
    for index, item in enumerate(items):
        promised = item.promised_days
        for story in ("overdue", "due_soon", "later"):
            if story == "overdue" and index % 3:
                continue
            if story == "overdue":
                accepted = days.before(today, promised + 2 + index % 3)
            elif story == "due_soon":
                accepted = days.before(next_working, promised)
            else:
                accepted = days.before(today, max(1, promised // 2))
            accepted_at = _at(accepted, 10, index % 60)
            rows.append(
                {
                    "external_id": f"DEMO-{accepted:%Y%m%d}-{n:05d}",
                    "item_code": item.code,
                    "applicant_credit_code": demo_credit_code(n % ENTERPRISES),
                    "applicant_name": APPLICANTS[n % len(APPLICANTS)],
                    "accepted_at": accepted_at,
                    "accepted_where": "hall" if item.in_hall else "department",
                    "decision": "pending",
                    "steps": [
                        {
                            "position": 1,
                            "name": "受理",
                            "started_at": accepted_at,
                            "finished_at": _at(accepted, 16, 30),
                            "officer": OFFICERS[n % len(OFFICERS)],
                        }
                    ],
                }
            )
            n += 1
    return rows


def demo_approvals_install(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The catalogue (every run) and two quarters of records (once)."""
    now = now or timezone.now()
    today = timezone.localtime(now, SHANGHAI).date()
    items = _catalogue()
    if items and not ApprovalRecord.objects.exists():
        _records(items, now=now, today=today)
    return {
        "approval items": ApprovalItem.objects.count(),
        "approval records": ApprovalRecord.objects.count(),
    }


def _records(items: list[ApprovalItem], *, now: dt.datetime, today: dt.date) -> None:
    rng = random.Random("envopt-demo-approvals")  # noqa: S311 - synthetic data
    first = Period.current(now=now).previous().first_day
    days = _Days(first - dt.timedelta(days=60), today + dt.timedelta(days=120))
    open_days = [
        first + dt.timedelta(days=i)
        for i in range((today - first).days)
        if days.working(first + dt.timedelta(days=i))
    ]
    fees: dict[int, list[ApprovalFee]] = {}
    for fee in ApprovalFee.objects.filter(item__in=items).order_by("item_id", "code"):
        fees.setdefault(fee.item_id, []).append(fee)
    # Busy items get more applications (Zipf-like), every item some.
    weights = [1 / (1 + i % 12) for i in range(len(items))]
    stories = [story for story, share in STORIES for _ in range(share)]
    rows = []
    for n in range(RECORDS):
        item = rng.choices(items, weights=weights)[0]
        accepted = open_days[n * len(open_days) // RECORDS]
        story = stories[rng.randrange(len(stories))]
        rows.append(_record(n, item, accepted, story, days, today, rng, fees))
    rows += _pending_stories(items, days, today, start=RECORDS)
    for start in range(0, len(rows), BATCH):
        records_ingest(rows[start : start + BATCH], actor=None, now=now)
    _case_from_a_refusal_without_reason(now=now)


def _case_from_a_refusal_without_reason(*, now: dt.datetime) -> None:
    """The commission turns one red signal (a refusal without a reason) into a case, as staff do
    from the signal list: the dashboard and the case list show the approvals channel."""
    handler = get_user_model().objects.filter(username="handler").first()
    signal = (
        ApprovalSignal.objects.filter(kind=ApprovalSignal.Kind.NO_REASON, status=ApprovalSignal.Status.OPEN)
        .order_by("raised_at", "pk")
        .first()
    )
    if handler is None or signal is None:
        return
    # The morning after the signal, in the story's time (never after the demo's now).
    with demo_clock_at(min(signal.raised_at + dt.timedelta(hours=18), now)):
        signal_case_open(signal=signal, actor=handler)

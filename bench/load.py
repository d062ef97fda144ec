"""Synthetic but realistic data, loaded with COPY.

The spread follows the peer's measured data set (django-helpdesk, issue 7): per 100,000
complaints, one case each, three timeline events per case, a referral for 70% of the cases,
70% of the cases open. Open referrals' due dates are real working-day deadlines on the PRC
calendar (the same ``add_working_days`` the product uses), sent over the last weeks so that
about one in five open items is overdue and a sweep of a never-swept database finds ≈14k
items due a step. Everything is deterministic for a given scale (a seeded generator) and
relative to the day the bench runs.

Rows go in through ``COPY … FROM STDIN`` in chunks, with explicit ids; sequences are set
afterwards and the tables analysed, so the planner sees the data as production would.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from bench.scale import Scale
from casework.escalation import REFERRAL_KIND
from casework.models import Case, CaseComplaint, CaseEvent, Recommendation, Referral, ReferralPeriod
from complaints.models import Category, Channel, ComplainantIdentity, Complaint, PublicStatus, Rating
from core.calendar import WorkingCalendar, add_working_days, end_of_day
from core.models import Deadline
from liaison.models import Department, Office
from reports.dashboard.live_services import recount_live_figures

CHUNK = 20_000
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway database on 127.0.0.1


@dataclass
class Dataset:
    """What the loader made, for the figures to use."""

    scale: str
    complaints: int
    cases: int
    events: int
    referrals: int
    open_referrals: int
    open_cases: int
    departments: int
    ratings: int
    recommendations: int
    identities: int
    seconds: float
    today: str
    admin_username: str
    leader_username: str
    department_ids: list[int] = field(default_factory=list)
    busiest_department_id: int = 0
    # Issue 14 (bench.load_inspections).
    enterprises: int = 0
    inspections: int = 0
    inspection_flags: int = 0
    enterprise_secret: str = ""
    enterprise_page_id: int = 0
    inspector_username: str = ""
    filing_department_id: int = 0
    filing_enterprise_id: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- Progress -------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr (a line per 10% when stderr is not a terminal)."""

    def __init__(self, label: str, total: int, *, quiet: bool = False) -> None:
        self.label, self.total, self.done, self.quiet = label, max(total, 1), 0, quiet
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self._last_tenth = -1

    def advance(self, n: int) -> None:
        self.done += n
        if self.quiet:
            return
        fraction = min(self.done / self.total, 1.0)
        if self.tty:
            bar = "#" * int(fraction * 30)
            sys.stderr.write(
                f"\r  {self.label:<22} [{bar:<30}] {fraction:6.1%} {self.done:>11,}/{self.total:,}"
            )
            sys.stderr.flush()
        elif int(fraction * 10) != self._last_tenth:
            self._last_tenth = int(fraction * 10)
            sys.stderr.write(f"  {self.label:<22} {fraction:6.1%} {self.done:>11,}/{self.total:,}\n")

    def finish(self) -> None:
        if self.quiet:
            return
        took = time.perf_counter() - self.started
        if self.tty:
            sys.stderr.write(f"\r  {self.label:<22} {self.done:>11,} rows in {took:6.1f} s{' ' * 40}\n")
        else:
            sys.stderr.write(f"  {self.label:<22} {self.done:>11,} rows in {took:6.1f} s\n")


# --- COPY ---------------------------------------------------------------------------------------


def _columns(model: type[models.Model], names: Iterable[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _cell(value: Any) -> Any:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def copy_rows(
    model: type[models.Model], names: list[str], rows: Iterable[tuple], *, progress: Progress | None = None
) -> int:
    """COPY ``rows`` (tuples in the order of ``names``) into the model's table, in chunks."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(column) for column in _columns(model, names))
    sql = (
        f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN "
        r"WITH (FORMAT csv, NULL '\N')"
    )
    total = 0
    iterator = iter(rows)
    while True:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        n = 0
        for row in iterator:
            writer.writerow([_cell(value) for value in row])
            n += 1
            if n == CHUNK:
                break
        if not n:
            break
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)
        total += n
        if progress:
            progress.advance(n)
        if n < CHUNK:
            break
    return total


def _reset_sequences(*models_: type[models.Model]) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            highest = f"COALESCE((SELECT MAX(id) FROM {qn(table)}), 1)"  # noqa: S608 - a quoted name
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {highest})", [table])


# --- Text -----------------------------------------------------------------------------------------

_OPENINGS = [
    "我公司于{month}月向{unit}申请办理{thing}，",
    "{month}月以来，{unit}工作人员多次到我公司进行检查，",
    "我单位在{unit}窗口办理{thing}时，",
    "今年{month}月，我们按要求向{unit}提交了{thing}的全部材料，",
    "我公司在园区经营多年，近期{unit}",
]
_MIDDLES = [
    "材料齐全却被要求反复补正，前后跑了五次仍未受理。",
    "工作人员以各种理由推诿，既不说明依据也不出具书面意见。",
    "被要求缴纳没有文件依据的费用，开具的收据与实际金额不符。",
    "检查人员要求我们购买指定机构的服务，否则不予通过。",
    "同一事项一个月内被三个部门重复检查，严重影响正常生产。",
    "电话长期无人接听，窗口人员态度生硬，拒绝一次性告知所需材料。",
    "承诺的优惠政策至今没有兑现，多次询问均答复研究中。",
    "审批时限早已超过承诺时间，仍没有任何答复。",
]
_ENDINGS = [
    "希望纪委监委督促有关部门依法依规办理。",
    "请求调查处理，并按承诺兑现政策。",
    "希望尽快解决，避免企业继续遭受损失。",
    "恳请督促整改，规范执法行为。",
]
_SYSTEM_NAMES = {
    "market": "市场监管",
    "tax": "税务",
    "quality": "质量监督",
    "environment": "生态环境",
    "construction": "住房城乡建设",
    "transport": "交通运输",
    "police": "公安",
    "hr": "人力资源社会保障",
    "land": "自然资源",
    "service": "行政审批服务",
    "utilities": "公用事业",
    "other": "其他",
}
_THINGS = ["施工许可证", "环评批复", "营业执照变更", "税务登记", "消防验收", "排污许可证", "用地审批"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _description(rng: random.Random, unit: str) -> str:
    month = rng.randint(1, 12)
    return (
        rng.choice(_OPENINGS).format(month=month, unit=unit, thing=rng.choice(_THINGS))
        + rng.choice(_MIDDLES)
        + rng.choice(_MIDDLES)
        + rng.choice(_ENDINGS)
    )


def _weighted(rng: random.Random, pairs: list[tuple[Any, float]]) -> Callable[[], Any]:
    values, weights = zip(*pairs, strict=True)
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)

    def pick() -> Any:
        return rng.choices(values, cum_weights=cumulative)[0]

    return pick


# --- The loader -------------------------------------------------------------------------------------


def load(scale: Scale, *, quiet: bool = False, today: dt.date | None = None) -> Dataset:
    """Load ``scale`` into the (migrated, empty) database of the current connection."""
    started = time.perf_counter()
    rng = random.Random(f"envopt-bench-{scale.complaints}")  # noqa: S311 - synthetic data
    now = timezone.now()
    today = today or timezone.localdate(now)
    tz = timezone.get_default_timezone()

    # The directory and the staff: few rows, through the ORM.
    admin_user = User.objects.create_superuser("bench-admin", "bench-admin@example.org", BENCH_PASSWORD)
    leader = User.objects.create_user("bench-leader", "leader@example.org", BENCH_PASSWORD, is_staff=True)
    leader.groups.add(Group.objects.get(name="Leader"))
    password = make_password(BENCH_PASSWORD)
    handlers = User.objects.bulk_create(
        [
            User(username=f"bench-handler-{i:03d}", password=password, is_staff=True)
            for i in range(scale.handlers)
        ]
    )
    Group.objects.get(name="Case handler").user_set.add(*handlers)
    offices = Office.objects.bulk_create(
        [Office(name=f"第{i + 1}监督检查室", email=f"office{i + 1}@example.org") for i in range(8)]
    )
    systems = [choice for choice, _label in Department.System.choices]
    key_systems = {"market", "tax", "quality", "environment", "construction", "transport"}
    departments = Department.objects.bulk_create(
        [
            Department(
                name=f"{'市区县'[i % 3]}{_SYSTEM_NAMES[systems[i % len(systems)]]}第{i + 1:03d}单位",
                short_name=f"单位{i + 1}",
                system=systems[i % len(systems)],
                # The city-level units of the six key systems (seed §二): a few dozen, not half the list.
                is_key=i < 36 and systems[i % len(systems)] in key_systems,
                email=f"unit{i + 1}@example.org",
                head_name=f"{_SURNAMES[i % len(_SURNAMES)]}主任",
                head_email=f"head{i + 1}@example.org",
                supervising_leader=f"{_SURNAMES[(i + 7) % len(_SURNAMES)]}书记",
                supervising_leader_email=f"leader{i + 1}@example.org",
            )
            for i in range(scale.departments)
        ]
    )
    # Complaints crowd onto a few units (a Zipf-like spread): the busiest unit's lists are long.
    unit_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(departments))]
    unit_cum = [sum(unit_weights[: i + 1]) for i in range(len(unit_weights))]

    periods = {(p.kind, p.priority): p.working_days for p in ReferralPeriod.objects.all()}
    for kind, by_priority in ReferralPeriod.DEFAULTS.items():
        for priority, days in by_priority.items():
            periods.setdefault((kind, priority), days)
    referral_type = ContentType.objects.get_for_model(Referral)

    calendar = WorkingCalendar()
    first_day = today - dt.timedelta(days=3 * 365 + 10)
    calendar.load(first_day, today + dt.timedelta(days=120))
    due_cache: dict[tuple[dt.date, int], Any] = {}

    def due(start: dt.date, n: int):
        key = (start, n)
        if key not in due_cache:
            due_cache[key] = add_working_days(start, n, calendar=calendar)
        return due_cache[key]

    channel = _weighted(
        rng,
        [
            (Channel.WEB, 55),
            (Channel.HOTLINE, 20),
            (Channel.LETTER, 6),
            (Channel.VISIT, 5),
            (Channel.EMAIL, 4),
            (Channel.LIAISON_POINT, 4),
            (Channel.SUPERVISOR, 2),
            (Channel.MEDIA, 2),
            (Channel.HIGHER_AUTHORITY, 2),
        ],
    )
    category = _weighted(
        rng,
        [
            (Category.PERMITS, 20),
            (Category.CONDUCT, 16),
            (Category.INACTION, 14),
            (Category.POLICY, 10),
            (Category.INSPECTIONS, 9),
            (Category.CHARGES, 7),
            (Category.FINES, 6),
            (Category.LEVIES, 2),
            (Category.MISCONDUCT, 4),
            (Category.CORRUPTION, 2),
            (Category.HARM, 3),
            (Category.TRAINING, 2),
            (Category.ASSOCIATIONS, 2),
            (Category.OPENNESS, 2),
            (Category.OTHER, 1),
        ],
    )
    priority = _weighted(rng, [("normal", 85), ("urgent", 12), ("serious", 3)])
    rating = _weighted(
        rng, [(Rating.Level.SATISFIED, 70), (Rating.Level.BASICALLY, 20), (Rating.Level.UNSATISFIED, 10)]
    )
    finding = _weighted(
        rng,
        [
            (Case.Finding.SUBSTANTIATED, 45),
            (Case.Finding.PARTLY, 25),
            (Case.Finding.UNSUBSTANTIATED, 25),
            (Case.Finding.UNVERIFIABLE, 5),
        ],
    )

    n = scale.complaints
    span_seconds = int((now - dt.datetime.combine(first_day, dt.time(9), tzinfo=tz)).total_seconds())

    # One pass decides every case; the COPY generators below read these plain lists.
    plan: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        # Older cases are fewer (a growing service) and mostly concluded; the newest are open.
        age = int(span_seconds * (rng.random() ** 1.3))
        received = now - dt.timedelta(seconds=age)
        department = departments[rng.choices(range(len(departments)), cum_weights=unit_cum)[0]]
        open_ = rng.random() < 0.70  # the peer's share of open tickets
        if not open_:
            # A concluded case went through its whole workflow (up to ~40 days) before today.
            received = min(received, now - dt.timedelta(days=60, seconds=age % 86400))
        referred = rng.random() < 0.70
        plan.append(
            {
                "id": i,
                "received": received,
                "department": department,
                "open": open_,
                "referred": referred,
                "priority": priority(),
                "category": category(),
                "channel": channel(),
                "anonymous": rng.random() < 0.2,
            }
        )
    progress = Progress("complaints", n, quiet=quiet)
    complaint_fields = [
        "id",
        "tracking_hash",
        "channel",
        "source",
        "complainant_type",
        "is_anonymous",
        "department",
        "department_text",
        "category",
        "occurred_on",
        "occurred_place",
        "description",
        "desired_outcome",
        "received_at",
        "status",
        "created_at",
        "updated_at",
    ]

    def complaint_rows() -> Iterator[tuple]:
        for p in plan:
            p["description"] = _description(rng, p["department"].name)
            status = PublicStatus.HANDLING if p["open"] else PublicStatus.CONCLUDED
            yield (
                p["id"],
                hashlib.sha256(f"bench-{p['id']}".encode()).hexdigest(),
                p["channel"],
                "",
                "enterprise" if rng.random() < 0.9 else "individual",
                p["anonymous"],
                p["department"].pk,
                "",
                p["category"],
                (p["received"] - dt.timedelta(days=rng.randint(1, 60))).date(),
                "",
                p["description"],
                "依法依规处理，给企业一个明确答复。",
                p["received"],
                status,
                p["received"],
                p["received"],
            )

    # The dashboard's sums (reports 0005) are counted once at the end rather than by their
    # triggers at every chunk: the triggers are off on this connection while the rows go in.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    copy_rows(Complaint, complaint_fields, complaint_rows(), progress=progress)
    progress.finish()

    identities = [p for p in plan if not p["anonymous"]]
    progress = Progress("identities", len(identities), quiet=quiet)
    copy_rows(
        ComplainantIdentity,
        ["complaint", "enterprise_name", "credit_code", "contact_name", "phone", "email"],
        (
            (
                p["id"],
                f"某某{p['id'] % 997}科技有限公司",
                "",
                rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN),
                f"139{p['id']:08d}",
                "",
            )
            for p in identities
        ),
        progress=progress,
    )
    progress.finish()

    # Cases, links, referrals, deadlines and events are decided together per case.
    referral_rows: list[tuple] = []
    deadline_rows: list[tuple] = []
    event_rows: list[tuple] = []
    rating_rows: list[tuple] = []
    recommendation_rows: list[tuple] = []
    case_rows: list[tuple] = []
    referral_id = 0
    for p in plan:
        received: dt.datetime = p["received"]
        opened_at = min(received + dt.timedelta(hours=rng.randint(2, 30)), now - dt.timedelta(minutes=1))
        handler = handlers[p["id"] % len(handlers)]
        office = offices[p["department"].pk % len(offices)]
        status, closed_at, case_finding = Case.Status.ACCEPTED, None, ""
        disposition = ""
        events = [(opened_at, CaseEvent.Action.ACCEPTED, "", Case.Status.ACCEPTED)]
        if p["referred"]:
            referral_id += 1
            kind = Referral.Kind.ASSIGN if rng.random() < 0.3 else Referral.Kind.TRANSFER
            disposition = kind
            days = periods[(kind, p["priority"])]
            if p["open"]:
                # Sent over the last weeks: about one open item in five is past its due date.
                sent_at = now - dt.timedelta(days=rng.random() ** 1.8 * (days * 7 / 5 + 6), hours=2)
                sent_at = max(sent_at, opened_at)
            else:
                sent_at = opened_at + dt.timedelta(days=rng.randint(0, 3))
            start = timezone.localtime(sent_at, tz).date()
            result = due(start, days)
            ref_status = Referral.Status.SENT
            acknowledged_at = ref_closed = met_at = None
            if p["open"]:
                ref_status = rng.choice(
                    [Referral.Status.SENT, Referral.Status.ACKNOWLEDGED, Referral.Status.ACKNOWLEDGED]
                )
                status = Case.Status.REFERRED
                deadline_status = Deadline.Status.OPEN
            else:
                ref_status = Referral.Status.ACCEPTED
                deadline_status = Deadline.Status.MET
                met_at = sent_at + dt.timedelta(days=rng.randint(3, 25))
                ref_closed = met_at + dt.timedelta(days=rng.randint(1, 5))
            if ref_status != Referral.Status.SENT:
                acknowledged_at = sent_at + dt.timedelta(hours=rng.randint(1, 48))
            deadline_rows.append(
                (
                    referral_id,
                    REFERRAL_KIND,
                    referral_type.pk,
                    referral_id,
                    start,
                    days,
                    result.due_date,
                    end_of_day(result.due_date),
                    result.skipped_json(),
                    result.fallback,
                    deadline_status,
                    met_at,
                    1,
                    0,
                    sent_at,
                )
            )
            referral_rows.append(
                (
                    referral_id,
                    p["id"],
                    p["department"].pk,
                    kind,
                    ref_status,
                    "请依法依规调查处理，并在期限内报送办理报告。",
                    p["description"],
                    1,
                    referral_id,
                    result.due_date if p["open"] else result.due_date,
                    sent_at,
                    handler.pk,
                    acknowledged_at,
                    ref_closed,
                )
            )
            events.append((sent_at, CaseEvent.Action.REFERRED, Case.Status.ACCEPTED, Case.Status.REFERRED))
            if acknowledged_at:
                events.append((acknowledged_at, CaseEvent.Action.ACKNOWLEDGED, "", ""))
            if not p["open"]:
                closed_at = ref_closed + dt.timedelta(days=rng.randint(0, 4))
        else:
            disposition = Case.Disposition.SELF if p["open"] is False or rng.random() < 0.5 else ""
            if disposition:
                status = Case.Status.HANDLING
                events.append(
                    (
                        opened_at + dt.timedelta(hours=1),
                        CaseEvent.Action.SELF_HANDLED,
                        Case.Status.ACCEPTED,
                        Case.Status.HANDLING,
                    )
                )
            if not p["open"]:
                closed_at = opened_at + dt.timedelta(days=rng.randint(3, 40))
        if not p["open"]:
            status, case_finding = Case.Status.CONCLUDED, finding()
            closed_at = min(closed_at, now - dt.timedelta(minutes=5))
            events.append((closed_at, CaseEvent.Action.CONCLUDED, "", Case.Status.CONCLUDED))
            if rng.random() < 0.5:
                rating_rows.append((p["id"], rating(), "", closed_at + dt.timedelta(days=2)))
        # Three events per case: pad with a note where the workflow gave fewer.
        while len(events) < 3:
            events.insert(1, (opened_at + dt.timedelta(minutes=30), CaseEvent.Action.ASSIGNED, "", ""))
        for at, action, from_status, to_status in events[:3]:
            event_rows.append((p["id"], at, handler.pk, action, from_status, to_status, ""))
        if p["referred"] and not p["open"] and rng.random() < 0.04:
            issued = closed_at - dt.timedelta(days=1)
            recommendation_rows.append(
                (
                    p["id"],
                    p["department"].pk,
                    Recommendation.Kind.SUPERVISION,
                    "建议规范审批流程，明确办理时限并向社会公开。",
                    "",
                    Recommendation.Status.CLOSED,
                    issued,
                    handler.pk,
                    "已整改。",
                    "",
                    issued + dt.timedelta(days=10),
                    issued + dt.timedelta(days=14),
                )
            )
        case_rows.append(
            (
                p["id"],
                p["description"][:60],
                status,
                p["priority"],
                p["category"],
                p["department"].pk,
                office.pk,
                handler.pk,
                disposition,
                p["channel"],
                opened_at,
                closed_at,
                False,
                case_finding,
                "",
                "",
                False,
                "",
                0,
                0,
                closed_at or opened_at,
            )
        )

    for label, model, names, rows in [
        (
            "cases",
            Case,
            [
                "id",
                "title",
                "status",
                "priority",
                "category",
                "department",
                "office",
                "handler",
                "disposition",
                "channel",
                "opened_at",
                "closed_at",
                "taken_over",
                "finding",
                "finding_note",
                "result_summary",
                "is_typical",
                "typical_summary",
                "reopened_count",
                "escalation_level",
                "updated_at",
            ],
            case_rows,
        ),
        (
            "case links",
            CaseComplaint,
            ["id", "case", "complaint", "is_primary", "linked_at"],
            [(row[0], row[0], row[0], True, row[10]) for row in case_rows],
        ),
        (
            "deadlines",
            Deadline,
            [
                "id",
                "kind",
                "content_type",
                "object_id",
                "start_date",
                "working_days",
                "due_date",
                "due_at",
                "skipped",
                "fallback",
                "status",
                "met_at",
                "round",
                "ladder_step",
                "created_at",
            ],
            deadline_rows,
        ),
        (
            "referrals",
            Referral,
            [
                "id",
                "case",
                "department",
                "kind",
                "status",
                "instructions",
                "released_text",
                "round",
                "deadline",
                "due_date",
                "sent_at",
                "sent_by",
                "acknowledged_at",
                "closed_at",
            ],
            referral_rows,
        ),
        (
            "events",
            CaseEvent,
            ["case", "at", "actor", "action", "from_status", "to_status", "note"],
            event_rows,
        ),
        ("ratings", Rating, ["complaint", "level", "comment", "created_at"], rating_rows),
        (
            "recommendations",
            Recommendation,
            [
                "case",
                "department",
                "kind",
                "content",
                "basis",
                "status",
                "issued_at",
                "issued_by",
                "reply",
                "return_reason",
                "replied_at",
                "closed_at",
            ],
            recommendation_rows,
        ),
    ]:
        progress = Progress(label, len(rows), quiet=quiet)
        copy_rows(model, names, rows, progress=progress)
        progress.finish()

    _reset_sequences(Complaint, Case, CaseComplaint, Deadline, Referral, CaseEvent, Rating, Recommendation)
    with connection.cursor() as cursor:
        cursor.execute("RESET session_replication_role")
    recount_live_figures()
    from bench.load_inspections import load_inspections

    inspections = load_inspections(scale, departments, quiet=quiet, today=today)
    # As autovacuum leaves a table in production: statistics, and the visibility map that lets
    # counts and filters be index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    counts: dict[int, int] = {}
    for p in plan:
        counts[p["department"].pk] = counts.get(p["department"].pk, 0) + 1
    return Dataset(
        scale=scale.name,
        complaints=n,
        cases=len(case_rows),
        events=len(event_rows),
        referrals=len(referral_rows),
        open_referrals=sum(1 for row in deadline_rows if row[10] == Deadline.Status.OPEN),
        open_cases=sum(1 for p in plan if p["open"]),
        departments=len(departments),
        ratings=len(rating_rows),
        recommendations=len(recommendation_rows),
        identities=len(identities),
        seconds=round(time.perf_counter() - started, 1),
        today=today.isoformat(),
        admin_username=admin_user.username,
        leader_username=leader.username,
        department_ids=[d.pk for d in departments],
        busiest_department_id=max(counts, key=counts.get),
        **asdict(inspections),
    )

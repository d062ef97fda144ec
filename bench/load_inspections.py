"""The inspections of issue 14, loaded with COPY like the rest: an enterprise registry (200,000 at
the full scale), inspecting units and item lists of the inspecting departments, a million
inspections over two years (most concluded, some filed ahead), their items, and a flag on about
one inspection in thirty. One enterprise gets a supervision code issued through the service (the
enterprise-page figure opens its link); one enterprise is set up so that a new filing trips every
rule (the cap, a cross inspection, a repeated item, no-disturbance).

Deterministic for a given scale; relative to the day the bench runs."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.utils import timezone

from bench.load import Progress, _reset_sequences, copy_rows
from bench.scale import Scale
from core.validators import credit_code_check_character, organization_code_check_character
from inspections.models import InspectingUnit, Inspection, InspectionFlag, InspectionItem
from inspections.services.codes import code_issue
from liaison.models import Department, Enterprise

INSPECTING_DEPARTMENTS = 60
ITEMS_PER_DEPARTMENT = 6
INDUSTRIES = ["制造业", "批发零售", "建筑业", "餐饮住宿", "软件信息", "物流运输", "农产品加工", "医药"]
DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区"]
OFFICERS = [{"name": "王执法", "certificate": "ZF-0001"}, {"name": "李执法", "certificate": "ZF-0002"}]
FLAG_KINDS = [
    InspectionFlag.Kind.CROSS,
    InspectionFlag.Kind.REPEATED,
    InspectionFlag.Kind.OVER_CAP,
    InspectionFlag.Kind.NO_DISTURBANCE,
    InspectionFlag.Kind.EMERGENCY,
    InspectionFlag.Kind.OUTCOME_LATE,
    InspectionFlag.Kind.LOW_RATING,
]
BLOCKING = {InspectionFlag.Kind.OVER_CAP, InspectionFlag.Kind.NO_DISTURBANCE}


@dataclass
class InspectionData:
    enterprises: int
    inspections: int
    inspection_flags: int
    enterprise_secret: str
    enterprise_page_id: int
    inspector_username: str
    filing_department_id: int
    filing_enterprise_id: int


def _credit_code(n: int) -> str:
    body = f"{60000000 + n:08d}"
    first = "91330100" + body + organization_code_check_character(body)
    return first + credit_code_check_character(first)


def load_inspections(
    scale: Scale, departments: list[Department], *, quiet: bool = False, today: dt.date | None = None
) -> InspectionData:
    rng = random.Random(f"envopt-bench-inspections-{scale.inspections}")  # noqa: S311 - synthetic data
    now = timezone.now()
    today = today or timezone.localdate(now)
    tz = timezone.get_default_timezone()

    # Units, items and the inspector: few rows, through the ORM.
    inspecting = departments[: min(INSPECTING_DEPARTMENTS, len(departments))]
    units = InspectingUnit.objects.bulk_create(
        [InspectingUnit(department=d, name=f"{d.name}执法大队") for d in inspecting]
    )
    items = InspectionItem.objects.bulk_create(
        [
            InspectionItem(
                department=d,
                code=f"JC-{d.pk:03d}-{k}",
                name=f"检查事项{d.pk}-{k}",
                legal_basis=f"《某某管理条例》第{k + 10}条",
            )
            for d in inspecting
            for k in range(ITEMS_PER_DEPARTMENT)
        ]
    )
    items_of: dict[int, list[int]] = {}
    for item in items:
        items_of.setdefault(item.department_id, []).append(item.pk)
    unit_of = {unit.department_id: unit.pk for unit in units}
    filing_department = inspecting[0]
    inspector = User.objects.create_user("bench-inspector", "inspector@example.org", "bench-password-2026")
    inspector.groups.add(Group.objects.get(name="Department inspector"))
    filing_department.members.add(inspector)

    # The registry.
    n_enterprises = scale.enterprises
    risk = ["A"] * 30 + ["B"] * 45 + ["C"] * 18 + ["D"] * 7

    def enterprise_rows():
        for i in range(1, n_enterprises + 1):
            yield (
                i,
                _credit_code(i),
                f"测试{DISTRICTS[i % len(DISTRICTS)][:2]}企业{i:06d}有限公司",
                f"{DISTRICTS[i % len(DISTRICTS)]}科技路{i % 500 + 1}号",
                DISTRICTS[i % len(DISTRICTS)],
                INDUSTRIES[i % len(INDUSTRIES)],
                risk[i % len(risk)],
                i % 50 == 7,
                True,
                now,
                now,
            )

    progress = Progress("enterprises", n_enterprises, quiet=quiet)
    copy_rows(
        Enterprise,
        [
            "id",
            "credit_code",
            "name",
            "address",
            "district",
            "industry",
            "risk_class",
            "no_disturbance",
            "is_active",
            "created_at",
            "updated_at",
        ],
        enterprise_rows(),
        progress=progress,
    )
    progress.finish()

    # Inspections: departments Zipf-like, enterprises uniform, two years back and a month ahead.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(inspecting))]
    cum = [sum(weights[: i + 1]) for i in range(len(weights))]
    department_ids = [d.pk for d in inspecting]
    n = scale.inspections
    first_day = today - dt.timedelta(days=730)
    kinds = ["routine"] * 5 + ["random"] * 3 + ["complaint", "special"]
    S = Inspection.Status
    inspection_rows, item_rows, flag_rows = [], [], []
    item_id = 0
    for i in range(1, n + 1):
        department = rng.choices(department_ids, cum_weights=cum)[0]
        enterprise = rng.randint(1, n_enterprises)
        planned = first_day + dt.timedelta(days=rng.randint(0, 760))
        filed_at = dt.datetime.combine(
            planned - dt.timedelta(days=rng.randint(3, 20)), dt.time(10), tzinfo=tz
        )
        if planned > today:
            status, entered, outcome, outcome_at = S.FILED, None, "", None
        else:
            entered = dt.datetime.combine(planned, dt.time(9, 30), tzinfo=tz)
            draw = rng.random()
            if draw < 0.03:
                status, outcome, outcome_at = S.REFUSED, "", None
                entered = None
            elif draw < 0.05:
                status, outcome, outcome_at = S.ENTERED, "", None
            else:
                status = S.CONCLUDED
                outcome = rng.choices(["no_problem", "problems", "decision"], weights=[70, 24, 6])[0]
                outcome_at = entered + dt.timedelta(days=rng.randint(1, 5))
        inspection_rows.append(
            (
                i,
                department,
                unit_of[department],
                enterprise,
                rng.choice(kinds),
                "",
                planned,
                OFFICERS,
                status,
                filed_at,
                None,
                entered,
                None,
                "",
                outcome,
                "",
                outcome_at,
                None,
                None,
                filed_at,
                outcome_at or entered or filed_at,
            )
        )
        own = items_of[department]
        for code in rng.sample(own, k=1 if rng.random() < 0.7 else 2):
            item_id += 1
            item_rows.append((item_id, i, code))
        if rng.random() < 1 / 30:
            kind = rng.choice(FLAG_KINDS)
            open_ = rng.random() < 0.6
            flag_rows.append(
                (
                    len(flag_rows) + 1,
                    i,
                    kind,
                    "由基准数据生成的标记说明。",
                    kind in BLOCKING,
                    InspectionFlag.Status.OPEN if open_ else InspectionFlag.Status.APPROVED,
                    filed_at,
                    None if open_ else filed_at + dt.timedelta(days=2),
                    None,
                    "",
                    None,
                )
            )

    # The enterprise a new filing trips every rule on: no-disturbance, the filing department at
    # its cap this year with the same item, another department inside the cross window.
    target = n_enterprises
    Enterprise.objects.filter(pk=target).update(no_disturbance=True, risk_class="A")
    other = department_ids[1]
    year_start = dt.date(today.year, 1, 1)
    for k, (department, planned) in enumerate(
        [
            (filing_department.pk, max(year_start, today - dt.timedelta(days=40))),
            (filing_department.pk, max(year_start, today - dt.timedelta(days=20))),
            (other, today + dt.timedelta(days=10)),
        ]
    ):
        pk = n + 1 + k
        filed_at = dt.datetime.combine(min(planned, today), dt.time(9), tzinfo=tz)
        inspection_rows.append(
            (pk, department, unit_of[department], target, "routine", "", planned, OFFICERS, S.FILED,
             filed_at, None, None, None, "", "", "", None, None, None, filed_at, filed_at)
        )  # fmt: skip
        item_id += 1
        item_rows.append((item_id, pk, items_of[department][0]))

    for label, model, names, rows in [
        (
            "inspections",
            Inspection,
            [
                "id",
                "department",
                "unit",
                "enterprise",
                "kind",
                "legal_basis",
                "planned_on",
                "officers",
                "status",
                "filed_at",
                "filed_by",
                "entered_at",
                "entered_by",
                "emergency_reason",
                "outcome",
                "outcome_note",
                "outcome_at",
                "outcome_deadline",
                "joint_with",
                "created_at",
                "updated_at",
            ],
            inspection_rows,
        ),
        ("inspection items", Inspection.items.through, ["id", "inspection", "inspectionitem"], item_rows),
        (
            "inspection flags",
            InspectionFlag,
            [
                "id",
                "inspection",
                "kind",
                "explanation",
                "blocking",
                "status",
                "created_at",
                "decided_at",
                "decided_by",
                "decision_note",
                "case",
            ],
            flag_rows,
        ),
    ]:
        progress = Progress(label, len(rows), quiet=quiet)
        copy_rows(model, names, rows, progress=progress)
        progress.finish()
    _reset_sequences(Enterprise, Inspection, Inspection.items.through, InspectionFlag)

    # The enterprise page's enterprise: one with a few inspections, its code issued by the service
    # (the page opens from the private link, not from the QR code's scan secret).
    page_enterprise = inspection_rows[len(inspection_rows) // 2][3]
    secret = code_issue(enterprise=Enterprise.objects.get(pk=page_enterprise)).private
    return InspectionData(
        enterprises=n_enterprises,
        inspections=len(inspection_rows),
        inspection_flags=len(flag_rows),
        enterprise_secret=secret,
        enterprise_page_id=page_enterprise,
        inspector_username=inspector.username,
        filing_department_id=filing_department.pk,
        filing_enterprise_id=target,
    )

"""Known answers for the efficiency assessment, in 2026Q3 (July–September 2026), written with the
ORM (the approvals' ingest and signals are built elsewhere; the assessment reads their tables).

Three departments:

* 甲 (A): items promised in 10 working days; 4 approvals decided in Q3, all on time, taking 4, 5,
  5 and 6 working days (mean ratio 0.5); no signal, no case; one referral due in Q3 answered on
  time; one complaint rated satisfied. Every assessed indicator scores 100: total 100.00, 优秀.
* 乙 (B): items promised in 5 days; 4 approvals decided in Q3, 3 on time and 1 late, taking 5, 5,
  5 and 7 days (mean ratio 1.1 → 40); one counted signal (a yellow step over its limit; the
  prompt before the limit is not counted) → 25 per 100 → 0; no case → 100; no referral (not
  assessed); two complaints rated, basically satisfied and unsatisfied → 50. With the default
  weights (25/15/15/15/10/10/10) the assessed weights add up to 80:
  (75×25 + 40×15 + 0×15 + 100×15 + 50×10) / 80 = 55.9375 → 55.94, 不合格.
* 丙 (C): one approval accepted in Q3, still pending (so the approval indicators are not
  assessed); two cases accepted in Q3; three referrals due in Q3, two answered on time and one
  late → 66.67; total 66.67, 合格.

Noise that must not count: A's approval decided in Q2 (late) and one withdrawn in Q3, a signal
of B's raised in Q4, a case of C's opened in Q2, a referral of C's withdrawn and one due in Q4,
a rating of A's given in Q4. The applicants' names and credit codes are planted: no public page
may show them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from approvals.models import ApprovalItem, ApprovalRecord, ApprovalSignal, Where
from casework.models import Case, HandlingReport, Referral
from casework.tests import factories
from complaints.models import Rating
from complaints.tests import factories as complaint_factories
from core.periods import SHANGHAI, Period
from liaison.models import Department

Q3 = Period.quarter(2026, 3)
PLANTED_APPLICANT = "瑞丰精密机械有限公司"
PLANTED_CREDIT_CODE = "91330100MA2B3C4D5E"
_counter = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


@dataclass
class AssessmentData:
    a: Department
    b: Department
    c: Department
    handler: object
    records: dict = field(default_factory=dict)


def item(department: Department, *, promised: int) -> ApprovalItem:
    n = next(_counter)
    return ApprovalItem.objects.create(
        department=department,
        code=f"T{n:05d}",
        name=f"测试事项{n}",
        statutory_days=20,
        promised_days=promised,
    )


def record(
    item: ApprovalItem,
    *,
    accepted: dt.datetime,
    due: dt.date,
    decided: dt.datetime | None = None,
    taken: int | None = None,
    decision: str = ApprovalRecord.Decision.APPROVED,
) -> ApprovalRecord:
    n = next(_counter)
    return ApprovalRecord.objects.create(
        external_id=f"SP-{n:06d}",
        item=item,
        department=item.department,
        applicant_credit_code=PLANTED_CREDIT_CODE,
        applicant_name=PLANTED_APPLICANT,
        accepted_at=accepted,
        accepted_where=Where.HALL,
        due_on=due,
        decision=decision if decided else ApprovalRecord.Decision.PENDING,
        decided_at=decided,
        decided_on=decided.astimezone(SHANGHAI).date() if decided else None,
        decided_where=Where.HALL if decided else "",
        working_days_taken=taken,
    )


def signal(record: ApprovalRecord, kind: str, raised: dt.datetime, key: str = "") -> ApprovalSignal:
    return ApprovalSignal.objects.create(
        record=record,
        department=record.department,
        kind=kind,
        colour=ApprovalSignal.COLOURS[kind],
        key=key,
        explanation="测试信号",
        raised_at=raised,
    )


def case(department: Department, *, handler, opened: dt.datetime) -> Case:
    accepted = factories.accepted_case(actor=handler, department=department)
    Case.objects.filter(pk=accepted.pk).update(opened_at=opened)
    return accepted


def referral(
    department: Department,
    *,
    handler,
    due: dt.date,
    answered: dt.datetime | None,
    status: str = Referral.Status.ACCEPTED,
) -> Referral:
    referred_case = case(department, handler=handler, opened=at(2026, 6, 1))
    made = Referral.objects.create(
        case=referred_case,
        department=department,
        kind=Referral.Kind.TRANSFER,
        status=status,
        released_text="请核实。",
        due_date=due,
        sent_at=at(2026, 6, 2),
    )
    if answered is not None:
        HandlingReport.objects.create(
            referral=made,
            round=1,
            facts="已核实。",
            finding=Case.Finding.SUBSTANTIATED,
            measures="已整改。",
            submitted_at=answered,
        )
    return made


def rating(department: Department, level: str, when: dt.datetime) -> Rating:
    complaint = complaint_factories.submit(department=department).complaint
    made = Rating.objects.create(complaint=complaint, level=level)
    Rating.objects.filter(pk=made.pk).update(created_at=when)
    return made


def build(suffix: str = "") -> AssessmentData:
    handler = factories.user("handler")
    a = complaint_factories.department(name=f"甲局{suffix}")
    b = complaint_factories.department(name=f"乙局{suffix}")
    c = complaint_factories.department(name=f"丙局{suffix}")
    data = AssessmentData(a, b, c, handler)

    # A: four decided on time in Q3 (4, 5, 5 and 6 of 10 working days).
    item_a = item(a, promised=10)
    for day, taken in ((1, 4), (6, 5), (10, 5), (15, 6)):
        record(
            item_a,
            accepted=at(2026, 7, day),
            due=dt.date(2026, 7, day + 14),
            decided=at(2026, 7, day + 7),
            taken=taken,
        )
    # Noise: decided in Q2 (late); withdrawn in Q3.
    record(item_a, accepted=at(2026, 5, 4), due=dt.date(2026, 5, 18), decided=at(2026, 6, 20), taken=30)
    record(
        item_a,
        accepted=at(2026, 8, 3),
        due=dt.date(2026, 8, 17),
        decided=at(2026, 8, 5),
        taken=2,
        decision=ApprovalRecord.Decision.WITHDRAWN,
    )
    referral(a, handler=handler, due=dt.date(2026, 8, 20), answered=at(2026, 8, 20, 17))
    rating(a, Rating.Level.SATISFIED, at(2026, 9, 1))
    rating(a, Rating.Level.UNSATISFIED, at(2026, 10, 9))  # Q4: not counted

    # B: three on time (5 of 5 days), one late (7 days, decided after its due day); the last
    # decided at 23:30 on 30 September Beijing time, still Q3.
    item_b = item(b, promised=5)
    on_time = [
        record(item_b, accepted=at(2026, 7, 6), due=dt.date(2026, 7, 13), decided=at(2026, 7, 13), taken=5),
        record(item_b, accepted=at(2026, 8, 3), due=dt.date(2026, 8, 10), decided=at(2026, 8, 10), taken=5),
        record(
            item_b, accepted=at(2026, 9, 23), due=dt.date(2026, 9, 30), decided=at(2026, 9, 30, 23), taken=5
        ),
    ]
    late = record(item_b, accepted=at(2026, 9, 1), due=dt.date(2026, 9, 8), decided=at(2026, 9, 10), taken=7)
    signal(late, ApprovalSignal.Kind.STEP_OVER, at(2026, 9, 30, 23), key="2")  # 23:00 Beijing: Q3
    signal(late, ApprovalSignal.Kind.DUE_SOON, at(2026, 9, 7))  # a prompt: not counted
    signal(on_time[0], ApprovalSignal.Kind.STEP_OVER, at(2026, 10, 1, 0), key="1")  # Q4: not counted
    rating(b, Rating.Level.BASICALLY, at(2026, 8, 1))
    rating(b, Rating.Level.UNSATISFIED, at(2026, 9, 2))
    data.records.update(b_late=late)

    # C: a pending approval accepted in Q3, two cases accepted in Q3, three referrals due in Q3.
    item_c = item(c, promised=8)
    record(item_c, accepted=at(2026, 9, 28), due=dt.date(2026, 10, 15))
    case(c, handler=handler, opened=at(2026, 7, 20))
    case(c, handler=handler, opened=at(2026, 9, 30, 22))
    case(c, handler=handler, opened=at(2026, 6, 30, 22))  # Q2: not counted
    referral(c, handler=handler, due=dt.date(2026, 7, 31), answered=at(2026, 7, 30))
    referral(c, handler=handler, due=dt.date(2026, 9, 15), answered=at(2026, 9, 15, 23))  # the due day
    referral(c, handler=handler, due=dt.date(2026, 9, 18), answered=at(2026, 9, 21))  # late
    referral(c, handler=handler, due=dt.date(2026, 9, 18), answered=None, status=Referral.Status.WITHDRAWN)
    referral(c, handler=handler, due=dt.date(2026, 10, 9), answered=at(2026, 10, 8))  # due in Q4
    return data

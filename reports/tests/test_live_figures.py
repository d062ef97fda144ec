"""The dashboard's figures kept as work happens (issue 17, PostgreSQL): after any sequence of
workflow actions the kept sums equal a recount from the tables, and the dashboard read from them
equals the dashboard counted from the tables; the sums stay right under concurrent writers, and
two departments' writers never wait on each other."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from casework import services
from casework.models import Case, Referral
from casework.tests import factories
from complaints.models import Category, Channel, Complaint
from complaints.services import complaint_rate
from complaints.tests import factories as complaint_factories
from core.errors import InvalidTransition
from core.models import CalendarDay, CalendarYear
from core.periods import SHANGHAI, Quarter
from liaison.models import Office
from reports.dashboard.assessment import assessment_compute
from reports.dashboard.live_services import (
    compact_live_figures,
    fold_live_figures,
    live_figures_drift,
    recount_live_figures,
)
from reports.dashboard.selectors import Dashboard
from reports.ledger.pack import CaseFigures, DispatchPack
from reports.models import DispatchMeeting
from reports.tests.test_dashboard import _file, _refer, _report

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the sums are kept by PostgreSQL triggers"),
]


def _department():
    department = complaint_factories.department()
    return department, factories.user("dept", department=department)


def _tallies(figures) -> dict:
    """Every non-empty group of a QuarterFigures, comparable."""
    out = {}
    groups = [("total", {"all": figures.total}), ("department", figures.by_department)]
    groups += [("category", figures.by_category), ("channel", figures.by_channel)]
    for kind, tallies in groups:
        for key, tally in tallies.items():
            counts = {name: value for name, value in tally.counts.items() if value}
            if counts or tally.handled:
                out[(kind, key)] = (counts, tally.handling_days, tally.handled)
    return out


def _pack_figures(quarter: Quarter, now: dt.datetime, viewer, *, live: bool) -> list:
    """The dispatch pack's case figures per office (those with any) and per key department."""
    pack = DispatchPack(meeting=DispatchMeeting(quarter=quarter.label), viewer=viewer, now=now, live=live)
    by_office, _by_department = pack._figures()
    empty = CaseFigures()
    return [{k: v for k, v in by_office.items() if v != empty}, pack.generate().key_departments]


def assert_live_equals_counted(quarter: Quarter, viewer=None) -> None:
    live = Dashboard(quarter=quarter).generate()
    counted = Dashboard(quarter=quarter, now=live.generated_at, live=False).generate()
    for mine, theirs in zip(live.chronological, counted.chronological, strict=True):
        assert _tallies(mine) == _tallies(theirs), mine.quarter
    # The efficiency assessment scores departments on the same kept sums.
    now = live.generated_at
    assert assessment_compute(quarter, now=now) == assessment_compute(quarter, now=now, live=False)
    if viewer is not None:
        # And the dispatch meeting's pack its offices and key departments.
        live_pack = _pack_figures(quarter, now, viewer, live=True)
        assert live_pack == _pack_figures(quarter, now, viewer, live=False)


def _moment(rng: random.Random, quarters: list[Quarter], *, after: dt.datetime | None = None) -> dt.datetime:
    """A random moment in one of ``quarters`` (not in the future, not before ``after``)."""
    now = timezone.now()
    quarter = rng.choice(quarters)
    moment = quarter.start + dt.timedelta(
        seconds=rng.randrange(int((quarter.end - quarter.start).total_seconds()))
    )
    if after is not None and moment <= after:
        moment = after + dt.timedelta(hours=rng.randint(1, 24 * 40))
    return min(moment, now - dt.timedelta(minutes=1))


class World:
    """Departments, people and a random walk through the workflow, every step through the
    services (with a few timestamps moved the way the admin or a back-dated entry would)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        current = Quarter.current()
        self.quarters = [current.shifted(-n) for n in range(6)]
        self.handler = factories.user("handler")
        self.departments = [_department() for _ in range(3)]
        self.offices = [Office.objects.create(name=f"第{n}监督检查室") for n in range(1, 3)]
        key = self.departments[0][0]
        key.is_key = True  # the dispatch pack's key departments
        key.save(update_fields=["is_key"])
        self.chief = get_user_model().objects.create_superuser("chief", password="pw-12345678")

    def step(self) -> str:
        rng = self.rng
        action = rng.choice(
            ["file", "file", "accept", "accept", "dispose", "report", "review", "close", "close", "reopen",
             "rate", "escalate", "due", "move", "assign", "holiday", "delete"]
        )  # fmt: skip
        try:
            with transaction.atomic():
                getattr(self, f"_{action}")()
        except (InvalidTransition, ValidationError, IndexError, ProtectedError):
            return f"{action}: not possible now"
        return action

    def _pick(self, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        return queryset.model.objects.get(pk=self.rng.choice(ids))

    def _file(self):
        department, _user = self.rng.choice(self.departments + [(None, None)])
        extra = {} if department else {"department_text": "某街道办事处"}
        _file(
            department=department,
            category=self.rng.choice([Category.FINES, Category.CHARGES, Category.INSPECTIONS]),
            channel=self.rng.choice(
                [Channel.WEB, Channel.HOTLINE, Channel.LIAISON_POINT, Channel.SUPERVISOR]
            ),
            received_at=_moment(self.rng, self.quarters),
            **extra,
        )

    def _accept(self):
        complaint = self._pick(Complaint.objects.filter(case_link__isnull=True))
        case = services.complaint_accept(complaint=complaint, actor=self.handler)
        Case.objects.filter(pk=case.pk).update(
            opened_at=_moment(self.rng, self.quarters, after=complaint.received_at)
        )

    def _dispose(self):
        case = self._pick(Case.objects.filter(status=Case.Status.ACCEPTED, department__isnull=False))
        if self.rng.random() < 0.3:
            services.case_self_handle(case=case, actor=self.handler)
            return
        referral = _refer(case, case.department, self.handler)
        sent_at = max(case.opened_at, _moment(self.rng, self.quarters, after=case.opened_at))
        due = (sent_at + dt.timedelta(days=self.rng.randint(-10, 40))).astimezone(SHANGHAI).date()
        Referral.objects.filter(pk=referral.pk).update(sent_at=sent_at, due_date=due)

    def _report(self):
        referral = self._pick(
            Referral.objects.filter(status__in=[Referral.Status.SENT, Referral.Status.ACKNOWLEDGED])
        )
        _report(referral, referral.department.members.first())

    def _review(self):
        referral = self._pick(Referral.objects.filter(status=Referral.Status.REPORTED))
        decision = self.rng.choice(["accept", "return"])
        services.report_review(
            report=referral.reports.order_by("-pk").first(),
            decision=decision,
            reason="事实不清,重新调查。",
            actor=self.handler,
        )

    def _close(self):
        case = self._pick(Case.objects.filter(status=Case.Status.HANDLING))
        finding = self.rng.choice([Case.Finding.SUBSTANTIATED, Case.Finding.UNSUBSTANTIATED])
        services.case_close(case=case, result_summary="已办结。", finding=finding, actor=self.handler)
        if self.rng.random() < 0.7:
            Case.objects.filter(pk=case.pk).update(
                closed_at=_moment(self.rng, self.quarters, after=case.opened_at)
            )

    def _reopen(self):
        case = self._pick(Case.objects.filter(status=Case.Status.CONCLUDED))
        services.case_reopen(case=case, reason="企业反映问题仍未解决。", actor=self.handler)

    def _rate(self):
        complaint = self._pick(Complaint.objects.filter(case_link__case__status=Case.Status.CONCLUDED))
        complaint_rate(complaint=complaint, level=self.rng.choice(["satisfied", "basically", "unsatisfied"]))

    def _escalate(self):
        case = self._pick(Case.objects.all())
        Case.objects.filter(pk=case.pk).update(escalation_level=self.rng.randint(0, 3))

    def _due(self):
        referral = self._pick(Referral.objects.all())
        shift = dt.timedelta(days=self.rng.randint(-20, 20))
        Referral.objects.filter(pk=referral.pk).update(
            due_date=(referral.due_date or timezone.localdate()) + shift
        )

    def _move(self):
        # Staff correct the unit or channel of a case (a complaint's own content is immutable).
        department, _user = self.rng.choice(self.departments)
        case = self._pick(Case.objects.all())
        Case.objects.filter(pk=case.pk).update(department=department, channel=Channel.LETTER)

    def _assign(self):
        # A case goes to an office of the commission (the dispatch pack's sections).
        case = self._pick(Case.objects.all())
        services.case_assign(case=case, office=self.rng.choice(self.offices), actor=self.handler)

    def _holiday(self):
        day = self.rng.choice(self.quarters).first_day + dt.timedelta(days=self.rng.randint(0, 80))
        CalendarYear.objects.update_or_create(year=day.year, defaults={"complete": True})
        CalendarDay.objects.update_or_create(
            date=day, defaults={"is_working_day": day.weekday() >= 5, "name": "调休"}
        )

    def _delete(self):
        complaint = self._pick(Complaint.objects.filter(case_link__isnull=True))
        complaint.delete()


def test_after_random_workflow_actions_the_kept_sums_equal_a_recount_and_the_dashboard_the_tables():
    world = World(seed=19)
    done = []
    for n in range(1, 161):
        done.append(world.step())
        if n % 25 == 0:
            # As the beat job does every minute: merged into the totals, the next reads take the
            # totals plus the rows appended since.
            compact_live_figures()
        if n % 40 == 0:
            assert live_figures_drift() == [], done[-40:]
            assert_live_equals_counted(world.quarters[n // 40 % len(world.quarters)], world.chief)
    # Every kind of action ran, most of them more than once.
    ran = {action for action in done if ":" not in action}
    assert ran >= {
        "file",
        "accept",
        "dispose",
        "report",
        "review",
        "close",
        "reopen",
        "rate",
        "move",
        "assign",
        "holiday",
    }
    assert Case.objects.filter(status=Case.Status.CONCLUDED).exists()
    assert Referral.objects.filter(closed_at__isnull=True, due_date__lt=timezone.localdate()).exists()
    for quarter in world.quarters[:5]:
        assert_live_equals_counted(quarter, world.chief)
    # The nightly fold reads the same, and a recount changes nothing.
    assert fold_live_figures() > 0
    assert fold_live_figures() == 0  # a second run finds nothing left to fold
    assert live_figures_drift() == []
    assert_live_equals_counted(world.quarters[0])


def test_the_check_command_finds_a_kept_sum_that_drifted_and_the_recount_repairs_it(capsys):
    World(seed=3).step()
    _file(department=None, department_text="某街道办事处", category=Category.FINES)
    call_command("figures_recount", "--check")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_livefigure SET received = received + 1 WHERE received > 0")
    with translation.override("en"):
        with pytest.raises(CommandError, match="2 rows of the kept sums differ from a recount"):
            call_command("figures_recount", "--check")
        call_command("figures_recount")
        call_command("figures_recount", "--check")
        # The totals per unit and per category or channel (kept by the merge) are checked too.
        _file(department=None, department_text="某街道办事处", category=Category.CHARGES)
        assert compact_live_figures() > 0
        call_command("figures_recount", "--check")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE reports_livetotal SET received = received + 1 WHERE department_id = -1")
            tampered = cursor.rowcount
        assert tampered > 0
        assert len([row for row in live_figures_drift() if row.get("totals")]) == tampered
        with pytest.raises(CommandError, match=f"{tampered} rows of the kept sums differ"):
            call_command("figures_recount", "--check")
        call_command("figures_recount")
        call_command("figures_recount", "--check")
    assert "equal a recount" in capsys.readouterr().out


def test_a_referral_becomes_late_at_the_midnight_after_its_due_date_without_a_write():
    department, _user = _department()
    handler = factories.user("handler")
    complaint = _file(department=department)
    case = services.complaint_accept(complaint=complaint, actor=handler)
    referral = _refer(case, department, handler)
    today = timezone.now().astimezone(SHANGHAI).date()
    Referral.objects.filter(pk=referral.pk).update(due_date=today)
    quarter = Quarter.current()
    assert Dashboard(quarter=quarter).generate().current.total["open_late"] == 0
    # Tomorrow, as the dashboard will read it: the day's row says the lateness starts then.
    tomorrow = timezone.now() + dt.timedelta(days=1)
    if Quarter.containing(tomorrow) == quarter:
        from reports.dashboard.live import count_live
        from reports.dashboard.tally import QuarterFigures

        item = QuarterFigures(quarter=quarter, as_of=tomorrow)
        count_live(item, tomorrow)
        assert item.total["open_late"] == 1
    Referral.objects.filter(pk=referral.pk).update(due_date=today - dt.timedelta(days=1))
    assert Dashboard(quarter=quarter).generate().current.total["open_late"] == 1
    assert_live_equals_counted(quarter)


def test_a_workflow_action_sends_no_more_statements_with_the_sums_kept():
    """The triggers do the bookkeeping inside the database: no statement is added."""
    department, _user = _department()
    handler = factories.user("handler")

    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            case = services.complaint_accept(complaint=_file(department=department), actor=handler)
            _refer(case, department, handler)
        return len(queries)

    kept = statements()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # every trigger off
    try:
        assert statements() == kept
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
    assert live_figures_drift() != []  # the second case went in unseen by the sums
    recount_live_figures()


# --- Concurrent writers (real commits: transactional_db) -----------------------------------------


def _in_thread(target, *args):
    errors = []

    def run():
        try:
            target(*args)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_the_sums_equal_to_a_recount():
    handler = factories.user("handler")
    shared, _shared_user = _department()
    own = [_department()[0] for _ in range(4)]
    quarters = [Quarter.current(), Quarter.current().previous()]

    def worker(index: int) -> None:
        rng = random.Random(index)
        for n in range(15):
            # Half of the work on the worker's own unit, half on one unit they all share: the
            # same rows of the sums, written by four transactions at once.
            department = shared if n % 2 else own[index]
            with transaction.atomic():
                complaint = _file(
                    department=department,
                    category=Category.CHARGES,
                    received_at=_moment(rng, quarters),
                )
                case = services.complaint_accept(complaint=complaint, actor=handler)
                if n % 3 == 0:
                    services.case_self_handle(case=case, actor=handler)
                    services.case_close(
                        case=case, result_summary="已办结。", finding=Case.Finding.PARTLY, actor=handler
                    )
                else:
                    _refer(case, department, handler)

    threads = [_in_thread(worker, index) for index in range(4)]
    for thread, errors in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert errors == []
    assert Complaint.objects.count() == 60
    assert live_figures_drift() == []
    for quarter in quarters:
        assert_live_equals_counted(quarter)


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_holds_up_no_other_writer_of_the_sums():
    """The sums are appended to, never updated in place: a transaction still open on a unit's rows
    holds up neither another unit's complaint nor a second one for the very same unit, category
    and channel. The merge that comes later waits for nobody either."""
    a, _user_a = _department()
    b, _user_b = _department()
    holding = threading.Event()
    release = threading.Event()

    def hold_a() -> None:
        with transaction.atomic():
            _file(department=a, category=Category.FINES, channel=Channel.WEB)
            holding.set()
            release.wait(30)

    finished = {}

    def file_for(department, key) -> None:
        _file(department=department, category=Category.FINES, channel=Channel.WEB)
        finished[key] = time.monotonic()

    def compact() -> None:
        compact_live_figures()
        finished["compact"] = time.monotonic()

    holder, holder_errors = _in_thread(hold_a)
    assert holding.wait(30)
    started = time.monotonic()
    threads = [_in_thread(file_for, b, "b"), _in_thread(file_for, a, "a"), _in_thread(compact)]
    for thread, _errors in threads:
        thread.join(timeout=10)
    assert set(finished) == {"a", "b", "compact"}, finished
    assert max(finished.values()) - started < 5, finished
    release.set()
    holder.join(timeout=30)
    assert holder_errors == [] and all(errors == [] for _thread, errors in threads)
    assert live_figures_drift() == []
    assert Dashboard(quarter=Quarter.current()).generate().current.by_department[a.pk]["received"] == 2

"""The quarterly dispatch meeting (调度会): one meeting a quarter, minutes, action items that
become ledger tasks, and the meeting pack — its figures on a fixture with known answers, its
fixed number of queries, its workbook and its printable page."""

import dataclasses
import datetime as dt
import io
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from casework.models import Case, Referral
from complaints.models import Category, Channel
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories
from core.errors import InvalidTransition
from core.models import Deadline
from core.periods import PERIOD_TIMEZONE
from liaison.models import Office
from liaison.tests.factories_associations import association
from reports.ledger import pack as ledger_pack
from reports.ledger import services as ledger
from reports.models import LEDGER_DEADLINE_KIND, ActionItem, DispatchMeeting, LedgerTask
from reports.tests.test_ledger import LEDGER_PERMISSIONS, office, staff

pytestmark = pytest.mark.django_db

D = dt.date
_counter = itertools.count(1)
PACK_PERMISSIONS = ("reports.view_dispatchmeeting", "reports.view_ledgertask", "casework.view_case")
MEETING_PERMISSIONS = (
    *LEDGER_PERMISSIONS,
    "reports.add_dispatchmeeting",
    "reports.change_dispatchmeeting",
    "reports.view_dispatchmeeting",
    "reports.add_actionitem",
    "reports.view_actionitem",
    "casework.view_case",
)


def shanghai(year, month, day, hour=10, minute=0, second=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=PERIOD_TIMEZONE)


@pytest.fixture(autouse=True)
def no_measures():
    # The eight measures installed by migrations have no office: keep the "no office" section ours.
    LedgerTask.objects.filter(source=LedgerTask.Source.MEASURE).delete()
    Deadline.objects.filter(kind=LEDGER_DEADLINE_KIND).delete()


@pytest.fixture
def on(monkeypatch):
    """Make the services and the pack date what they do on a given day (at noon, Shanghai)."""

    def set_day(day: dt.date) -> None:
        noon = shanghai(day.year, day.month, day.day, 12)
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)
        monkeypatch.setattr(timezone, "now", lambda: noon)

    return set_day


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def meeting(quarter: str = "2026Q4", scheduled_on: dt.date | None = None) -> DispatchMeeting:
    return ledger.dispatch_meeting_schedule(
        quarter=quarter, scheduled_on=scheduled_on or D(2026, 12, 20), place="三楼会议室", actor=None
    )


def case(
    *,
    office_: Office | None,
    opened: dt.datetime,
    closed: dt.datetime | None = None,
    referral_due: dt.date | None = None,
) -> Case:
    status = (
        Case.Status.CONCLUDED if closed else (Case.Status.REFERRED if referral_due else Case.Status.HANDLING)
    )
    created = Case.objects.create(
        title=f"重复检查问题{next(_counter)}",
        category=Category.INSPECTIONS,
        office=office_,
        opened_at=opened,
        closed_at=closed,
        status=status,
    )
    if referral_due:
        Referral.objects.create(
            case=created,
            department=complaint_factories.department(),
            kind=Referral.Kind.ASSIGN,
            status=Referral.Status.ACKNOWLEDGED,
            released_text="企业反映重复检查。",
            sent_at=opened,
            due_date=referral_due,
        )
    return created


def ledger_task(office_: Office, due: dt.date, title: str) -> LedgerTask:
    return ledger.ledger_task_create(title=title, office=office_, due_date=due, actor=None)


# --- Scheduling and minutes -----------------------------------------------------------------------


def test_a_quarter_has_one_dispatch_meeting_named_by_a_valid_quarter():
    first = ledger.dispatch_meeting_schedule(
        quarter="2026年第4季度", scheduled_on=D(2026, 12, 20), place="三楼会议室", actor=None
    )
    assert first.quarter == "2026Q4" and first.status == DispatchMeeting.Status.PLANNED
    for label in ("2026Q4", "2026-q4"):
        with pytest.raises(ValidationError) as duplicate:
            ledger.dispatch_meeting_schedule(
                quarter=label, scheduled_on=D(2026, 12, 21), place="", actor=None
            )
        assert duplicate.value.code == "duplicate"
    for label in ("2026-10", "2026Q5", "下季度", ""):
        with pytest.raises(ValidationError):
            ledger.dispatch_meeting_schedule(
                quarter=label, scheduled_on=D(2026, 10, 20), place="", actor=None
            )
    # In the quarter or the month after it.
    with pytest.raises(ValidationError):
        ledger.dispatch_meeting_schedule(quarter="2026Q3", scheduled_on=D(2026, 6, 30), place="", actor=None)
    with pytest.raises(ValidationError):
        ledger.dispatch_meeting_schedule(quarter="2026Q3", scheduled_on=D(2026, 11, 1), place="", actor=None)
    assert ledger.dispatch_meeting_schedule(
        quarter="2026Q3", scheduled_on=D(2026, 10, 31), place="", actor=None
    )


def test_recording_the_minutes_marks_the_meeting_held_but_not_before_its_date(on):
    planned = meeting()
    on(D(2026, 12, 19))
    with pytest.raises(ValidationError):
        ledger.dispatch_minutes_record(meeting=planned, minutes="各厅室汇报。", actor=None)
    on(D(2026, 12, 20))
    with pytest.raises(ValidationError):
        ledger.dispatch_minutes_record(meeting=planned, minutes="  ", actor=None)
    held = ledger.dispatch_minutes_record(meeting=planned, minutes="各厅室汇报了工作进度。", actor=None)
    assert held.status == DispatchMeeting.Status.HELD and held.minutes_recorded_at is not None
    corrected = ledger.dispatch_minutes_record(meeting=held, minutes="更正后的纪要。", actor=None)
    assert corrected.minutes == "更正后的纪要。" and corrected.status == DispatchMeeting.Status.HELD
    with pytest.raises(InvalidTransition):
        ledger.dispatch_meeting_reschedule(meeting=held, scheduled_on=D(2026, 12, 22), place="", actor=None)


# --- Action items ------------------------------------------------------------------------------------


def test_an_action_item_becomes_a_ledger_task_with_its_deadline(on):
    on(D(2026, 12, 20))
    held = meeting()
    unit = office()
    owner = staff(email="owner@ccdi.example")
    item = ledger.dispatch_action_item_add(
        meeting=held,
        office=unit,
        owner=owner,
        description="对工商、税务系统开展一次专项督查\n重点检查重复检查问题",
        due_date=D(2027, 1, 29),
        actor=None,
    )
    task = item.ledger_task
    assert task.source == LedgerTask.Source.DISPATCH and task.measure_number is None
    assert (task.office, task.responsible, task.due_date) == (unit, owner, D(2027, 1, 29))
    assert task.title == "对工商、税务系统开展一次专项督查" and "重点检查重复检查问题" in task.goal
    assert task.deadline.kind == LEDGER_DEADLINE_KIND and task.deadline.due_date == D(2027, 1, 29)
    assert item.due_date == task.due_date and held.action_items.get() == item


def test_an_action_item_that_cannot_become_a_ledger_task_is_not_recorded(on):
    on(D(2026, 12, 20))
    held = meeting()
    with pytest.raises(ValidationError):
        ledger.dispatch_action_item_add(
            meeting=held,
            office=office(),
            owner=None,
            description="补充材料",
            due_date=D(2026, 12, 1),
            actor=None,
        )
    with pytest.raises(ValidationError):
        ledger.dispatch_action_item_add(
            meeting=held, office=None, owner=None, description="补充材料", due_date=D(2027, 1, 8), actor=None
        )
    assert not ActionItem.objects.exists() and not LedgerTask.objects.exists()


# --- The pack's figures --------------------------------------------------------------------------------


@pytest.fixture
def known(on):
    """Two offices, cases either side of the quarter's edges, tasks in every state; today 20 Nov 2026."""
    a = Office.objects.create(name="第一室")
    b = Office.objects.create(name="第二室")
    cases = {
        # 23:30 on 30 September in Shanghai is 15:30 UTC: Q3. 00:10 on 1 October is still
        # 30 September in UTC (16:10): Q4 all the same.
        "a_q3_open": case(office_=a, opened=shanghai(2026, 9, 30, 23, 30)),
        "a_q4_overdue": case(office_=a, opened=shanghai(2026, 10, 1, 0, 10), referral_due=D(2026, 11, 10)),
        "a_q4_concluded": case(office_=a, opened=shanghai(2026, 10, 5), closed=shanghai(2026, 11, 2)),
        "a_q3_concluded": case(office_=a, opened=shanghai(2026, 7, 1), closed=shanghai(2026, 9, 30, 23, 59)),
        "a_concluded_at_q4_start": case(
            office_=a, opened=shanghai(2026, 8, 1), closed=shanghai(2026, 10, 1, 0, 0, 30)
        ),
        "b_q4_on_time": case(office_=b, opened=shanghai(2026, 11, 3), referral_due=D(2026, 11, 25)),
        "b_q2_overdue": case(office_=b, opened=shanghai(2026, 6, 1), referral_due=D(2026, 11, 19)),
        "none_q4": case(office_=None, opened=shanghai(2026, 10, 10)),
    }
    on(D(2026, 9, 1))
    tasks = {
        "a_overdue": ledger_task(a, D(2026, 11, 10), "逾期的任务"),
        "a_silent": ledger_task(a, D(2026, 12, 31), "从未汇报进展的任务"),
        "a_stale": ledger_task(a, D(2026, 12, 15), "一个多月没有进展的任务"),
        "a_done_in_q4": ledger_task(a, D(2026, 12, 1), "本季度完成的任务"),
        "a_done_in_q3": ledger_task(a, D(2026, 12, 1), "上季度完成的任务"),
        "a_cancelled": ledger_task(a, D(2026, 12, 1), "已取消的任务"),
        "b_fine": ledger_task(b, D(2026, 12, 1), "正常推进的任务"),
    }
    LedgerTask.objects.update(created_at=shanghai(2026, 9, 1))
    on(D(2026, 11, 20))
    add = ledger.ledger_progress_add
    add(task=tasks["a_overdue"], note="完成了40%", percent=40, noted_on=D(2026, 11, 1), actor=None)
    add(task=tasks["a_stale"], note="开了动员会", percent=10, noted_on=D(2026, 10, 5), actor=None)
    add(task=tasks["b_fine"], note="基本完成", percent=80, noted_on=D(2026, 11, 18), actor=None)
    for key, done_at in (("a_done_in_q4", shanghai(2026, 10, 15)), ("a_done_in_q3", shanghai(2026, 9, 20))):
        ledger.ledger_task_update_status(task=tasks[key], status="done", actor=None)
        LedgerTask.objects.filter(pk=tasks[key].pk).update(done_at=done_at)
    ledger.ledger_task_update_status(task=tasks["a_cancelled"], status="cancelled", note="重复", actor=None)
    return {"a": a, "b": b, "cases": cases, "tasks": tasks}


def figures(section) -> tuple[int, int, int, int]:
    f = section.figures
    return (f.opened, f.concluded, f.open_now, f.overdue_now)


def test_the_pack_counts_each_offices_cases_and_tasks_by_the_shanghai_quarter(known):
    from django.utils import translation

    viewer = staff(*PACK_PERMISSIONS)
    with translation.override("en"):
        pack = ledger_pack.DispatchPack(meeting=meeting("2026Q4"), viewer=viewer).generate()
    assert pack.today == D(2026, 11, 20)
    assert [section.name for section in pack.sections] == ["第一室", "第二室", "No office assigned"]
    a, b, none = pack.sections

    assert figures(a) == (2, 2, 2, 1)
    assert figures(b) == (1, 0, 2, 1)
    assert figures(none) == (1, 0, 1, 0)
    assert (pack.totals.opened, pack.totals.concluded, pack.totals.open_now, pack.totals.overdue_now) == (
        4,
        2,
        5,
        2,
    )

    tasks = known["tasks"]
    assert [item.task.pk for item in a.tasks] == [
        tasks[k].pk for k in ("a_overdue", "a_done_in_q4", "a_stale", "a_silent")
    ]  # by due date; done before the quarter and cancelled are left out
    assert [item.task.pk for item in a.overdue_tasks] == [tasks["a_overdue"].pk]
    assert a.overdue_tasks[0].days_overdue == 10
    overdue = a.tasks[0].task
    assert (overdue.latest_note, overdue.latest_percent, overdue.latest_noted_on) == (
        "完成了40%",
        40,
        D(2026, 11, 1),
    )
    assert {item.task.pk for item in a.problems} == {tasks["a_silent"].pk, tasks["a_stale"].pk}
    assert [item.case.pk for item in a.overdue_cases] == [known["cases"]["a_q4_overdue"].pk]
    assert [item.case.pk for item in b.overdue_cases] == [known["cases"]["b_q2_overdue"].pk]
    assert (
        [item.task.pk for item in b.tasks] == [tasks["b_fine"].pk] and not b.problems and not b.overdue_tasks
    )
    assert none.tasks == []


def test_the_case_opened_at_half_past_eleven_on_30_september_belongs_to_q3(known):
    viewer = staff(*PACK_PERMISSIONS)
    pack = ledger_pack.DispatchPack(meeting=meeting("2026Q3", D(2026, 10, 20)), viewer=viewer).generate()
    a = pack.sections[0]
    # Opened in Q3: the 30 September 23:30 case, and those of July and August; concluded in Q3:
    # the one closed at 23:59 on 30 September (not the one closed 30 seconds into October).
    assert (a.figures.opened, a.figures.concluded) == (3, 1)


def test_a_viewer_who_may_not_see_cases_gets_the_ledger_and_is_told(known):
    viewer = staff("reports.view_dispatchmeeting", "reports.view_ledgertask")
    pack = ledger_pack.DispatchPack(meeting=meeting(), viewer=viewer).generate()
    assert pack.ledger_visible and not pack.cases_visible
    assert pack.totals.opened == 0 and pack.task_count == 5


def _offices_with_work(count: int) -> None:
    for n in range(count):
        unit = Office.objects.create(name=f"科室{n:02d}")
        for k in range(2):
            task = ledger_task(unit, D(2026, 12, 1) + dt.timedelta(days=k), f"任务{n}-{k}")
            if k:
                ledger.ledger_progress_add(task=task, note="进展", percent=50, actor=None)
        case(office_=unit, opened=shanghai(2026, 10, 8))
        case(office_=unit, opened=shanghai(2026, 10, 9), referral_due=D(2026, 11, 10))


@pytest.mark.parametrize("live", [True, False])
@pytest.mark.parametrize("offices", [2, 6])
def test_the_pack_costs_the_same_number_of_queries_for_2_and_6_offices(on, offices, live):
    on(D(2026, 11, 2))
    _offices_with_work(offices)
    on(D(2026, 11, 20))
    held = meeting()
    viewer = staff(*PACK_PERMISSIONS)
    viewer.has_perm("casework.view_case")  # the permission cache: two queries, once per request
    with CaptureQueriesContext(connection) as queries:
        pack = ledger_pack.DispatchPack(meeting=held, viewer=viewer, live=live).generate()
    assert len(pack.sections) == offices and pack.task_count == 2 * offices
    assert sum(section.figures.overdue_now for section in pack.sections) == offices
    # Offices, tasks (with their latest notes), case figures, overdue cases, key departments. The
    # case figures are one statement over the kept sums (the meeting's quarter is in progress), or
    # two counting the tables (per office, per key department).
    figures = 1 if live and connection.vendor == "postgresql" else 2
    assert len(queries) == 4 + figures, [q["sql"] for q in queries.captured_queries]


def test_the_pack_of_a_past_quarter_reads_its_counts_and_now_s(known):
    """A past quarter's meeting: accepted and concluded in it, open and late now; read live in two
    statements (the quarter's, now's), and the same as counted from the tables."""
    viewer = staff(*PACK_PERMISSIONS)
    viewer.has_perm("casework.view_case")
    held = meeting("2026Q3", D(2026, 10, 20))
    with CaptureQueriesContext(connection) as queries:
        live = ledger_pack.DispatchPack(meeting=held, viewer=viewer).generate()
    counted = ledger_pack.DispatchPack(meeting=held, viewer=viewer, live=False).generate()
    assert [figures(section) for section in live.sections] == [
        figures(section) for section in counted.sections
    ]
    # 第一室: three opened in Q3 and one concluded; open now the Q3 one and the Q4 overdue one.
    assert figures(live.sections[0]) == (3, 1, 2, 1)
    assert live.key_departments == counted.key_departments
    if connection.vendor == "postgresql":
        assert len(queries) == 6  # offices, tasks, two over the kept sums, overdue cases, key departments


# --- The pack as a workbook and as a printable page ------------------------------------------------------


def test_the_pack_xlsx_has_a_sheet_per_section_with_the_figures(client, known, english):
    held = meeting()
    client.force_login(staff(*PACK_PERMISSIONS))
    response = client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]))
    assert response.status_code == 200
    assert 'filename="dispatch-meeting-pack-2026Q4.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [
        "Ledger progress",
        "Case figures",
        "Key departments",
        "Overdue and problems",
        "Openness checks",
        "Inspections of enterprises",
        "Inspections by department",
        "Trainings and awards",
        "Associations and hotline",
        "Democratic appraisal",
    ]
    hidden = list(workbook["Inspections of enterprises"].iter_rows(values_only=True))
    assert hidden[2] == ("Inspections are not shown: you may not see inspections.",)
    assert hidden[4] == ("Figure", "Value") and hidden[5:] == []  # the note, then no figures
    assert len(list(workbook["Inspections by department"].iter_rows(values_only=True))) == 5

    progress = list(workbook["Ledger progress"].iter_rows(values_only=True))
    assert progress[0] == ("Dispatch meeting 2026Q4: Ledger progress",)
    assert progress[3][0] == "Office" and len(progress[4:]) == 5  # 4 tasks of 第一室, 1 of 第二室
    assert [row[2] for row in progress[4:]] == [
        "逾期的任务",
        "本季度完成的任务",
        "一个多月没有进展的任务",
        "从未汇报进展的任务",
        "正常推进的任务",
    ]
    assert progress[4][7] == "Yes" and progress[4][8] == "完成了40%" and progress[4][9] == 40

    cases = list(workbook["Case figures"].iter_rows(values_only=True))
    assert cases[3] == (
        "Office",
        "Opened in the quarter",
        "Concluded in the quarter",
        "Open now",
        "Overdue now",
    )
    assert cases[4:] == [
        ("第一室", 2, 2, 2, 1),
        ("第二室", 1, 0, 2, 1),
        ("No office assigned", 1, 0, 1, 0),
        ("Total", 4, 2, 5, 2),
    ]

    issues = list(workbook["Overdue and problems"].iter_rows(values_only=True))[4:]
    tasks, known_cases = known["tasks"], known["cases"]
    assert [(row[0], row[1], row[2]) for row in issues] == [
        ("第一室", "Ledger task", tasks["a_overdue"].reference),
        ("第一室", "Case", known_cases["a_q4_overdue"].reference),
        ("第一室", "Ledger task", tasks["a_stale"].reference),
        ("第一室", "Ledger task", tasks["a_silent"].reference),
        ("第二室", "Case", known_cases["b_q2_overdue"].reference),
    ]
    assert issues[2][6] == "No progress noted since 2026-10-05"


def test_the_printable_pack_renders_every_office_with_print_css_and_nothing_from_outside(
    client, known, english
):
    held = meeting()
    client.force_login(staff(*PACK_PERMISSIONS))
    response = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-pack="{held.pk}"' in page and "@media print" in page
    for name in ("第一室", "第二室", "逾期的任务", known["cases"]["a_q4_overdue"].reference):
        assert name in page
    assert f'data-office-row="{known["a"].pk}"' in page and 'data-office-row="none"' in page
    assert page.count('data-issue="task-stale"') == 2 and page.count('data-issue="case-overdue"') == 2
    assert "<script src" not in page and "<link" not in page and "//cdn" not in page


@pytest.mark.parametrize("with_office", [True, False])
def test_the_printable_pack_lists_the_most_overdue_cases_and_links_to_the_rest(
    client, on, monkeypatch, english, with_office
):
    """A commission with thousands of overdue cases: the page lists each office's most overdue and
    links to the case list narrowed to exactly the ones counted; the workbook lists them all."""
    monkeypatch.setattr("reports.ledger.admin.OVERDUE_CASES_SHOWN", 2)
    on(D(2026, 11, 2))
    unit = Office.objects.create(name="第三室") if with_office else None
    late = [
        case(office_=unit, opened=shanghai(2026, 10, 8), referral_due=D(2026, 11, 10 + n)) for n in range(4)
    ]
    case(office_=unit, opened=shanghai(2026, 10, 8), referral_due=D(2026, 12, 10))  # in time
    on(D(2026, 11, 20))
    held = meeting()
    viewer = staff(*PACK_PERMISSIONS)
    client.force_login(viewer)
    page = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    # The two most overdue (due 10 and 11 November), then the link for the other two.
    assert page.count('data-issue="case-overdue"') == 2
    assert late[0].reference in page and late[1].reference in page and late[2].reference not in page
    assert "…and 2 more overdue cases, in the case list" in page
    link = page.split('data-issue="case-overdue-more"><td colspan="5"><a href="')[1].split('"')[0]
    link = link.replace("&amp;", "&")
    assert "figure=open_late&quarter=2026Q4" in link
    listed = client.get(link)
    assert listed.status_code == 200  # a parameter the admin refuses redirects to ?e=1
    assert set(listed.context["cl"].queryset.values_list("pk", flat=True)) == {c.pk for c in late}

    workbook = load_workbook(
        io.BytesIO(client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk])).content),
        read_only=True,
    )
    issues = [row for row in workbook["Overdue and problems"].iter_rows(values_only=True) if "Case" in row]
    assert sorted(row[2] for row in issues) == sorted(c.reference for c in late)


def test_the_meeting_page_links_to_the_pack_and_its_xlsx(client, english):
    held = meeting()
    client.force_login(staff(*MEETING_PERMISSIONS))
    page = client.get(reverse("admin:reports_dispatchmeeting_change", args=[held.pk])).content.decode()
    assert reverse("admin:reports_dispatchmeeting_pack", args=[held.pk]) in page
    assert reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]) in page
    assert reverse("admin:reports_dispatchmeeting_action_item", args=[held.pk]) in page


def test_the_meeting_list_links_each_meeting_to_its_pack(client, english):
    held = meeting()
    client.force_login(staff(*MEETING_PERMISSIONS))
    page = client.get(reverse("admin:reports_dispatchmeeting_changelist")).content.decode()
    assert "2026Q4" in page and reverse("admin:reports_dispatchmeeting_pack", args=[held.pk]) in page


def test_the_pack_needs_the_meeting_permission(client):
    held = meeting()
    client.force_login(staff("reports.view_ledgertask"))
    response = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk]))
    assert response.status_code in (403, 404)


# --- The admin forms call the services -------------------------------------------------------------------


def test_the_admin_schedules_a_meeting_and_refuses_a_second_for_the_quarter(client, english):
    client.force_login(staff(*MEETING_PERMISSIONS))
    url = reverse("admin:reports_dispatchmeeting_add")
    response = client.post(url, {"quarter": "2026q4", "scheduled_on": "2026-12-20", "place": "三楼会议室"})
    created = DispatchMeeting.objects.get()
    assert response.status_code == 302 and created.quarter == "2026Q4"
    again = client.post(url, {"quarter": "2026Q4", "scheduled_on": "2026-12-21", "place": ""})
    assert again.status_code == 200 and "data-errors" in again.content.decode()
    assert DispatchMeeting.objects.count() == 1


def test_the_admin_action_item_form_creates_the_ledger_task(client, on, english):
    on(D(2026, 12, 20))
    held = meeting()
    unit = office()
    client.force_login(staff(*MEETING_PERMISSIONS))
    url = reverse("admin:reports_dispatchmeeting_action_item", args=[held.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"office": unit.pk, "owner": "", "description": "整改重复检查问题", "due_date": "2027-01-29"}
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert item.ledger_task.source == "dispatch" and item.ledger_task.office == unit
    page = client.get(reverse("admin:reports_dispatchmeeting_change", args=[held.pk])).content.decode()
    assert item.ledger_task.reference in page


def test_the_admin_records_the_minutes(client, on, english):
    on(D(2026, 12, 20))
    held = meeting()
    client.force_login(staff(*MEETING_PERMISSIONS))
    url = reverse("admin:reports_dispatchmeeting_minutes", args=[held.pk])
    assert client.post(url, {"minutes": "各厅室汇报了进度、问题和整改措施。"}).status_code == 302
    held.refresh_from_db()
    assert held.status == "held" and held.minutes.startswith("各厅室")


def test_the_pack_gives_the_key_departments_their_own_figures(on):
    from liaison.models import Department

    on(D(2026, 11, 2))
    unit = Office.objects.create(name="科室K")
    case(office_=unit, opened=shanghai(2026, 10, 8))
    key = Department.objects.filter(is_key=True).first() or Department.objects.create(
        name="市税务局K", is_key=True
    )
    from casework.models import Case

    Case.objects.update(department=key)
    held = meeting()
    pack = ledger_pack.DispatchPack(meeting=held, viewer=staff(*PACK_PERMISSIONS)).generate()
    figures = dict(pack.key_departments)[key.name]
    assert (figures.opened, figures.open_now) == (1, 1)


# --- Associations, intermediaries and the conduct hotline (issue 16) ---------------------------------------

DIRECTORY_PERMISSIONS = (*PACK_PERMISSIONS, "complaints.view_complaint")


def received(*, at: dt.datetime, body=None, channel=Channel.WEB, category=Category.ASSOCIATIONS):
    data = complaint_factories.complaint_data(category=category)
    if body is not None:  # the department left empty: the association's supervisor is chosen
        data = dataclasses.replace(data, association=body, department=None)
    return complaint_submit(data=data, identity=None, channel=channel, received_at=at).complaint


@pytest.fixture
def directory(on):
    """Two associations under two supervising departments, and hotline calls, around Q4 2026."""
    housing = complaint_factories.department(name="市住建局")
    health = complaint_factories.department(name="市卫健委")
    builders = association(name="市建筑业协会", supervising_department=housing)
    appraisers = association(name="市医疗评估中介所", kind="intermediary", supervising_department=health)
    received(at=shanghai(2026, 9, 30, 23, 30), body=builders)  # Q3 on the Shanghai clock
    for day in (shanghai(2026, 10, 1, 0, 10), shanghai(2026, 10, 10), shanghai(2026, 11, 5)):
        received(at=day, body=builders)
    received(at=shanghai(2026, 11, 1), body=appraisers)
    received(at=shanghai(2026, 11, 3), body=appraisers, channel=Channel.CONDUCT_HOTLINE)
    for day in (shanghai(2026, 10, 20), shanghai(2026, 11, 2)):
        received(at=day, channel=Channel.CONDUCT_HOTLINE, category=Category.CONDUCT)
    received(at=shanghai(2026, 12, 31, 23, 59), channel=Channel.CONDUCT_HOTLINE, category=Category.CONDUCT)
    received(at=shanghai(2027, 1, 1, 0, 1), channel=Channel.CONDUCT_HOTLINE, category=Category.CONDUCT)  # Q1
    on(D(2026, 11, 20))
    return {"builders": builders, "appraisers": appraisers}


def test_the_pack_gives_associations_and_hotline_calls_to_who_may_see_complaints(client, directory, english):
    from django.utils import translation

    held = meeting()
    client.force_login(staff(*DIRECTORY_PERMISSIONS))
    response = client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]))
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook["Associations and hotline"].iter_rows(values_only=True))
    assert rows[0] == ("Dispatch meeting 2026Q4: Associations and hotline",)
    assert rows[3] == ("Figure", "Name", "Kind of association", "Number")
    with translation.override("en"):
        conduct, about = str(Category.CONDUCT.label), str(Category.ASSOCIATIONS.label)
    assert rows[4:] == [
        ("Complaints about associations and intermediaries", None, None, 5),
        ("By kind", "Trade association", None, 3),
        ("By kind", "Market intermediary", None, 2),
        ("By kind", "No association named", None, 0),
        ("By association or intermediary", "市建筑业协会", "Trade association", 3),
        ("By association or intermediary", "市医疗评估中介所", "Market intermediary", 2),
        ("By supervising department", "市住建局", None, 3),
        ("By supervising department", "市卫健委", None, 2),
        ("Calls to the conduct hotline", None, None, 4),
        ("Conduct hotline calls by category", conduct, None, 3),
        ("Conduct hotline calls by category", about, None, 1),
    ]

    page = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    section = page[page.index("data-directory") :].split("</section>", 1)[0]
    assert (
        "Complaints about trade associations and market intermediaries: 5; "
        "calls logged from the conduct hotline: 4." in " ".join(section.split())
    )
    assert '<td>市建筑业协会</td><td>Trade association</td><td class="num">3</td>' in section
    assert '<td>市卫健委</td><td class="num">2</td>' in section
    assert section.count("data-directory-supervisor>") == 2 and section.count("data-hotline-category") == 2
    assert "data-directory-hidden" not in page


def test_a_viewer_who_may_not_see_complaints_gets_the_hidden_line_instead(client, directory, english):
    held = meeting()
    client.force_login(staff(*PACK_PERMISSIONS))
    page = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    hidden = "Complaints about associations and hotline calls are not shown: you may not see complaints."
    assert "data-directory-hidden" in page and hidden in page
    assert "data-directory>" not in page and "市建筑业协会" not in page and "市卫健委" not in page
    response = client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]))
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True)["Associations and hotline"].iter_rows(
            values_only=True
        )
    )
    assert rows[2] == (hidden,) and rows[4] == ("Figure", "Name", "Kind of association", "Number")
    assert rows[5:] == []


@pytest.mark.parametrize("bodies", [2, 6])
def test_the_directory_figures_cost_the_pack_the_same_queries_for_2_and_6_associations(on, bodies):
    on(D(2026, 11, 2))
    for n in range(bodies):
        body = association(name=f"协会{n:02d}")
        received(at=shanghai(2026, 10, 8), body=body)
        received(at=shanghai(2026, 10, 9), body=body, channel=Channel.CONDUCT_HOTLINE)
    held = meeting()
    viewer = staff(*DIRECTORY_PERMISSIONS)
    viewer.has_perm("casework.view_case")  # the permission cache: two queries, once per request
    with CaptureQueriesContext(connection) as queries:
        pack = ledger_pack.DispatchPack(meeting=held, viewer=viewer).generate()
    assert len(pack.directory.by_association) == bodies and pack.directory.hotline_total == bodies
    # The pack's five (six counting from the tables: SQLite), and the directory's three statements.
    pack_queries = 5 if connection.vendor == "postgresql" else 6
    assert len(queries) == pack_queries + 3, [q["sql"] for q in queries.captured_queries]

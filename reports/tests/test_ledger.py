"""The work ledger (工作台帐): the eight measures installed by migrations, the task lifecycle and
its deadline, append-only progress, the escalation ladder, the admin and the ledger workbook."""

import datetime as dt
import importlib
import io
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.calendar import calendar_day_set, is_working_day
from core.errors import InvalidTransition
from core.exports import export_job_run
from core.ladder import escalation_sweep
from core.models import Deadline, ExportJob, OutboundEmail
from core.outbox import outbox_render
from liaison.models import Office
from reports.ledger import services as ledger
from reports.ledger.escalation import ledger_ladder_register as ladder_handlers_register
from reports.models import LEDGER_DEADLINE_KIND, LedgerProgress, LedgerTask
from tests.fixtures import export_download

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)
measures_migration = importlib.import_module("reports.migrations.0003_ledger_measures")

LEDGER_PERMISSIONS = (
    "reports.add_ledgertask",
    "reports.change_ledgertask",
    "reports.view_ledgertask",
    "reports.add_ledgerprogress",
    "reports.view_ledgerprogress",
)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def staff(*permissions: str, email: str = "", **names) -> User:
    account = User.objects.create_user(
        f"ledger-{next(_counter)}", password="pw-12345678", is_staff=True, email=email, **names
    )
    for code in permissions:
        app_label, codename = code.split(".")
        account.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=account.pk)  # a fresh object: no permission cache


def office(*, head: User | None = None, email: str | None = None) -> Office:
    n = next(_counter)
    return Office.objects.create(
        name=f"第{n}室", head=head, email=f"office{n}@ccdi.example" if email is None else email
    )


@pytest.fixture
def on(monkeypatch):
    """Make the services date what they do on a given day (the ladder itself takes ``now``)."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return set_day


@pytest.fixture
def ladder():
    # Registered by ReportsConfig.ready(); calling again is safe and adds nothing.
    ladder_handlers_register()


def task(
    *, due: dt.date, office_: Office | None = None, responsible: User | None = None, **kwargs
) -> LedgerTask:
    return ledger.ledger_task_create(
        title=kwargs.pop("title", "整理联系点走访记录"),
        goal=kwargs.pop("goal", "每个联系点每季度走访一次"),
        office=office_ or office(),
        responsible=responsible,
        due_date=due,
        actor=None,
        **kwargs,
    )


# --- The eight measures ---------------------------------------------------------------------------


def test_the_eight_measures_are_installed_by_migrations():
    measures = list(LedgerTask.objects.filter(source=LedgerTask.Source.MEASURE).order_by("measure_number"))
    assert [m.measure_number for m in measures] == [1, 2, 3, 4, 5, 6, 7, 8]
    titles = [m.title for m in measures]
    assert titles[0].startswith("建立四项制度")
    assert titles[1].startswith("密切政企联系")
    assert "“两集中、两到位”" in titles[2]
    assert titles[3].startswith("扎实推进政务") and "公开" in titles[3]
    assert "电子监察" in titles[4]
    assert "纠风" in titles[5]
    assert "“三乱”" in titles[6]
    assert "行业协会、市场中介组织" in titles[7]
    assert "原汁原味" in measures[0].goal and "管行业必须管行风" in measures[5].goal
    year = timezone.now().astimezone(SHANGHAI).year
    (due_date,) = {m.due_date for m in measures}
    # The end of the year: its last working day.
    assert due_date.year == year and is_working_day(due_date)
    after = (D(year, 12, 31) - due_date).days
    assert not any(is_working_day(due_date + dt.timedelta(days=n)) for n in range(1, after + 1))
    # The test database has no office 监察投诉中心: unassigned, and off the ladder until assigned.
    assert all(m.status == "planned" and m.office is None and m.deadline is None for m in measures)


def test_the_measures_go_to_the_complaint_centre_and_onto_the_ladder_when_it_exists():
    measures_migration.remove_measures(apps, None)
    assert not LedgerTask.objects.filter(source=LedgerTask.Source.MEASURE).exists()
    centre = Office.objects.create(name="监察投诉中心")
    offices_before = Office.objects.count()

    measures_migration.install_measures(apps, None)
    measures_migration.install_measures(apps, None)  # twice: nothing more

    measures = LedgerTask.objects.filter(source=LedgerTask.Source.MEASURE).select_related("deadline")
    assert measures.count() == 8 and Office.objects.count() == offices_before
    for measure in measures:
        assert measure.office == centre
        deadline = measure.deadline
        assert (deadline.kind, deadline.status, deadline.due_date) == (
            LEDGER_DEADLINE_KIND,
            "open",
            measure.due_date,
        )
        assert deadline.object_id == measure.pk
        assert deadline.due_at == dt.datetime.combine(measure.due_date, dt.time.max, tzinfo=SHANGHAI)


def test_assigning_an_office_to_a_measure_puts_it_on_the_ladder():
    measure = LedgerTask.objects.get(source=LedgerTask.Source.MEASURE, measure_number=3)
    unit = office()
    ledger.ledger_task_edit(
        task=measure,
        title=measure.title,
        goal=measure.goal,
        office=unit,
        responsible=None,
        due_date=measure.due_date,
        actor=None,
    )
    measure.refresh_from_db()
    assert measure.office == unit
    assert measure.deadline.kind == LEDGER_DEADLINE_KIND and measure.deadline.due_date == measure.due_date


# --- Lifecycle and deadline -----------------------------------------------------------------------


def test_a_task_gets_a_ledger_deadline_ending_on_its_due_date(on):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 11, 30))
    deadline = created.deadline
    assert (deadline.kind, deadline.due_date, deadline.status) == (
        LEDGER_DEADLINE_KIND,
        D(2026, 11, 30),
        "open",
    )
    assert deadline.due_at == dt.datetime.combine(D(2026, 11, 30), dt.time.max, tzinfo=SHANGHAI)
    assert created.due_date == D(2026, 11, 30)
    assert created.reference.startswith("TZ") and created.reference.endswith(f"{created.pk:06d}")


def test_a_due_date_on_a_holiday_moves_to_the_next_working_day(on):
    on(D(2026, 9, 28))
    created = task(due=D(2026, 10, 3))  # National Day holiday
    assert created.due_date == created.deadline.due_date == D(2026, 10, 8)


def test_a_task_needs_an_office_a_title_and_a_due_date_not_passed(on):
    on(D(2026, 11, 2))
    with pytest.raises(ValidationError):
        ledger.ledger_task_create(title="x", office=None, due_date=D(2026, 12, 1), actor=None)
    with pytest.raises(ValidationError):
        ledger.ledger_task_create(title=" ", office=office(), due_date=D(2026, 12, 1), actor=None)
    with pytest.raises(ValidationError):
        ledger.ledger_task_create(title="x", office=office(), due_date=D(2026, 11, 1), actor=None)
    with pytest.raises(ValidationError):
        ledger.ledger_task_create(
            title="x",
            office=office(),
            due_date=D(2026, 12, 1),
            source="measure",
            measure_number=9,
            actor=None,
        )
    with pytest.raises(ValidationError):
        ledger.ledger_task_create(
            title="x", office=office(), due_date=D(2026, 12, 1), measure_number=3, actor=None
        )


def test_a_task_moves_planned_in_progress_done_and_done_meets_its_deadline(on):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 11, 30))
    ledger.ledger_progress_add(task=created, note="已走访五个联系点", percent=40, actor=None)
    created.refresh_from_db()
    assert created.status == LedgerTask.Status.IN_PROGRESS  # the first note starts it

    done = ledger.ledger_task_update_status(task=created, status="done", note="全部走访完毕", actor=None)
    assert done.status == "done" and done.done_at is not None
    deadline = Deadline.objects.get(pk=created.deadline_id)
    assert deadline.status == Deadline.Status.MET and deadline.met_at == done.done_at
    latest = created.progress.order_by("-id").first()
    assert latest.percent == 100 and "全部走访完毕" in latest.note

    assert ledger.ledger_task_update_status(task=created, status="done", actor=None).status == "done"  # twice
    with pytest.raises(InvalidTransition):
        ledger.ledger_task_update_status(task=created, status="in_progress", actor=None)
    with pytest.raises(InvalidTransition):
        ledger.ledger_progress_add(task=created, note="再补充", percent=100, actor=None)


def test_cancelling_a_task_needs_a_reason_and_cancels_its_deadline(on):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 11, 30))
    with pytest.raises(ValidationError):
        ledger.ledger_task_update_status(task=created, status="cancelled", actor=None)
    ledger.ledger_task_update_status(task=created, status="cancelled", note="并入第3项措施", actor=None)
    created.refresh_from_db()
    assert created.status == "cancelled" and created.done_at is None
    assert Deadline.objects.get(pk=created.deadline_id).status == Deadline.Status.CANCELLED
    with pytest.raises(InvalidTransition):
        ledger.ledger_task_update_status(task=created, status="done", actor=None)


def test_a_new_due_date_replaces_the_deadline_and_restarts_the_ladder(on):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 11, 30))
    old = created.deadline
    edited = ledger.ledger_task_edit(
        task=created,
        title=created.title,
        goal=created.goal,
        office=created.office,
        responsible=None,
        due_date=D(2026, 12, 15),
        actor=None,
    )
    assert edited.due_date == D(2026, 12, 15)
    assert Deadline.objects.get(pk=old.pk).status == Deadline.Status.CANCELLED
    new = Deadline.objects.get(pk=edited.deadline_id)
    assert (new.due_date, new.round, new.status, new.ladder_step) == (D(2026, 12, 15), 2, "open", 0)


def test_progress_notes_are_append_only(on):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 11, 30))
    note = ledger.ledger_progress_add(task=created, note="启动", percent=10, actor=None)
    note.note = "改写"
    with pytest.raises(PermissionError):
        note.save()
    with pytest.raises(PermissionError):
        note.delete()
    with pytest.raises(PermissionError):
        LedgerProgress.objects.filter(pk=note.pk).update(note="改写")
    with pytest.raises(PermissionError):
        LedgerProgress.objects.filter(pk=note.pk).delete()
    assert LedgerProgress.objects.get(pk=note.pk).note == "启动"


def test_progress_is_a_percentage_noted_as_of_today_or_earlier(on):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 11, 30))
    for percent in (-1, 101):
        with pytest.raises(ValidationError):
            ledger.ledger_progress_add(task=created, note="x", percent=percent, actor=None)
    with pytest.raises(ValidationError):
        ledger.ledger_progress_add(task=created, note="x", percent=5, noted_on=D(2026, 11, 3), actor=None)
    with pytest.raises(ValidationError):
        ledger.ledger_progress_add(task=created, note="  ", percent=5, actor=None)
    note = ledger.ledger_progress_add(task=created, note="x", percent=5, noted_on=D(2026, 10, 30), actor=None)
    assert note.noted_on == D(2026, 10, 30)


def test_a_calendar_edit_that_makes_the_due_date_a_holiday_moves_the_task(
    on, django_capture_on_commit_callbacks
):
    on(D(2026, 11, 2))
    created = task(due=D(2026, 12, 29))
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(date=D(2026, 12, 29), is_working_day=False, name="测试假日", actor=None)
    created.refresh_from_db()
    assert created.due_date == D(2026, 12, 30) == created.deadline.due_date


# --- The escalation ladder ----------------------------------------------------------------------


def ladder_emails(**filters) -> list[OutboundEmail]:
    """The ladder's e-mails, written out as the mail worker writes them when it sends them."""
    emails = list(OutboundEmail.objects.filter(kind__startswith="ladder_", **filters).order_by("id"))
    for email in emails:
        outbox_render(email)
    return emails


def test_an_overdue_ledger_task_climbs_the_ladder_to_the_right_people(on, ladder, settings):
    settings.LADDER_CENTRE_LEADER_EMAIL = "leader@ccdi.example"
    head = staff(email="head@ccdi.example", first_name="华", last_name="张")
    unit = office(head=head)
    person = staff(email="wang@ccdi.example")
    on(D(2026, 9, 28))
    created = task(due=D(2026, 10, 8), office_=unit, responsible=person)
    happened = {}
    day = D(2026, 9, 28)
    while day <= D(2026, 10, 16):
        for _run in range(2):
            for item in escalation_sweep(now=at(day)).items:
                if item.kind == LEDGER_DEADLINE_KIND and item.object_id == created.pk:
                    happened.setdefault(day, []).append(item.step)
        day += dt.timedelta(days=1)
    assert happened == {D(2026, 9, 29): [1], D(2026, 10, 9): [2], D(2026, 10, 12): [3]}
    emails = [e for e in ladder_emails() if created.reference in e.body_text]
    assert [(e.kind, e.to) for e in emails] == [
        ("ladder_reminder", ["wang@ccdi.example"]),
        ("ladder_warning", ["head@ccdi.example"]),
        ("ladder_escalation", ["leader@ccdi.example"]),
    ]
    assert all(f"/admin/reports/ledgertask/{created.pk}/change/" in e.body_text for e in emails)
    assert Deadline.objects.get(pk=created.deadline_id).ladder_step == 3


def test_without_personal_addresses_the_ladder_writes_to_the_office_and_a_missing_leader_fails_visibly(
    on, ladder, settings
):
    settings.LADDER_CENTRE_LEADER_EMAIL = ""
    unit = office(head=staff())  # a head with no e-mail address
    on(D(2026, 9, 28))
    created = task(due=D(2026, 10, 8), office_=unit, responsible=staff())
    escalation_sweep(now=at(D(2026, 9, 29)))
    escalation_sweep(now=at(D(2026, 10, 9)))
    escalation_sweep(now=at(D(2026, 10, 12)))
    emails = [e for e in ladder_emails() if created.reference in e.body_text]
    assert [(e.kind, e.to) for e in emails] == [
        ("ladder_reminder", [unit.email]),
        ("ladder_warning", [unit.email]),
        ("ladder_escalation", []),
    ]
    assert emails[2].status == OutboundEmail.Status.FAILED


def test_a_task_done_in_time_never_climbs_the_ladder(on, ladder):
    on(D(2026, 9, 28))
    created = task(due=D(2026, 10, 8))
    ledger.ledger_task_update_status(task=created, status="done", actor=None)
    result = escalation_sweep(now=at(D(2026, 10, 16)))
    assert not [
        item for item in result.items if item.kind == LEDGER_DEADLINE_KIND and item.object_id == created.pk
    ]


# --- The admin ------------------------------------------------------------------------------------


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_the_admin_adds_a_task_through_the_service_and_reports_a_moved_due_date(client, on, english):
    on(D(2026, 9, 28))
    client.force_login(staff(*LEDGER_PERMISSIONS))
    unit = office()
    response = client.post(
        reverse("admin:reports_ledgertask_add"),
        {
            "title": "完善联系点制度",
            "goal": "",
            "source": "other",
            "office": unit.pk,
            "due_date": "2026-10-03",
        },
    )
    created = LedgerTask.objects.get(title="完善联系点制度")
    assert response.status_code == 302 and response.url.endswith(f"/{created.pk}/change/")
    assert created.due_date == D(2026, 10, 8) and created.deadline is not None


def test_the_progress_inline_adds_new_notes_and_shows_old_ones_read_only(client, on, english):
    on(D(2026, 11, 2))
    user = staff(*LEDGER_PERMISSIONS)
    client.force_login(user)
    unit = office()
    created = task(due=D(2026, 11, 30), office_=unit)
    old = ledger.ledger_progress_add(task=created, note="第一次进展", percent=20, actor=None)
    url = reverse("admin:reports_ledgertask_change", args=[created.pk])
    page = client.get(url).content.decode()
    assert "第一次进展" in page and 'name="progress-0-note"' not in page and 'name="progress-1-note"' in page

    data = {
        "title": created.title,
        "goal": created.goal,
        "office": unit.pk,
        "responsible": "",
        "due_date": "2026-11-30",
        "progress-TOTAL_FORMS": "2",
        "progress-INITIAL_FORMS": "1",
        "progress-MIN_NUM_FORMS": "0",
        "progress-MAX_NUM_FORMS": "1000",
        "progress-0-id": old.pk,
        "progress-0-task": created.pk,
        "progress-0-note": "被改写",
        "progress-1-task": created.pk,
        "progress-1-noted_on": "2026-11-02",
        "progress-1-percent": "60",
        "progress-1-note": "第二次进展",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    notes = list(created.progress.order_by("id").values_list("note", "percent", "author"))
    assert notes == [("第一次进展", 20, None), ("第二次进展", 60, user.pk)]


def test_the_status_button_calls_the_service(client, on, english):
    on(D(2026, 11, 2))
    client.force_login(staff(*LEDGER_PERMISSIONS))
    created = task(due=D(2026, 11, 30))
    url = reverse("admin:reports_ledgertask_status", args=[created.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"status": "cancelled", "note": ""})
    assert refused.status_code == 200
    assert client.post(url, {"status": "done", "note": "完成"}).status_code == 302
    created.refresh_from_db()
    assert created.status == "done" and created.deadline.status == Deadline.Status.MET


def test_the_ledger_list_filters_overdue_tasks(client, on, english):
    on(D(2026, 9, 28))
    late = task(due=D(2026, 10, 8), title="逾期任务")
    task(due=D(2026, 12, 8), title="未到期任务")
    on(D(2026, 11, 2))
    client.force_login(staff(*LEDGER_PERMISSIONS))
    page = client.get(reverse("admin:reports_ledgertask_changelist"), {"overdue": "yes"}).content.decode()
    assert "逾期任务" in page and "未到期任务" not in page and "data-overdue" in page
    searched = client.get(
        reverse("admin:reports_ledgertask_changelist"), {"q": late.reference}
    ).content.decode()
    assert "逾期任务" in searched and "未到期任务" not in searched


def test_the_ledger_xlsx_reads_back_with_its_tasks_and_notes(client, on, english):
    on(D(2026, 9, 28))
    unit = office()
    late = task(due=D(2026, 10, 8), office_=unit, title="逾期任务")
    ledger.ledger_progress_add(task=late, note='=HYPERLINK("http://x")', percent=30, actor=None)
    ledger.ledger_progress_add(task=late, note="第二次", percent=50, actor=None)
    task(due=D(2026, 12, 8), office_=unit, title="未到期任务")
    on(D(2026, 11, 2))
    user = staff(*LEDGER_PERMISSIONS)
    client.force_login(user)

    url = reverse("admin:reports_ledgertask_export") + f"?office__id__exact={unit.pk}"
    response = export_download(client, url, user=user)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "work-ledger-2026-11-02.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Work ledger", "Progress notes"]
    tasks = list(workbook["Work ledger"].iter_rows(values_only=True))
    assert tasks[0] == ("Work ledger as of 2026-11-02",)
    header = tasks[2]
    assert header[:3] == ("Reference", "Task", "Goal")
    rows = {row[1]: dict(zip(header, row, strict=False)) for row in tasks[3:]}
    assert set(rows) == {"逾期任务", "未到期任务"}  # the office filter: no measures, no other office
    assert rows["逾期任务"]["Overdue"] == "Yes" and rows["逾期任务"]["Percent done"] == 50
    assert rows["逾期任务"]["Status"] == "In progress" and rows["逾期任务"]["Office"] == unit.name
    notes = list(workbook["Progress notes"].iter_rows(values_only=True))
    assert notes[0] == ("Reference", "Task", "As of", "Percent done", "Progress", "Noted by")
    assert [row[4] for row in notes[1:]] == ['=HYPERLINK("http://x")', "第二次"]  # text, never a formula


def test_the_export_action_exports_the_selected_tasks(client, on, english):
    on(D(2026, 11, 2))
    user = staff(*LEDGER_PERMISSIONS)
    client.force_login(user)
    chosen = task(due=D(2026, 11, 30), title="选中的任务")
    task(due=D(2026, 11, 30), title="没选的任务")
    response = client.post(
        reverse("admin:reports_ledgertask_changelist"),
        {"action": "export_selected", "_selected_action": [chosen.pk]},
    )
    # The action records a background export and sends the user to their list of exports.
    assert response.status_code == 302 and response["Location"] == reverse("admin:core_exportjob_changelist")
    job = ExportJob.objects.get(owner=user)
    assert job.filters == {"ids": [chosen.pk]} and export_job_run(job.pk) == "done"
    response = client.get(reverse("admin:core_exportjob_download", args=[job.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    titles = [row[1] for row in list(workbook["Work ledger"].iter_rows(values_only=True))[3:]]
    assert titles == ["选中的任务"]


def test_tasks_are_never_deleted_in_the_admin(client, on, english):
    on(D(2026, 11, 2))
    client.force_login(staff(*LEDGER_PERMISSIONS, "reports.delete_ledgertask"))
    created = task(due=D(2026, 11, 30))
    assert client.get(reverse("admin:reports_ledgertask_delete", args=[created.pk])).status_code == 403


def test_the_list_actions_move_the_selected_tasks_through_the_service(client, on, english):
    on(D(2026, 11, 2))
    client.force_login(staff(*LEDGER_PERMISSIONS))
    first, second = task(due=D(2026, 11, 30)), task(due=D(2026, 11, 30))
    response = client.post(
        reverse("admin:reports_ledgertask_changelist"),
        {"action": "mark_done", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    for done in (first, second):
        done.refresh_from_db()
        assert done.status == "done" and done.deadline.status == Deadline.Status.MET


def test_an_unassigned_measure_says_it_has_no_deadline_yet(client, english):
    client.force_login(staff(*LEDGER_PERMISSIONS))
    measure = LedgerTask.objects.get(source=LedgerTask.Source.MEASURE, measure_number=1)
    page = client.get(reverse("admin:reports_ledgertask_change", args=[measure.pk])).content.decode()
    assert "No deadline yet" in page and "建立四项制度" in page

"""The work ledger (工作台帐) and the quarterly dispatch meeting (调度会) of seed §四.

Each office's tasks have a goal, a responsible person and a due date (完成时限) with a deadline
on the escalation ladder; progress notes are appended, never edited. Every quarter a dispatch
meeting reviews the ledger and the case figures office by office (the meeting pack, generated
from live data), records its minutes and decides action items, each of which becomes a ledger
task in the same transaction.

Services (every write, one transaction each, the row locked): ``ledger_task_create``,
``ledger_task_edit``, ``ledger_task_update_status``, ``ledger_progress_add``,
``dispatch_meeting_schedule``, ``dispatch_meeting_reschedule``, ``dispatch_minutes_record``,
``dispatch_action_item_add``. Reads are in ``reports.ledger.selectors``; the meeting pack in
``reports.ledger.pack``.

Due dates. A ledger due date is a calendar date agreed at a meeting, not a period counted in
working days, so its deadline is anchored on the date itself: one working day after the day
before it. A calendar edit then never moves it, except off a day that is (or becomes) a rest
day, to the next working day — the rule of Chinese procedural law for a period whose last day
is a holiday. Counting "working days from today to the chosen date" instead would let every
later calendar edit (next year's holidays are announced each autumn) drift the date agreed.
``LedgerTask.due_date`` is always the deadline's due date, so the ledger, the overdue flag and
the ladder agree; the deadline listener keeps it so after a calendar edit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import deadline_cancel, deadline_create, deadline_meet
from core.errors import InvalidTransition, actor_user
from core.models import Deadline
from core.periods import QUARTER, Period, period_parse
from liaison.models import Office
from reports.models import (
    LEDGER_DEADLINE_KIND,
    MEASURE_NUMBERS,
    ActionItem,
    DispatchMeeting,
    LedgerProgress,
    LedgerTask,
)

T = LedgerTask.Status
M = DispatchMeeting.Status
ONE_DAY = dt.timedelta(days=1)
TITLE_LENGTH = 120


def _today() -> dt.date:
    # The commission's date (settings.TIME_ZONE, Asia/Shanghai), as the ladder and case_list use.
    return timezone.localdate()


# --- Ledger services ---------------------------------------------------------------------------


def _anchored_deadline(task: LedgerTask, *, round: int = 1) -> Deadline:
    """The deadline of a due date agreed as a date (see the module docstring)."""
    return deadline_create(
        subject=task,
        kind=LEDGER_DEADLINE_KIND,
        start_date=task.due_date - ONE_DAY,
        working_days=1,
        round=round,
    )


def _check_due_date(due_date: dt.date | None) -> None:
    if due_date is None:
        raise ValidationError(_("Give the due date."), code="no_due_date")
    if due_date < _today():
        raise ValidationError(
            _("The due date %(date)s has passed. Choose today or a later date.")
            % {"date": due_date.isoformat()},
            code="due_date_passed",
        )


def _check_task_fields(*, title: str, office: Office | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the task a title."), code="no_title")
    if office is None:
        # Seed §四.2: every task names the office responsible (明确责任).
        raise ValidationError(_("Name the office responsible for the task."), code="no_office")
    return title[:200]


@transaction.atomic
def ledger_task_create(
    *,
    title: str,
    goal: str = "",
    source: str = LedgerTask.Source.OTHER,
    measure_number: int | None = None,
    office: Office | None,
    responsible=None,
    due_date: dt.date,
    actor,
) -> LedgerTask:
    """Add a task to the ledger, with its deadline (kind ``ledger_task``) on the escalation ladder.

    A due date on a rest day becomes the next working day: compare ``task.due_date`` with the
    date asked for to tell the user."""
    title = _check_task_fields(title=title, office=office)
    if source not in LedgerTask.Source.values:
        raise ValidationError(_("Unknown source “%(source)s”.") % {"source": source}, code="source")
    if source == LedgerTask.Source.MEASURE:
        if measure_number not in MEASURE_NUMBERS:
            raise ValidationError(
                _("Say which of the eight measures (1 to 8) the task serves."), code="measure_number"
            )
    elif measure_number is not None:
        raise ValidationError(
            _("Only a task for one of the eight measures has a measure number."), code="measure_number"
        )
    _check_due_date(due_date)
    task = LedgerTask.objects.create(
        title=title,
        goal=(goal or "").strip(),
        source=source,
        measure_number=measure_number,
        office=office,
        responsible=responsible,
        due_date=due_date,
        created_by=actor_user(actor),
    )
    task.deadline = _anchored_deadline(task)
    task.due_date = task.deadline.due_date
    task.save(update_fields=["deadline", "due_date"])
    return task


def _lock(task: LedgerTask) -> LedgerTask:
    return LedgerTask.objects.select_related("deadline").select_for_update(of=("self",)).get(pk=task.pk)


def _require_open(task: LedgerTask) -> None:
    if not task.is_open:
        raise InvalidTransition(
            _("Ledger task %(reference)s is %(status)s and can no longer be changed.")
            % {"reference": task.reference, "status": task.get_status_display().lower()}
        )


@transaction.atomic
def ledger_task_edit(
    *,
    task: LedgerTask,
    title: str,
    goal: str,
    office: Office | None,
    responsible,
    due_date: dt.date,
    actor,
) -> LedgerTask:
    """Change an open task's title, goal, office, responsible person or due date. A new due date
    replaces the deadline (the old one is cancelled, the new one starts the ladder again); a
    task without one (a measure installed before any office existed) gets it now."""
    task = _lock(task)
    _require_open(task)
    task.title = _check_task_fields(title=title, office=office)
    task.goal = (goal or "").strip()
    task.office, task.responsible = office, responsible
    fields = ["title", "goal", "office", "responsible", "updated_at"]
    if due_date != task.due_date:
        _check_due_date(due_date)
        old = task.deadline
        if old is not None and old.status == Deadline.Status.OPEN:
            deadline_cancel(deadline=old)
        task.due_date = due_date
        task.deadline = _anchored_deadline(task, round=(old.round + 1) if old else 1)
        task.due_date = task.deadline.due_date
        fields += ["due_date", "deadline"]
    elif task.deadline is None:
        task.deadline = _anchored_deadline(task)
        task.due_date = task.deadline.due_date
        fields += ["due_date", "deadline"]
    task.save(update_fields=fields)
    return task


def _latest_percent(task: LedgerTask) -> int:
    latest = task.progress.order_by("-noted_on", "-id").values_list("percent", flat=True).first()
    return latest or 0


@transaction.atomic
def ledger_task_update_status(*, task: LedgerTask, status: str, actor, note: str = "") -> LedgerTask:
    """Move a task along ``LedgerTask.TRANSITIONS``. Done meets its deadline, cancelled cancels
    it; either takes it off the ladder. A note (required to cancel) is appended as progress.
    Safe to run twice: asking for the status the task already has changes nothing."""
    task = _lock(task)
    if status == task.status:
        return task
    if status not in T.values or not task.can_move_to(status):
        raise InvalidTransition(
            _("Ledger task %(reference)s cannot go from “%(current)s” to “%(target)s”.")
            % {
                "reference": task.reference,
                "current": task.get_status_display(),
                "target": T(status).label if status in T.values else status,
            }
        )
    note = (note or "").strip()
    if status == T.CANCELLED and not note:
        raise ValidationError(_("Say why the task is cancelled."), code="no_reason")
    now = timezone.now()
    task.status = status
    fields = ["status", "updated_at"]
    if status == T.DONE:
        task.done_at = now
        fields.append("done_at")
        if task.deadline is not None and task.deadline.status == Deadline.Status.OPEN:
            deadline_meet(deadline=task.deadline, at=now)
    elif status == T.CANCELLED and task.deadline is not None and task.deadline.status == Deadline.Status.OPEN:
        deadline_cancel(deadline=task.deadline)
    task.save(update_fields=fields)
    if note:
        LedgerProgress.objects.create(
            task=task,
            noted_on=_today(),
            note=_("%(status)s: %(note)s") % {"status": T(status).label, "note": note},
            percent=100 if status == T.DONE else _latest_percent(task),
            author=actor_user(actor),
        )
    return task


@transaction.atomic
def ledger_progress_add(
    *, task: LedgerTask, note: str, percent: int, actor, noted_on: dt.date | None = None
) -> LedgerProgress:
    """Append a progress note to an open task; the first note of a planned task starts it."""
    task = _lock(task)
    _require_open(task)
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say what progress was made."), code="no_note")
    if percent is None or not 0 <= int(percent) <= 100:
        raise ValidationError(_("The percentage done is a number from 0 to 100."), code="percent")
    today = _today()
    noted_on = noted_on or today
    if noted_on > today:
        raise ValidationError(
            _("Progress cannot be noted as of a future date (%(date)s).") % {"date": noted_on.isoformat()},
            code="future",
        )
    progress = LedgerProgress.objects.create(
        task=task, noted_on=noted_on, note=note, percent=int(percent), author=actor_user(actor)
    )
    if task.status == T.PLANNED:
        task.status = T.IN_PROGRESS
        task.save(update_fields=["status", "updated_at"])
    return progress


def ledger_deadlines_recomputed(changes, reason: str) -> None:
    """Deadline listener: a calendar edit moved some ledger deadlines; the tasks' due dates
    follow, one UPDATE per new date whatever the number of tasks."""
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    for deadline, _old, new in changes:
        by_date[new].append(deadline.pk)
    for new, deadline_ids in by_date.items():
        LedgerTask.objects.filter(deadline_id__in=deadline_ids).update(
            due_date=new, updated_at=timezone.now()
        )


# --- Dispatch meeting services ----------------------------------------------------------------


def _quarter(label: str) -> Period:
    period = period_parse(label)
    if period.kind != QUARTER:
        raise ValidationError(
            _(
                "“%(value)s” is a month. A dispatch meeting is held once a quarter: "
                "enter a quarter such as 2026Q4."
            )
            % {"value": label},
            code="not_a_quarter",
        )
    return period


def meeting_date_range(period: Period) -> tuple[dt.date, dt.date]:
    """A quarter's meeting is held in the quarter or in the month after it."""
    following = period.last_day + ONE_DAY
    end_of_following = (following.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY
    return period.first_day, end_of_following


def _check_meeting_date(period: Period, scheduled_on: dt.date | None) -> None:
    if scheduled_on is None:
        raise ValidationError(_("Give the date of the meeting."), code="no_date")
    first, last = meeting_date_range(period)
    if not first <= scheduled_on <= last:
        raise ValidationError(
            _("The dispatch meeting of %(quarter)s is held between %(first)s and %(last)s.")
            % {"quarter": period.label, "first": first.isoformat(), "last": last.isoformat()},
            code="date_out_of_range",
        )


def _already_scheduled(meeting: DispatchMeeting) -> ValidationError:
    return ValidationError(
        _("The dispatch meeting of %(quarter)s is already scheduled, on %(date)s.")
        % {"quarter": meeting.quarter, "date": meeting.scheduled_on.isoformat()},
        code="duplicate",
    )


@transaction.atomic
def dispatch_meeting_schedule(*, quarter: str, scheduled_on: dt.date, place: str, actor) -> DispatchMeeting:
    """Schedule the dispatch meeting of a quarter ("2026Q4", "2026年第4季度"): one per quarter."""
    period = _quarter(quarter)
    existing = DispatchMeeting.objects.filter(quarter=period.label).first()
    if existing is not None:
        raise _already_scheduled(existing)
    _check_meeting_date(period, scheduled_on)
    try:
        # A savepoint: two schedules racing for one quarter meet at the unique constraint.
        with transaction.atomic():
            return DispatchMeeting.objects.create(
                quarter=period.label,
                scheduled_on=scheduled_on,
                place=(place or "").strip(),
                created_by=actor_user(actor),
            )
    except IntegrityError:
        raise _already_scheduled(DispatchMeeting.objects.get(quarter=period.label)) from None


def _lock_meeting(meeting: DispatchMeeting) -> DispatchMeeting:
    return DispatchMeeting.objects.select_for_update().get(pk=meeting.pk)


@transaction.atomic
def dispatch_meeting_reschedule(
    *, meeting: DispatchMeeting, scheduled_on: dt.date, place: str, actor
) -> DispatchMeeting:
    """Move a meeting that has not been held yet."""
    meeting = _lock_meeting(meeting)
    if meeting.status != M.PLANNED:
        raise InvalidTransition(
            _("The dispatch meeting of %(quarter)s has been held and cannot be rescheduled.")
            % {"quarter": meeting.quarter}
        )
    _check_meeting_date(_quarter(meeting.quarter), scheduled_on)
    meeting.scheduled_on, meeting.place = scheduled_on, (place or "").strip()
    meeting.save(update_fields=["scheduled_on", "place", "updated_at"])
    return meeting


@transaction.atomic
def dispatch_minutes_record(*, meeting: DispatchMeeting, minutes: str, actor) -> DispatchMeeting:
    """Record (or correct) the minutes; the first record marks the meeting as held."""
    meeting = _lock_meeting(meeting)
    minutes = (minutes or "").strip()
    if not minutes:
        raise ValidationError(_("Write the minutes."), code="no_minutes")
    fields = ["minutes", "minutes_recorded_by", "minutes_recorded_at", "updated_at"]
    if meeting.status == M.PLANNED:
        if meeting.scheduled_on > _today():
            raise ValidationError(
                _("The meeting is scheduled for %(date)s. Record its minutes once it has been held.")
                % {"date": meeting.scheduled_on.isoformat()},
                code="not_held_yet",
            )
        if not meeting.can_move_to(M.HELD):
            raise InvalidTransition(str(meeting))
        meeting.status = M.HELD
        fields.append("status")
    meeting.minutes = minutes
    meeting.minutes_recorded_by = actor_user(actor)
    meeting.minutes_recorded_at = timezone.now()
    meeting.save(update_fields=fields)
    return meeting


def _action_title(description: str) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if len(first_line) > TITLE_LENGTH:
        return first_line[: TITLE_LENGTH - 1] + "…"
    return first_line


@transaction.atomic
def dispatch_action_item_add(
    *,
    meeting: DispatchMeeting,
    office: Office | None,
    owner,
    description: str,
    due_date: dt.date,
    actor,
) -> ActionItem:
    """Record an action item of the meeting; it becomes a ledger task (source "dispatch") with
    its deadline, in the same transaction."""
    meeting = _lock_meeting(meeting)
    description = (description or "").strip()
    if not description:
        raise ValidationError(_("Say what is to be done."), code="no_description")
    task = ledger_task_create(
        title=_action_title(description),
        goal=description,
        source=LedgerTask.Source.DISPATCH,
        office=office,
        responsible=owner,
        due_date=due_date,
        actor=actor,
    )
    return ActionItem.objects.create(
        meeting=meeting,
        office=office,
        owner=owner,
        description=description,
        due_date=task.due_date,
        ledger_task=task,
        created_by=actor_user(actor),
    )

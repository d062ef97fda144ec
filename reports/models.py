"""Outbound reporting. The complaint notification system (投诉通报制度): every period each
complained-about unit receives, verbatim but without who complained, the complaints made about
it, and replies with its improvement measures.

A run holds one report per department and one item per complaint; the items' texts are what
the departments read, previewed and edited by staff before the run is approved and sent.

The work ledger (工作台帐) and the quarterly dispatch meeting (调度会) of seed §四 live here too:
each office's tasks with a goal, a responsible person, a deadline and appended progress; each
quarter's meeting with its minutes and action items, every action item becoming a ledger task.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint
from core.models import Deadline, TimeStampedModel
from liaison.models import Department, Office

REPLY_DEADLINE_KIND = "notification_reply"


class NotificationRun(TimeStampedModel):
    """One period's notification: prepared as a draft, previewed, approved, then sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft: being previewed")
        APPROVED = "approved", _("Approved, not yet sent")
        SENT = "sent", _("Sent to the departments")

    TRANSITIONS = {
        Status.DRAFT: {Status.APPROVED},
        Status.APPROVED: {Status.SENT},
        Status.SENT: set(),
    }

    period = models.CharField(
        _("period"),
        max_length=7,
        unique=True,
        help_text=_("A month such as 2026-10 or a quarter such as 2026Q3."),
    )
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent out by"),
    )
    sent_at = models.DateTimeField(_("sent out at"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("complaint notification run")
        verbose_name_plural = _("complaint notification runs")
        permissions = [("approve_notificationrun", _("Can approve and send complaint notifications"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="notificationrun_period_order"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_at__isnull=False), name="notificationrun_approved_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="notificationrun_sent_at"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Complaint notification %(period)s") % {"period": self.period})

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class NotificationReport(models.Model):
    """What one department receives in a run, and its reply with improvement measures."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent, awaiting reply")
        REPLIED = "replied", _("Replied")

    # What a department may see: a report exists for it only once it has been sent.
    RELEASED_STATUSES = (Status.SENT, Status.REPLIED)

    run = models.ForeignKey(
        NotificationRun, on_delete=models.CASCADE, related_name="reports", verbose_name=_("run")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="notification_reports",
        verbose_name=_("department"),
    )
    complaint_count = models.PositiveIntegerField(_("complaints"))
    counts_by_category = models.JSONField(_("complaints by category"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(_("sent out at"), null=True, blank=True)
    reply = models.TextField(_("improvement measures"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("replied by"),
    )
    deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reply deadline"),
    )
    due_date = models.DateField(_("reply due"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["run", "department__name", "id"]
        verbose_name = _("complaint notification report")
        verbose_name_plural = _("complaint notification reports")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "department"], name="notificationreport_one_per_department"
            ),
            models.CheckConstraint(
                condition=~Q(status="replied") | Q(replied_at__isnull=False),
                name="notificationreport_replied_at",
            ),
        ]
        indexes = [
            # The department portal lists a department's released reports.
            models.Index(fields=["department", "status"], name="notificationreport_dept_status"),
        ]

    def __str__(self) -> str:
        return f"{self.run.period} · {self.department}"

    @property
    def is_awaiting_reply(self) -> bool:
        return self.status == self.Status.SENT


class NotificationItem(models.Model):
    """One complaint in a run, as released: its description with the complainant's identity removed.

    ``report`` is empty for a complaint naming a unit that is not in the directory: it is listed
    in the run for staff, and sent to nobody.
    """

    run = models.ForeignKey(
        NotificationRun, on_delete=models.CASCADE, related_name="items", verbose_name=_("run")
    )
    report = models.ForeignKey(
        NotificationReport,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("report"),
    )
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="notification_items", verbose_name=_("complaint")
    )
    reference = models.CharField(_("reference"), max_length=20)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    received_at = models.DateTimeField(_("received at"))
    unit_text = models.CharField(_("unit complained about (as written)"), max_length=200, blank=True)
    text = models.TextField(
        _("complaint as released"),
        help_text=_("What the department reads: the complaint as filed, without who complained."),
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("edited by"),
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("complaint in a notification")
        verbose_name_plural = _("complaints in notifications")
        constraints = [
            models.UniqueConstraint(fields=["run", "complaint"], name="notificationitem_once_per_run"),
        ]

    def __str__(self) -> str:
        return self.reference


# --- The work ledger (工作台帐) and the quarterly dispatch meeting (调度会) -------------------

LEDGER_DEADLINE_KIND = "ledger_task"
LEDGER_PREFIX = "TZ"
MEASURE_NUMBERS = range(1, 9)  # the eight measures of seed §三


class LedgerTask(models.Model):
    """One task of the work ledger: a goal, the office and person responsible, a due date with
    its deadline on the escalation ladder, and a status moved only by the ledger services."""

    class Source(models.TextChoices):
        MEASURE = "measure", _("One of the eight measures")
        DISPATCH = "dispatch", _("Action item of a dispatch meeting")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    # The allowed moves, as data. Done and cancelled are final: a task that needs more work
    # is a new task with its own deadline, so the ledger keeps what was promised and when.
    TRANSITIONS = {
        Status.PLANNED: {Status.IN_PROGRESS, Status.DONE, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.DONE, Status.CANCELLED},
        Status.DONE: set(),
        Status.CANCELLED: set(),
    }
    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.OTHER)
    measure_number = models.PositiveSmallIntegerField(
        _("measure"),
        null=True,
        blank=True,
        choices=[(number, number) for number in MEASURE_NUMBERS],
        help_text=_("Which of the eight measures of the programme (1–8); only for measures."),
    )
    office = models.ForeignKey(
        Office,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_tasks",
        verbose_name=_("responsible office"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_tasks",
        verbose_name=_("responsible person"),
    )
    due_date = models.DateField(
        _("due date"),
        help_text=_(
            "Due at the end of this working day, Asia/Shanghai time; "
            "a rest day moves to the next working day."
        ),
    )
    deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deadline"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("ledger task")
        verbose_name_plural = _("work ledger")
        indexes = [
            # The ledger and the meeting pack read open tasks by due date, and per office.
            models.Index(fields=["status", "due_date"], name="ledgertask_status_due"),
            models.Index(fields=["office", "status"], name="ledgertask_office_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(source="measure") & Q(measure_number__gte=1) & Q(measure_number__lte=8))
                | (~Q(source="measure") & Q(measure_number__isnull=True)),
                name="ledgertask_measure_number_iff_measure",
            ),
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_at__isnull=False))
                | (~Q(status="done") & Q(done_at__isnull=True)),
                name="ledgertask_done_at_iff_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        year = self.created_at.year if self.created_at else 0
        return f"{LEDGER_PREFIX}{year:04d}-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_date < today


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Ledger progress notes are append-only.")

    def delete(self):
        raise PermissionError("Ledger progress notes are append-only.")


class LedgerProgress(models.Model):
    """A progress note on a ledger task. Append-only: a correction is a new note."""

    task = models.ForeignKey(
        LedgerTask, on_delete=models.CASCADE, related_name="progress", verbose_name=_("task")
    )
    noted_on = models.DateField(_("as of"))
    note = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(_("percent done"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("noted by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["noted_on", "id"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        indexes = [
            # "The latest note of each task" is one index range per task.
            models.Index(fields=["task", "-noted_on", "-id"], name="ledgerprogress_latest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="ledgerprogress_percent_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.noted_on.isoformat()} {self.percent}%"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Ledger progress notes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Ledger progress notes are append-only.")


class DispatchMeeting(TimeStampedModel):
    """The quarterly dispatch meeting (调度会): each office reports progress, problems and
    corrective measures; the minutes and the action items are recorded here."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")

    # Held stays held: its minutes may still be corrected.
    TRANSITIONS = {
        Status.PLANNED: {Status.HELD},
        Status.HELD: set(),
    }

    quarter = models.CharField(
        _("quarter"), max_length=6, unique=True, help_text=_("A quarter such as 2026Q4.")
    )
    scheduled_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    minutes_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("minutes recorded by"),
    )
    minutes_recorded_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)

    class Meta:
        ordering = ["-quarter"]
        verbose_name = _("dispatch meeting")
        verbose_name_plural = _("dispatch meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="planned") | Q(minutes_recorded_at__isnull=False),
                name="dispatchmeeting_held_has_minutes",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Dispatch meeting %(quarter)s") % {"quarter": self.quarter})

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class ActionItem(models.Model):
    """An action item decided at a dispatch meeting; it becomes a ledger task (source dispatch)."""

    meeting = models.ForeignKey(
        DispatchMeeting, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("meeting")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("office")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    description = models.TextField(_("action"))
    due_date = models.DateField(_("due date"))
    ledger_task = models.OneToOneField(
        LedgerTask, on_delete=models.PROTECT, related_name="action_item", verbose_name=_("ledger task")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return f"{self.meeting.quarter} · {self.office}"


# --- The quarterly efficiency assessment (效能考核评议) -------------------------------------------


class AssessmentScheme(models.Model):
    """The weights of the assessment's indicators and its grade boundaries, edited by staff. One
    row is active; a published assessment keeps the weights it was computed with, so an edit here
    never rewrites a quarter already published."""

    WEIGHT_FIELDS = (
        "weight_on_time",
        "weight_average_time",
        "weight_signals",
        "weight_complaints",
        "weight_referrals",
        "weight_satisfaction",
        "weight_appraisal",
    )

    name = models.CharField(_("name"), max_length=100, default="")
    is_active = models.BooleanField(_("in use"), default=True)
    weight_on_time = models.PositiveSmallIntegerField(_("weight: on-time rate"), default=25)
    weight_average_time = models.PositiveSmallIntegerField(
        _("weight: average time against the promised limit"), default=15
    )
    weight_signals = models.PositiveSmallIntegerField(_("weight: signals per 100 approvals"), default=15)
    weight_complaints = models.PositiveSmallIntegerField(
        _("weight: accepted complaints per 1,000 approvals"), default=15
    )
    weight_referrals = models.PositiveSmallIntegerField(_("weight: referrals answered on time"), default=10)
    weight_satisfaction = models.PositiveSmallIntegerField(
        _("weight: complainants' satisfaction"), default=10
    )
    weight_appraisal = models.PositiveSmallIntegerField(_("weight: democratic appraisal"), default=10)
    excellent_from = models.DecimalField(
        _("excellent (优秀) from"), max_digits=5, decimal_places=2, default=90
    )
    good_from = models.DecimalField(_("good (良好) from"), max_digits=5, decimal_places=2, default=80)
    pass_from = models.DecimalField(_("pass (合格) from"), max_digits=5, decimal_places=2, default=60)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="assessmentscheme_one_active",
                violation_error_message=_("Another scheme is in use: take it out of use first."),
            ),
            models.CheckConstraint(
                condition=Q(
                    weight_on_time__lte=100,
                    weight_average_time__lte=100,
                    weight_signals__lte=100,
                    weight_complaints__lte=100,
                    weight_referrals__lte=100,
                    weight_satisfaction__lte=100,
                    weight_appraisal__lte=100,
                ),
                name="assessmentscheme_weights_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(excellent_from__lte=100)
                & Q(excellent_from__gt=models.F("good_from"))
                & Q(good_from__gt=models.F("pass_from"))
                & Q(pass_from__gt=0),
                name="assessmentscheme_boundaries_descend",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Assessment scheme"))

    @property
    def weights(self) -> dict[str, int]:
        return {name.removeprefix("weight_"): getattr(self, name) for name in self.WEIGHT_FIELDS}

    def clean(self) -> None:
        total = sum(getattr(self, name) or 0 for name in self.WEIGHT_FIELDS)
        if total != 100:
            raise ValidationError(
                {
                    "weight_on_time": _("The weights must add up to 100; they add up to %(total)s.")
                    % {"total": total}
                }
            )
        excellent, good, passing = self.excellent_from, self.good_from, self.pass_from
        if None in (excellent, good, passing):
            return
        if not 0 < passing < good < excellent <= 100:
            raise ValidationError(
                {"excellent_from": _("The grade boundaries must descend: 100 ≥ excellent > good > pass > 0.")}
            )


class EfficiencyAssessment(models.Model):
    """One department's published result for one quarter: the inputs counted, each indicator's
    score, the weights in use, the total and the grade. Published results are history: they are
    replaced only when staff explicitly recompute the quarter."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent (优秀)")
        GOOD = "good", _("Good (良好)")
        PASS = "pass", _("Pass (合格)")
        FAIL = "fail", _("Fail (不合格)")
        NOT_ASSESSED = "none", _("Not assessed")

    quarter = models.CharField(_("quarter"), max_length=7)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="efficiency_assessments",
        verbose_name=_("department"),
    )
    inputs = models.JSONField(_("figures counted"), default=dict)
    scores = models.JSONField(_("indicator scores"), default=dict)
    weights = models.JSONField(_("weights in use"), default=dict)
    total = models.DecimalField(_("total score"), max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    recommendation_draft = models.TextField(_("draft supervision recommendation"), blank=True)
    case = models.ForeignKey(
        "casework.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("case"),
    )
    recommendation = models.ForeignKey(
        "casework.Recommendation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("supervision recommendation"),
    )

    class Meta:
        ordering = ["-period_start", "rank", "department__name"]
        verbose_name = _("efficiency assessment")
        verbose_name_plural = _("efficiency assessments")
        constraints = [
            models.UniqueConstraint(fields=["quarter", "department"], name="efficiencyassessment_once"),
        ]
        indexes = [models.Index(fields=["quarter", "rank"], name="efficiencyassessment_quarter")]
        permissions = [
            (
                "publish_efficiencyassessment",
                _("Can publish efficiency assessments and issue their supervision recommendations"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.quarter} {self.department}"


# --- The dashboard's live figures (issue 17): declared here, kept by the database ------------------

from reports.live_models import CaseFact, ComplaintFact, LiveFigure, LiveTotal  # noqa: E402, F401

import datetime as dt
import json
from email.utils import make_msgid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and modification times, for every table staff browse by date."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


# --- The working-day calendar ---------------------------------------------------------


class CalendarYear(models.Model):
    """Which years the calendar holds; a year not marked complete counts plain weekends only."""

    class Source(models.TextChoices):
        CHINESE_CALENDAR = "chinese-calendar", _("chinese-calendar package")
        STAFF = "staff", _("entered by staff")

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.STAFF)
    loaded_at = models.DateTimeField(_("loaded at"), null=True, blank=True)
    complete = models.BooleanField(
        _("complete"),
        default=False,
        help_text=_(
            "Tick once every holiday and make-up working day of the year is entered. "
            "Until then deadlines in this year count plain weekends only."
        ),
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=1949, year__lte=2999), name="core_calendaryear_year_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(TimeStampedModel):
    """An exception to the plain weekday rule: a holiday on a weekday, or a make-up working weekend (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Ticked: a make-up working weekend (调休). Unticked: a holiday on a weekday."),
    )
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("For example 国庆节 or 调休上班.")
    )
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}".strip()

    def clean(self) -> None:
        # Only exceptions are stored: a row repeating the weekday rule would hide nothing and
        # confuse whoever reads the list later.
        if self.date is None:
            return
        weekend = self.date.weekday() >= 5
        if self.is_working_day and not weekend:
            raise ValidationError(
                {
                    "is_working_day": _(
                        "%(date)s is a weekday, so it is a working day anyway. Record only make-up "
                        "working weekends and holidays on weekdays."
                    )
                    % {"date": self.date.isoformat()}
                }
            )
        if not self.is_working_day and weekend:
            raise ValidationError(
                {
                    "is_working_day": _(
                        "%(date)s is a weekend day, so it is a rest day anyway. Record only make-up "
                        "working weekends and holidays on weekdays."
                    )
                    % {"date": self.date.isoformat()}
                }
            )


# --- Deadlines --------------------------------------------------------------------------


class Deadline(models.Model):
    """One due item of any app, counted in working days; swept set-based whatever its kind."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MET = "met", _("met")
        CANCELLED = "cancelled", _("cancelled")

    # Allowed status moves, as data.
    TRANSITIONS = {
        Status.OPEN: {Status.MET, Status.CANCELLED},
        Status.MET: set(),
        Status.CANCELLED: set(),
    }

    # Few indexes on purpose: a recompute rewrites due dates in bulk and every index costs a write.
    kind = models.CharField(_("kind"), max_length=50)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("subject type"),
        db_index=False,  # the (content_type, object_id) index serves it
    )
    object_id = models.PositiveBigIntegerField(_("subject id"))
    subject = GenericForeignKey("content_type", "object_id")
    start_date = models.DateField(_("start date"))
    working_days = models.PositiveIntegerField(_("working days"))
    due_date = models.DateField(_("due date"), db_index=True)
    due_at = models.DateTimeField(_("due at"))
    skipped = models.JSONField(_("skipped days"), default=list, blank=True)
    fallback = models.BooleanField(
        _("counted on weekends only"),
        default=False,
        help_text=_("Some year in the period had no calendar data, so only weekends were skipped."),
    )
    # Indexed through (status, ladder_step, due_date), whose leading column serves lookups by status.
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    # Reserved for the escalation ladder (reminder → warning → supervised).
    ladder_step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="core_deadline_subject_idx"),
            # The escalation sweep asks, per step, for open items below it due before a date:
            # status = open AND ladder_step IN (0, …, step − 1) AND due_date <= d, which reads
            # one bounded range per step value. A sweep with nothing due reads a few index pages
            # whatever the table holds; (status, due_date) walked every open item already due,
            # the escalated long tail included. Its leading column serves lookups by status.
            models.Index(fields=["status", "ladder_step", "due_date"], name="core_deadline_ladder_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_days__gt=0), name="core_deadline_working_days_gt_0"
            ),
            models.CheckConstraint(condition=models.Q(round__gte=1), name="core_deadline_round_gte_1"),
            models.CheckConstraint(
                condition=models.Q(status="met", met_at__isnull=False)
                | (~models.Q(status="met") & models.Q(met_at__isnull=True)),
                name="core_deadline_met_at_iff_met",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id} → {self.due_date.isoformat()}"


class DeadlineChange(models.Model):
    """Append-only record of a due date moved by a calendar edit."""

    deadline = models.ForeignKey(
        Deadline, on_delete=models.CASCADE, related_name="changes", verbose_name=_("deadline")
    )
    old_due_date = models.DateField(_("old due date"))
    new_due_date = models.DateField(_("new due date"))
    reason = models.TextField(_("reason"))
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")

    def __str__(self) -> str:
        return f"{self.old_due_date.isoformat()} → {self.new_due_date.isoformat()}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("DeadlineChange rows are append-only")
        super().save(*args, **kwargs)


class TaggedJSONEncoder(json.JSONEncoder):
    """Dates and times survive a JSON column tagged, so that a template formats them as dates
    when the e-mail is written; the C encoder calls this only for them."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            return {"$datetime": o.isoformat()}
        if isinstance(o, dt.date):
            return {"$date": o.isoformat()}
        return super().default(o)


class TaggedJSONDecoder(json.JSONDecoder):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("object_hook", self._untag)
        super().__init__(*args, **kwargs)

    @staticmethod
    def _untag(value: dict):
        if len(value) == 1:
            if "$date" in value:
                return dt.date.fromisoformat(value["$date"])
            if "$datetime" in value:
                return dt.datetime.fromisoformat(value["$datetime"])
        return value


def outbox_message_id() -> str:
    """A new, globally unique Message-ID (random, not the row's id: ids repeat after a restore
    into an empty database, and a receiver dropping "duplicates" by Message-ID would lose mail)."""
    return make_msgid(idstring="outbox", domain=settings.OUTBOX_MESSAGE_ID_DOMAIN)


class OutboundEmail(models.Model):
    """One e-mail, written in the same transaction as the change that causes it and sent after
    commit by a Celery task; a periodic sweep sends what a lost task or a down broker left.
    ``key`` makes the same notice impossible to queue twice.

    Delivery is at least once (core.outbox): a worker claims the row ("sending", with a lease)
    and records when its SMTP transaction starts, both committed before it talks to the server;
    a row still "sending" when its lease expires is sent again with the same ``message_id``,
    and ``interrupted_sends`` counts the sends whose outcome was lost that way."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # A digest queued by a sweep is written by the mail worker, from this template and context,
    # when it is sent: the sweep decides what to say and stays fast.
    template = models.CharField(_("template"), max_length=100, blank=True)
    context = models.JSONField(
        _("context"), null=True, blank=True, encoder=TaggedJSONEncoder, decoder=TaggedJSONDecoder
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    related = models.CharField(
        _("about"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("A reference such as a case or complaint number; never a person."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Bodies that carried a secret (a tracking code) are replaced once sent.
    scrub_after_sending = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    # Generated when the row is written and sent with every copy, so that a receiver can drop a
    # copy sent again after an interrupted send (core.outbox).
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, default=outbox_message_id)
    # The worker that holds a "sending" row, and until when; another may take it over after.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    # Set (and committed) just before the SMTP transaction starts: a lease that expires with it
    # set means the server may have accepted the message before the worker stopped.
    smtp_started_at = models.DateTimeField(_("SMTP transaction started at"), null=True, blank=True)
    interrupted_sends = models.PositiveSmallIntegerField(
        _("interrupted sends"),
        default=0,
        help_text=_(
            "Sends whose outcome was never learnt (the worker stopped, or the connection was lost, "
            "after the SMTP transaction had started), so the message was sent again: it may have "
            "been sent twice, with the same Message-ID."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(
                fields=["lease_expires_at"],
                name="outbox_sending_lease",
                condition=models.Q(status="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}"

    @property
    def may_have_been_sent_twice(self) -> bool:
        return self.interrupted_sends > 0


class OutboundAttachment(models.Model):
    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


# --- Who was given which role or permission ------------------------------------------------


class AccessChange(models.Model):
    """One role or permission granted or revoked: who did it (empty: the system, e.g. the role
    table applied after a migrate), to whom, what, when. Written by core.accounts_audit
    from Django's own signals; never edited. The names are copied so the record outlives a
    deleted user, group or permission."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("granted")
        REVOKED = "revoked", _("revoked")

    class Kind(models.TextChoices):
        ROLE = "role", _("role (group membership)")
        USER_PERMISSION = "user_permission", _("permission of a user")
        GROUP_PERMISSION = "group_permission", _("permission of a role")
        SUPERUSER = "superuser", _("superuser status")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("change"), max_length=10, choices=Action.choices)
    kind = models.CharField(_("what changed"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("changed by (name)"), max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    permission = models.ForeignKey(
        "auth.Permission",
        verbose_name=_("permission"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(_("given to"), max_length=150)
    item = models.CharField(_("role or permission"), max_length=255)
    identity = models.BooleanField(
        _("opens complainant identity"),
        default=False,
        db_index=True,
        help_text=_("The role or permission lets its holder see who complained."),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        indexes = [models.Index(fields=["user", "-at"], name="core_accesschange_user_at")]

    def __str__(self) -> str:
        return f"{self.subject}: {self.get_action_display()} {self.item}"


# --- While Redis is down (issue 18, outages) ---------------------------------------------


class FallbackCounter(models.Model):
    """A rate-limit window's count or a single-use mark (a proof of work spent, a receipt shown),
    kept in the database only while the cache cannot keep it (core/fallback.py). The key is a
    digest: never a client address, a challenge or a code in the clear."""

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("fallback counter")
        verbose_name_plural = _("fallback counters")

    def __str__(self) -> str:
        return self.key


class StoredFigures(models.Model):
    """The last figures a page computed (the dashboard's quarter, the assessment's ranking), kept
    beside the cache so that the pages serve them, with when they were computed, while the cache
    is down (core/stored_figures.py)."""

    key = models.CharField(max_length=120, unique=True)
    payload = models.BinaryField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("stored figures")
        verbose_name_plural = _("stored figures")

    def __str__(self) -> str:
        return self.key


# --- Retention and purge of personal data ---------------------------------------------------


class PurgeRun(models.Model):
    """One run of the purge of personal data past its retention period (core.retention): when,
    by whom (a user, or the command's or beat's name), a dry run or not, and per kind the
    period applied and how many records were found and what was removed. Counts only: never an
    identity, never a record's text."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    forced = models.BooleanField(
        _("forced"), default=False, help_text=_("Run with a retention period below its safe minimum.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("run by (name)"), max_length=150, blank=True)
    counts = models.JSONField(_("counts per kind"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("purge of personal data")
        verbose_name_plural = _("purges of personal data")

    def __str__(self) -> str:
        at = f"{self.started_at:%Y-%m-%d %H:%M}"
        return str(_("%(at)s (dry run)") % {"at": at}) if self.dry_run else at


# --- Background exports ------------------------------------------------------------------------


class ExportJob(models.Model):
    """One workbook asked for by a staff member and written by a Celery task (core.exports).

    ``filters`` are what the list showed when the export was asked for, captured then and applied
    by the task with the owner's permissions at that time; the file is private, reachable only by
    its owner until ``expires_at``, and then removed by the sweep."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    kind = models.CharField(_("export"), max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.CASCADE, related_name="+"
    )
    filters = models.JSONField(_("the list's filters"), default=dict, blank=True)
    description = models.CharField(_("what"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A running job whose lease has passed belongs to a worker that died: the sweep runs it again.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/", max_length=200, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="core_exportjob_owner_created"),
            models.Index(fields=["state", "lease_until"], name="core_exportjob_state_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

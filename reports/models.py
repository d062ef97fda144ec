"""Outbound reporting. The complaint notification system (投诉通报制度): every period each
complained-about unit receives, verbatim but without who complained, the complaints made about
it, and replies with its improvement measures.

A run holds one report per department and one item per complaint; the items' texts are what
the departments read, previewed and edited by staff before the run is approved and sent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint
from envopt.core.errors import ApplicationError
from envopt.core.models import Deadline, TimeStampedModel
from liaison.models import Department

REPLY_DEADLINE_KIND = "notification_reply"


class InvalidTransition(ApplicationError):
    """A notification step that is not allowed from the run's or the report's current state."""


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

"""Trainings and appraisal/award activities that involve enterprises (涉企培训、评比达标表彰, seed
§三.7): departments file them, the commission approves, refuses or approves without fee; items
abolished in the clean-up are kept as cancelled items so that they stay cancelled; enterprises
complain from the public list; activities held without filing (or charging a fee when approved
without, or a cancelled item held again) become flags from which staff open cases."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.models import Case
from complaints.models import Complaint
from core.models import TimeStampedModel
from inspections.activities.names import activity_name_key
from liaison.models import Department


class ActivityKind(models.TextChoices):
    TRAINING = "training", _("Training involving enterprises")
    AWARD = "award", _("Appraisal, standard or award (评比达标表彰)")


class CancelledActivity(TimeStampedModel):
    """An item abolished in the clean-up (清理规范): kept so that it stays cancelled. Filing an
    activity of the same name again is refused, and holding it is a flag."""

    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # What the service compares: the name without spaces, punctuation or case.
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cancelled_activities",
        verbose_name=_("organising department"),
    )
    cancelled_on = models.DateField(_("cancelled on"))
    document = models.CharField(_("cancelling document"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-cancelled_on", "name"]
        verbose_name = _("cancelled activity")
        verbose_name_plural = _("cancelled activities")
        constraints = [models.UniqueConstraint(fields=["name_key"], name="cancelledactivity_unique_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = activity_name_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


class ActivityFiling(TimeStampedModel):
    """One training or appraisal/award activity filed by a department (备案), decided by the
    commission."""

    class Status(models.TextChoices):
        FILED = "filed", _("Filed, awaiting the commission's decision")
        APPROVED = "approved", _("Approved")
        APPROVED_NO_FEE = "approved_no_fee", _("Approved without fee")
        REFUSED = "refused", _("Refused")

    APPROVED_STATUSES = (Status.APPROVED, Status.APPROVED_NO_FEE)

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="activity_filings",
        verbose_name=_("department"),
        db_index=False,  # (department, status) serves it
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=200)
    audience = models.CharField(_("audience"), max_length=300)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    fee = models.DecimalField(
        _("fee per participant (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    fee_basis = models.TextField(_("legal basis of the fee"), blank=True)
    voluntary = models.BooleanField(_("participation is voluntary"), default=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.FILED)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("filed by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("training or award filing")
        verbose_name_plural = _("training and award filings")
        indexes = [
            models.Index(fields=["department", "status"], name="activityfiling_dept_status"),
            # The public list: approved activities by date.
            models.Index(fields=["status", "-starts_on"], name="activityfiling_status_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="activityfiling_dates"
            ),
            models.CheckConstraint(
                condition=Q(fee__isnull=True) | Q(fee__gte=0), name="activityfiling_fee_positive"
            ),
        ]
        permissions = [
            ("file_activity", _("Can file trainings and award activities (department)")),
            ("decide_activity", _("Can approve or refuse training and award filings")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_approved(self) -> bool:
        return self.status in self.APPROVED_STATUSES


class ActivityComplaint(models.Model):
    """A complaint an enterprise filed from the public list: about a filed activity, a cancelled
    item, or one "not in this list". The department never sees this link."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="activity_link", verbose_name=_("complaint")
    )
    filing = models.ForeignKey(
        ActivityFiling,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaint_links",
        verbose_name=_("filing"),
    )
    cancelled_item = models.ForeignKey(
        CancelledActivity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaint_links",
        verbose_name=_("cancelled item"),
    )
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint about a training or award")
        verbose_name_plural = _("complaints about trainings and awards")
        constraints = [
            # One of the two, or neither ("not in this list"): never both.
            models.CheckConstraint(
                condition=Q(filing__isnull=True) | Q(cancelled_item__isnull=True),
                name="activitycomplaint_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return str(self.complaint_id)

    @property
    def not_listed(self) -> bool:
        return self.filing_id is None and self.cancelled_item_id is None


class ActivityFlag(models.Model):
    """Something wrong with a training or award activity, for the commission."""

    class Kind(models.TextChoices):
        UNFILED = "unfiled", _("Held without filing")
        FEE_WITHOUT_APPROVAL = "fee", _("Fee charged although approved without fee")
        CANCELLED_HELD = "cancelled_held", _("Cancelled item held again")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CASE = "case", _("Case opened")
        DISMISSED = "dismissed", _("Dismissed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="activity_flags",
        verbose_name=_("department"),
    )
    title = models.CharField(_("activity"), max_length=200)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    filing = models.ForeignKey(
        ActivityFiling,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
        verbose_name=_("filing"),
    )
    cancelled_item = models.ForeignKey(
        CancelledActivity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
        verbose_name=_("cancelled item"),
    )
    # The complaint staff confirmed, when the flag comes from one.
    complaint_link = models.OneToOneField(
        ActivityComplaint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flag",
        verbose_name=_("from the complaint"),
    )
    explanation = models.TextField(_("explanation"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("raised by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("case")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("training or award flag")
        verbose_name_plural = _("training and award flags")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="activityflag_status"),
            models.Index(fields=["department", "kind"], name="activityflag_dept_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="fee") | Q(filing__isnull=False), name="activityflag_fee_has_filing"
            ),
            models.CheckConstraint(
                condition=~Q(kind="cancelled_held") | Q(cancelled_item__isnull=False),
                name="activityflag_cancelled_has_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

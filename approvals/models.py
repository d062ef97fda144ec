"""Electronic supervision of administrative approvals (电子监察, seed §三.3 and §三.5): the item
catalogue with its promised limits, the approval records pushed by the service halls' systems,
the yellow and red signals computed on them in working days, and the departments' corrections."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casework.models import Case
from complaints.models import Complaint
from core.models import Deadline, TimeStampedModel
from liaison.models import Department, Enterprise


class ApprovalItem(TimeStampedModel):
    """One item of the approval catalogue (事项目录): who decides it, within how many working days
    by law and by promise, and where it must be handled."""

    class Kind(models.TextChoices):
        LICENCE = "licence", _("Administrative licence (行政许可)")
        NON_LICENCE = "non_licence", _("Non-licence approval (非许可审批)")
        FILING = "filing", _("Filing (备案)")
        SERVICE = "service", _("Public service (公共服务)")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="approval_items", verbose_name=_("department")
    )
    # The item code of the government service catalogue (事项编码): the key the halls' systems send.
    code = models.CharField(_("item code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.LICENCE)
    statutory_days = models.PositiveSmallIntegerField(
        _("statutory limit (working days)"), validators=[MinValueValidator(1)]
    )
    promised_days = models.PositiveSmallIntegerField(
        _("promised limit (working days)"), validators=[MinValueValidator(1)]
    )
    in_hall = models.BooleanField(_("must be handled in the service hall (进驻)"), default=True)
    window_authorised = models.BooleanField(_("the hall window holds the authority (授权到位)"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department__name", "code"]
        verbose_name = _("approval item")
        verbose_name_plural = _("approval items")
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_days__lte=F("statutory_days")),
                name="approvalitem_promise_within_law",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ApprovalStep(models.Model):
    """One step of an item (受理, 审查, 决定, …) with its own limit in working days."""

    item = models.ForeignKey(
        ApprovalItem, on_delete=models.CASCADE, related_name="steps", verbose_name=_("item")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=60)
    limit_days = models.PositiveSmallIntegerField(
        _("limit (working days)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["item", "position"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="approvalstep_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class ApprovalFee(models.Model):
    """A fee the item may charge (收费目录), with its legal basis and its approved amount."""

    item = models.ForeignKey(
        ApprovalItem, on_delete=models.CASCADE, related_name="fees", verbose_name=_("item")
    )
    code = models.CharField(_("fee code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    legal_basis = models.TextField(_("legal basis"))
    amount = models.DecimalField(_("approved amount (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["item", "code"]
        verbose_name = _("approval fee")
        verbose_name_plural = _("approval fees")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="approvalfee_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Where(models.TextChoices):
    """Where an approval was accepted or decided."""

    HALL = "hall", _("Service hall window")
    ONLINE = "online", _("Online, through the hall's platform")
    DEPARTMENT = "department", _("In the department, outside the hall")


class ApprovalRecord(models.Model):
    """One application as the service hall's system reported it, idempotent by its external id:
    a resend of the same record changes nothing."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not decided yet")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")

    external_id = models.CharField(_("application number"), max_length=64, unique=True)
    item = models.ForeignKey(
        ApprovalItem, on_delete=models.PROTECT, related_name="records", verbose_name=_("item"), db_index=False
    )
    # The item's department, copied so the lists and the assessment filter without a join.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="approval_records",
        verbose_name=_("department"),
        db_index=False,
    )
    applicant_credit_code = models.CharField(_("applicant's credit code"), max_length=18, blank=True)
    applicant_name = models.CharField(_("applicant"), max_length=200, blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approval_records",
        verbose_name=_("enterprise in the registry"),
    )
    accepted_at = models.DateTimeField(_("accepted at"))
    accepted_where = models.CharField(_("accepted where"), max_length=10, choices=Where.choices)
    # The end of the promised limit: ``promised_days`` working days after the day of acceptance
    # (the PRC calendar; the day of acceptance not counted), fixed when the record arrives.
    due_on = models.DateField(_("promised by"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The decision's day in Asia/Shanghai: on time when it is no later than ``due_on``.
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_where = models.CharField(_("decided where"), max_length=10, choices=Where.choices, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    # Working days from acceptance to decision, counted when the decision arrives.
    working_days_taken = models.PositiveSmallIntegerField(_("working days taken"), null=True, blank=True)
    received_at = models.DateTimeField(_("first received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last received"), auto_now=True)
    # Complaints the applicant filed from this record (the form prefilled with 行政审批). Never shown
    # to the department: it would tell it who complained.
    complaints = models.ManyToManyField(Complaint, blank=True, related_name="+", verbose_name=_("complaints"))

    class Meta:
        ordering = ["-accepted_at", "-id"]
        verbose_name = _("approval record")
        verbose_name_plural = _("approval records")
        indexes = [
            # The assessment and the lists: a department's records accepted in a period.
            models.Index(fields=["department", "accepted_at"], name="approvalrecord_dept_accepted"),
            models.Index(fields=["item", "accepted_at"], name="approvalrecord_item_accepted"),
            # The assessment and the bulletin: a department's approvals decided in a period.
            models.Index(fields=["department", "decided_on"], name="approvalrecord_dept_decided"),
            # The list of a department's late decisions (timeliness=late), newest first: only the
            # late ones are indexed, so the page and its capped count read no on-time record.
            models.Index(
                fields=["department", "-accepted_at", "-id"],
                name="approvalrecord_dept_late",
                condition=Q(decided_on__gt=F("due_on")),
            ),
            # The sweep: undecided records by their promised day.
            models.Index(
                fields=["due_on"], name="approvalrecord_pending_due", condition=Q(decision="pending")
            ),
        ]
        permissions = [
            ("push_records", _("Can push approval records (a service hall's system)")),
        ]

    def __str__(self) -> str:
        return self.external_id


class ApprovalStepEvent(models.Model):
    """One step of one application as handled: when it started and ended, by which officer."""

    record = models.ForeignKey(
        ApprovalRecord, on_delete=models.CASCADE, related_name="step_events", verbose_name=_("record")
    )
    step = models.ForeignKey(
        ApprovalStep,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("step"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=60)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    officer = models.CharField(_("handling officer"), max_length=60, blank=True)
    working_days_taken = models.PositiveSmallIntegerField(_("working days taken"), null=True, blank=True)

    class Meta:
        ordering = ["record", "position"]
        verbose_name = _("approval step event")
        verbose_name_plural = _("approval step events")
        constraints = [
            models.UniqueConstraint(fields=["record", "position"], name="approvalstepevent_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.position}. {self.name}"


class ApprovalFeeCharge(models.Model):
    """A fee charged on one application, as reported; ``fee`` is empty when the code is not in
    the item's schedule."""

    record = models.ForeignKey(
        ApprovalRecord, on_delete=models.CASCADE, related_name="fee_charges", verbose_name=_("record")
    )
    fee = models.ForeignKey(
        ApprovalFee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("fee")
    )
    code = models.CharField(_("fee code"), max_length=40)
    name = models.CharField(_("name"), max_length=120, blank=True)
    amount = models.DecimalField(_("amount charged (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["record", "code"]
        verbose_name = _("fee charged")
        verbose_name_plural = _("fees charged")

    def __str__(self) -> str:
        return f"{self.code} {self.amount}"


def choice_label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:  # a value no longer among the choices: shown as stored
        return str(value)


class ApprovalSignal(models.Model):
    """A warning (预警) on an approval: yellow asks for attention, red is an irregularity that the
    department must correct (纠错) and that climbs the escalation ladder until it does."""

    class Colour(models.TextChoices):
        YELLOW = "yellow", pgettext_lazy("signal colour", "Yellow")
        RED = "red", pgettext_lazy("signal colour", "Red")

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("One working day before the promised limit")
        STEP_OVER = "step_over", _("A step over its own limit")
        OVERDUE = "overdue", _("Promised limit passed without a decision")
        NO_REASON = "no_reason", _("Refused without a reason")
        FEE_OUTSIDE = "fee_outside", _("Fee not in the item's schedule")
        FEE_ABOVE = "fee_above", _("Fee above its approved amount")
        OUTSIDE_HALL = "outside_hall", _("Decided without a hall acceptance (体外循环)")
        TWO_ENDS = "two_ends", _("Accepted in the hall, decided elsewhere (两头办理)")

    COLOURS = {
        Kind.DUE_SOON: Colour.YELLOW,
        Kind.STEP_OVER: Colour.YELLOW,
        Kind.OVERDUE: Colour.RED,
        Kind.NO_REASON: Colour.RED,
        Kind.FEE_OUTSIDE: Colour.RED,
        Kind.FEE_ABOVE: Colour.RED,
        Kind.OUTSIDE_HALL: Colour.RED,
        Kind.TWO_ENDS: Colour.RED,
    }

    class Status(models.TextChoices):
        OPEN = "open", _("Open: awaiting the department's correction")
        ANSWERED = "answered", _("Corrected: awaiting the commission's review")
        RETURNED = "returned", _("Correction returned as insufficient")
        ACCEPTED = "accepted", _("Correction accepted")
        CASE = "case", _("Case opened")
        CLEARED = "cleared", _("Cleared (the record resolved it)")

    # No index of its own: the unique (record, kind, key) begins with it.
    record = models.ForeignKey(
        ApprovalRecord,
        on_delete=models.CASCADE,
        related_name="signals",
        verbose_name=_("record"),
        db_index=False,
    )
    # Copied from the record so the signal lists filter by department without a join.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="approval_signals",
        verbose_name=_("department"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    colour = models.CharField(_("colour"), max_length=6, choices=Colour.choices)
    # What distinguishes two signals of one kind on one record: the step position, the fee code.
    key = models.CharField(_("key"), max_length=40, blank=True, default="")
    explanation = models.TextField(_("explanation"))
    raised_at = models.DateTimeField(_("raised at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    deadline = models.ForeignKey(
        Deadline,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("correct by"),
    )
    correction = models.TextField(_("the department's correction"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("answered by"),
    )
    return_reason = models.TextField(_("why the correction was returned"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    case = models.ForeignKey(
        Case,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("case"),
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("approval signal")
        verbose_name_plural = _("approval signals")
        indexes = [
            models.Index(fields=["status", "colour", "-raised_at"], name="approvalsignal_status"),
            models.Index(fields=["department", "raised_at"], name="approvalsignal_dept_raised"),
            # The sweep clears the open prompts of records decided since: only those are indexed.
            models.Index(
                fields=["record"],
                name="approvalsignal_open_prompts",
                condition=Q(kind="due_soon", status="open"),
            ),
            # The links most signals never get (a deadline only when red; who answered or decided, a
            # case, later): indexed where set, so raising tens of thousands of signals writes no
            # index entry for an empty link.
            *(
                models.Index(
                    fields=[name], name=f"approvalsignal_{name}", condition=Q(**{f"{name}__isnull": False})
                )
                for name in ("deadline", "answered_by", "decided_by", "case")
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["record", "kind", "key"], name="approvalsignal_once"),
        ]
        permissions = [
            ("decide_signal", _("Can review corrections and open cases from approval signals")),
        ]

    def __str__(self) -> str:
        # The enum's label, not get_kind_display(), which builds the choices' dictionary anew on
        # every call (the admin list shows this for each row's checkbox).
        return f"{self.record_id} {choice_label(self.Kind, self.kind)}"

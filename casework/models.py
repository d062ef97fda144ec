"""Casework: cases gathered from complaints, referrals to departments with working-day
deadlines, handling reports and their review, findings, recommendations, accountability
talks, unannounced visits, identity-access requests, and the append-only timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, Complaint
from core.models import Deadline
from liaison.models import Department, Office

CASE_PREFIX = "AJ"


def case_reference(pk: int | None, opened_at) -> str:
    """AJ2026-000123: for lists that read plain values rather than Case instances."""
    return f"{CASE_PREFIX}{opened_at.year if opened_at else 0:04d}-{pk or 0:06d}"


class Case(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted, awaiting disposition")
        HANDLING = "handling", _("Being handled by the centre")
        REFERRED = "referred", _("Referred to a department")
        REVIEWING = "reviewing", _("Report under review")
        CONCLUDED = "concluded", _("Concluded")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")
        SERIOUS = "serious", _("Serious")

    class Disposition(models.TextChoices):
        SELF = "self", _("Self-handled (自办)")
        TRANSFER = "transfer", _("Transferred (转办)")
        ASSIGN = "assign", _("Assigned with supervision (交办)")

    class Finding(models.TextChoices):
        SUBSTANTIATED = "substantiated", _("Substantiated")
        PARTLY = "partly", _("Partly substantiated")
        UNSUBSTANTIATED = "unsubstantiated", _("Unsubstantiated")
        UNVERIFIABLE = "unverifiable", _("Cannot be verified")

    # The allowed moves, as data (django-oscar's pipeline): from -> {to}.
    TRANSITIONS = {
        Status.ACCEPTED: {Status.HANDLING, Status.REFERRED},
        Status.HANDLING: {Status.REFERRED, Status.CONCLUDED},
        Status.REFERRED: {Status.REVIEWING, Status.HANDLING},
        Status.REVIEWING: {Status.REFERRED, Status.HANDLING},
        Status.CONCLUDED: {Status.HANDLING},
    }

    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACCEPTED)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("unit complained about"),
        db_index=False,  # (department, status, opened_at) serves it
    )
    office = models.ForeignKey(
        Office,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("office"),
        db_index=False,  # (office, status) serves it
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_handled",
        verbose_name=_("handler"),
        db_index=False,  # (handler, status) serves it
    )
    disposition = models.CharField(_("disposition"), max_length=10, choices=Disposition.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    taken_over = models.BooleanField(_("taken over from a department"), default=False)
    finding = models.CharField(_("finding"), max_length=16, choices=Finding.choices, blank=True)
    finding_note = models.TextField(_("finding, details"), blank=True)
    follow_up_on = models.DateField(_("follow-up check on"), null=True, blank=True)
    result_summary = models.TextField(_("result for the complainant"), blank=True)
    is_typical = models.BooleanField(_("typical case"), default=False)
    typical_summary = models.TextField(_("typical-case summary for circulation"), blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "-opened_at"], name="case_status_opened"),
            # The department + status filter, newest first: one index range, no sort.
            models.Index(fields=["department", "status", "-opened_at"], name="case_department_status"),
            models.Index(fields=["office", "status"], name="case_office_status"),
            models.Index(fields=["handler", "status"], name="case_handler_status"),
            models.Index(fields=["-opened_at", "-id"], name="case_opened_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="concluded") | Q(closed_at__isnull=False),
                name="case_concluded_has_closed_at",
            ),
        ]
        permissions = [
            ("approve_identity_access", _("Can approve requests to see who complained")),
            ("handle_case", _("Can triage, refer, review and close cases")),
            ("view_dashboard", _("Can see the leaders' dashboard")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return case_reference(self.pk, self.opened_at)

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class CaseComplaint(models.Model):
    """The link between a case and the complaints it gathers; a complaint is in one case at most."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="complaint_links")
    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="case_link")
    is_primary = models.BooleanField(_("first complaint of the case"), default=False)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("complaint of a case")
        verbose_name_plural = _("complaints of a case")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_primary=True), name="one_primary_complaint"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} ← {self.complaint.reference}"


class Referral(models.Model):
    """A case sent to a department to handle (转办) or to handle under supervision (交办)."""

    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("Transferred: handle and report the result (转办)")
        ASSIGN = "assign", _("Assigned: handle under supervision by the deadline (交办)")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent, awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged, being handled")
        REPORTED = "reported", _("Report submitted, under review")
        RETURNED = "returned", _("Returned for re-investigation")
        ACCEPTED = "accepted", _("Report accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn (taken over by the centre)")

    TRANSITIONS = {
        Status.SENT: {Status.ACKNOWLEDGED, Status.WITHDRAWN},
        Status.ACKNOWLEDGED: {Status.REPORTED, Status.WITHDRAWN},
        Status.REPORTED: {Status.ACCEPTED, Status.RETURNED, Status.WITHDRAWN},
        Status.RETURNED: {Status.REPORTED, Status.WITHDRAWN},
        Status.ACCEPTED: set(),
        Status.WITHDRAWN: set(),
    }
    OPEN_STATUSES = (Status.SENT, Status.ACKNOWLEDGED, Status.REPORTED, Status.RETURNED)
    AWAITING_REPORT = (Status.ACKNOWLEDGED, Status.RETURNED)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("department"),
        db_index=False,  # (department, status, sent_at) serves it
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SENT)
    instructions = models.TextField(_("instructions to the department"), blank=True)
    released_text = models.TextField(
        _("complaint as released to the department"),
        help_text=_("What the department reads. The complainant's identity is removed from it."),
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("current deadline"),
    )
    # Indexed through (status, due_date): a calendar edit rewrites tens of thousands of due
    # dates, and every index is written again for each.
    due_date = models.DateField(_("due"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["department", "status", "-sent_at"], name="referral_dept_status"),
            models.Index(fields=["status", "due_date"], name="referral_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["sent", "acknowledged", "reported", "returned"]),
                name="one_open_referral_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} → {self.department}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ReferralPeriod(models.Model):
    """Default working days for a referral, per kind and case priority; staff edit them."""

    DEFAULTS = {
        "transfer": {"normal": 15, "urgent": 10, "serious": 5},
        "assign": {"normal": 10, "urgent": 5, "serious": 3},
    }

    kind = models.CharField(_("kind"), max_length=10, choices=Referral.Kind.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Case.Priority.choices)
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        ordering = ["kind", "priority"]
        verbose_name = _("referral period")
        verbose_name_plural = _("referral periods")
        constraints = [
            models.UniqueConstraint(fields=["kind", "priority"], name="one_period_per_kind_priority"),
            models.CheckConstraint(condition=Q(working_days__gte=1), name="period_at_least_one_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} / {self.get_priority_display()}: {self.working_days}"


class HandlingReport(models.Model):
    """A department's report on a referral (办理报告); one per round, every round kept."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="reports")
    round = models.PositiveSmallIntegerField(_("round"))
    facts = models.TextField(_("facts found"))
    finding = models.CharField(_("finding"), max_length=16, choices=Case.Finding.choices)
    measures = models.TextField(_("measures taken"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("submitted by"),
    )

    # The centre's own deadline to review it: late reviews climb the ladder too.
    review_deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("review due"),
    )

    class Meta:
        ordering = ["referral", "round"]
        verbose_name = _("handling report")
        verbose_name_plural = _("handling reports")
        constraints = [models.UniqueConstraint(fields=["referral", "round"], name="one_report_per_round")]

    def __str__(self) -> str:
        return f"{self.referral} #{self.round}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(HandlingReport, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), max_length=200)
    display_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")

    def __str__(self) -> str:
        return self.display_name


class Review(models.Model):
    """Staff's decision on a report: accept it, or return it for re-investigation with a new deadline."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", _("Accept the report")
        RETURN = "return", _("Return for re-investigation (退回重新调查处理)")

    report = models.OneToOneField(HandlingReport, on_delete=models.CASCADE, related_name="review")
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    new_due_date = models.DateField(_("new due date"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="return") | ~Q(reason=""), name="a_return_gives_a_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report}: {self.get_decision_display()}"


class Recommendation(models.Model):
    """A supervision recommendation (监察建议) or, for a finding that cannot be verified, the
    demand that the unit explain itself and submit a rectification plan (讲清问题、制定整改措施)."""

    class Kind(models.TextChoices):
        SUPERVISION = "supervision", _("Supervision recommendation (监察建议)")
        EXPLANATION = "explanation", _("Explain and submit a rectification plan (讲清问题、制定整改措施)")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued, awaiting rectification report")
        REPLIED = "replied", _("Rectification report received")
        CLOSED = "closed", _("Rectified and closed")
        RETURNED = "returned", _("Reply returned as insufficient")

    TRANSITIONS = {
        Status.ISSUED: {Status.REPLIED},
        Status.REPLIED: {Status.CLOSED, Status.RETURNED},
        Status.RETURNED: {Status.REPLIED},
        Status.CLOSED: set(),
    }
    AWAITING_REPLY = (Status.ISSUED, Status.RETURNED)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recommendations")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    content = models.TextField(_("content"))
    basis = models.TextField(_("basis"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    deadline = models.ForeignKey(Deadline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_date = models.DateField(_("rectify by"), null=True, blank=True, db_index=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("issued by"),
    )
    reply = models.TextField(_("rectification report"), blank=True)
    return_reason = models.TextField(_("why the reply was returned"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        indexes = [models.Index(fields=["department", "status"], name="recommendation_dept_status")]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_kind_display()}"


class AccountabilityTalk(models.Model):
    """An accountability talk (问责谈话) with the head(s) of a unit whose inaction or misconduct
    harmed an enterprise, besides action against the person responsible."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="talks", verbose_name=_("unit")
    )
    heads = models.TextField(_("unit heads and positions"), help_text=_("One per line: name, position."))
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200)
    cases = models.ManyToManyField(Case, blank=True, related_name="talks", verbose_name=_("cases"))
    record = models.TextField(_("record of the talk"))
    commitments = models.TextField(_("commitments"), blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    action_against_responsible = models.TextField(_("action against the person responsible"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("accountability talk")
        verbose_name_plural = _("accountability talks")

    def __str__(self) -> str:
        return f"{self.department} {self.held_on}"


class UnannouncedVisit(models.Model):
    """An unannounced visit (暗访); a finding can open a case."""

    visited_on = models.DateField(_("visited on"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="visits", verbose_name=_("unit visited")
    )
    team = models.CharField(_("team"), max_length=200)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on"]
        verbose_name = _("unannounced visit")
        verbose_name_plural = _("unannounced visits")

    def __str__(self) -> str:
        return f"{self.department} {self.visited_on}"


class IdentityAccessRequest(models.Model):
    """A request to see who complained, approved or refused by an office head (GlobaLeaks'
    identity access request). Approval shows that one complaint's identity to that one user."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="identity_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("identity access request")
        verbose_name_plural = _("identity access requests")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "requested_by"],
                condition=Q(status="pending"),
                name="one_pending_identity_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint.reference}: {self.requested_by}"


class ExtensionRequest(models.Model):
    """A department asks for more time on a referral (延期申请); staff approve or refuse it. An
    approved request moves the referral's deadline through the deadline service."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="extension_requests", verbose_name=_("referral")
    )
    reason = models.TextField(_("reason"))
    proposed_date = models.DateField(_("proposed new due date"))
    due_date_before = models.DateField(_("due date when requested"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    granted_date = models.DateField(_("granted due date"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["referral"], condition=Q(status="pending"), name="one_pending_extension_per_referral"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referral}: {self.proposed_date}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Timeline events are append-only.")

    def delete(self):
        raise PermissionError("Timeline events are append-only.")


class CaseEvent(models.Model):
    """One step on a case's timeline. Append-only: no update or delete path exists.

    The model and its queryset refuse changes; on PostgreSQL a trigger refuses every UPDATE and
    DELETE of a row, raw SQL included (migration 0010). So neither the case nor the acting
    user can be deleted once the timeline names them (PROTECT, not CASCADE or SET_NULL): cases
    are never deleted, and a departed user is deactivated, so the record keeps saying who acted.
    """

    class Action(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")
        MERGED = "merged", _("Complaint merged into the case")
        ASSIGNED = "assigned", _("Office, handler or priority set")
        SELF_HANDLED = "self_handled", _("Set to be handled by the centre")
        REFERRED = "referred", _("Referred to a department")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged by the department")
        REPORTED = "reported", _("Handling report submitted")
        REPORT_ACCEPTED = "report_accepted", _("Report accepted")
        REPORT_RETURNED = "report_returned", _("Report returned for re-investigation")
        TAKEN_OVER = "taken_over", _("Taken over by the centre")
        FINDING = "finding", _("Finding recorded")
        RECOMMENDATION = "recommendation", _("Recommendation issued")
        RECOMMENDATION_REPLY = "recommendation_reply", _("Rectification report received")
        RECOMMENDATION_CLOSED = "recommendation_closed", _("Recommendation closed")
        TALK = "talk", _("Accountability talk recorded")
        CONCLUDED = "concluded", _("Concluded")
        REOPENED = "reopened", _("Reopened")
        RATED = "rated", _("Rated by the complainant")
        TYPICAL = "typical", _("Marked as a typical case")
        DEADLINE_CHANGED = "deadline_changed", _("Due date recomputed")
        IDENTITY_REQUESTED = "identity_requested", _("Access to the complainant's identity requested")
        IDENTITY_DECIDED = "identity_decided", _("Identity access request decided")
        NOTE = "note", _("Note")
        INTERNAL_NOTE = "internal_note", _("Internal note (staff only)")
        MESSAGE_SENT = "message_sent", _("Message to the complainant")
        MESSAGE_RECEIVED = "message_received", _("Message from the complainant")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested by the department")
        EXTENSION_DECIDED = "extension_decided", _("Extension request decided")

    # (case, at) serves lookups by case: one index fewer to write for every event appended.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Timeline events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Timeline events are append-only.")

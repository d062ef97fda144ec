"""Inspections of enterprises (涉企检查, seed §三.7): who may inspect and for what, the yearly
plans, each inspection filed before entry and checked against the rules, the entry registered
by scanning the enterprise's supervision code, the outcome, and the enterprise's anonymous
rating of the visit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.models import Case
from complaints.models import Complaint
from core.models import Deadline, TimeStampedModel
from liaison.models import Department, Enterprise


class InspectingUnit(TimeStampedModel):
    """A unit of a department allowed to inspect enterprises (执法主体清单), e.g. its
    enforcement brigade. Only listed units may file inspections."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="inspecting_units", verbose_name=_("department")
    )
    name = models.CharField(_("name"), max_length=120)
    legal_basis = models.TextField(_("legal basis of its authority"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department__name", "name"]
        verbose_name = _("inspecting unit")
        verbose_name_plural = _("inspecting units")
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="inspecting_unit_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class InspectionItem(TimeStampedModel):
    """One item of a department's inspection list (检查事项清单): what may be inspected, on what
    legal basis, in which industries. "清单之外无检查": nothing else may be filed."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="inspection_items", verbose_name=_("department")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.TextField(_("legal basis"))
    # Empty: every industry. Otherwise the industries (as the registry writes them) it applies to.
    industries = models.JSONField(_("applicable industries"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department__name", "code"]
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        constraints = [
            models.UniqueConstraint(fields=["department", "code"], name="inspection_item_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InspectionPlan(TimeStampedModel):
    """A department's annual inspection plan (年度检查计划), due by a configurable date."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="inspection_plans", verbose_name=_("department")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    summary = models.TextField(_("plan"), blank=True)
    planned_count = models.PositiveIntegerField(_("inspections planned"), null=True, blank=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("filed by"),
    )
    deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deadline"),
    )

    class Meta:
        ordering = ["-year", "department__name"]
        verbose_name = _("annual inspection plan")
        verbose_name_plural = _("annual inspection plans")
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="inspection_plan_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.year}"


class Inspection(TimeStampedModel):
    """One inspection of one enterprise, filed before entry (检查备案)."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        RANDOM = "random", _("Random (双随机)")
        COMPLAINT = "complaint", _("Complaint-driven")
        SPECIAL = "special", _("Special campaign")

    class Status(models.TextChoices):
        FILED = "filed", _("Filed, may proceed")
        PENDING_APPROVAL = "pending", _("Awaiting the commission's approval")
        REFUSED = "refused", _("Refused by the commission")
        JOINT = "joint", _("To be merged into a joint inspection")
        ENTERED = "entered", _("Entered (on site)")
        CONCLUDED = "concluded", _("Outcome recorded")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        NO_PROBLEM = "no_problem", _("No problem found")
        PROBLEMS = "problems", _("Problems found, rectification required")
        DECISION = "decision", _("Administrative decision (penalty or order)")

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("department"),
        db_index=False,  # (department, enterprise, planned_on) serves it
    )
    unit = models.ForeignKey(
        InspectingUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("inspecting unit"),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("enterprise"),
        db_index=False,  # (enterprise, planned_on) serves it
    )
    items = models.ManyToManyField(InspectionItem, related_name="inspections", verbose_name=_("items"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    planned_on = models.DateField(_("planned date"))
    # [{"name": "…", "certificate": "…"}, …]: at least two officers with their certificate numbers.
    officers = models.JSONField(_("officers"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.FILED)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("filed by"),
    )
    # Scan-to-enter (扫码入企): the entry registered on site; an emergency entry has no filing.
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entry registered by"),
    )
    emergency_reason = models.TextField(_("emergency entry: reason"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome, details"), blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    outcome_deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("outcome due"),
    )
    # Complaints the enterprise filed about this inspection ("this inspection disturbed us").
    complaints = models.ManyToManyField(
        Complaint, blank=True, related_name="+", verbose_name=_("complaints about it")
    )
    joint_with = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("joint inspection with"),
    )

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [
            # The rules at filing: this enterprise's inspections in a window (cross, repeated) and
            # this department's of this enterprise this year (the cap).
            models.Index(fields=["enterprise", "planned_on"], name="inspection_enterprise_day"),
            models.Index(
                fields=["department", "enterprise", "planned_on"], name="inspection_dept_enterprise"
            ),
            models.Index(fields=["status", "-planned_on"], name="inspection_status_day"),
        ]
        permissions = [
            ("file_inspection", _("Can file inspections and register entries (inspector)")),
            ("decide_inspection", _("Can approve, refuse or merge flagged inspections")),
        ]

    def __str__(self) -> str:
        return f"{self.department} → {self.enterprise} {self.planned_on}"


class InspectionFlag(models.Model):
    """Something the rules or the entry found wrong with an inspection, for the commission."""

    class Kind(models.TextChoices):
        OVER_CAP = "over_cap", _("Over the yearly cap for the enterprise's class")
        CROSS = "cross", _("Cross inspection: another department within the window")
        REPEATED = "repeated", _("Repeated: the same item inspected this year")
        NO_DISTURBANCE = "no_disturbance", _("No-disturbance enterprise")
        # An entry without a filing is the emergency entry (the inspector says why): one kind.
        EMERGENCY = "emergency", _("Entry without a filing (emergency), to be reviewed")
        OUTCOME_LATE = "outcome_late", _("Outcome not recorded in time")
        LOW_RATING = "low_rating", _("Low rating by the enterprise")

    # A low rating on inspection X tells X's department which enterprise rated it low: such flags
    # are for the commission only (never on a department's page, list count or API answer).
    HIDDEN_FROM_DEPARTMENTS = (Kind.LOW_RATING,)

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        JOINT = "joint", _("Joint inspection ordered")
        CASE = "case", _("Case opened")
        DISMISSED = "dismissed", _("Dismissed")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="flags", verbose_name=_("inspection")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    explanation = models.TextField(_("explanation"))
    # Blocking flags hold the inspection until the commission decides (cap, no-disturbance).
    blocking = models.BooleanField(_("needs approval"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
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
        verbose_name = _("inspection flag")
        verbose_name_plural = _("inspection flags")
        indexes = [models.Index(fields=["status", "-created_at"], name="inspectionflag_status")]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "kind"], name="inspectionflag_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.get_kind_display()}"


class SupervisionCode(models.Model):
    """The enterprise's supervision code (监管码), two secrets of ≥ 80 bits each, stored only as
    keyed hashes and rotated by staff one apart from the other:

    * the scan secret, in the QR code hung at the enterprise (public: anyone on the premises can
      photograph it), opens only the scan-to-enter page, behind an inspector's login;
    * the private link, given to the enterprise alone (its code letter), opens its own page: its
      inspections and its anonymous ratings of them.

    A code made before the two were separated has only the scan secret (what was printed on the
    wall is public): its private link is issued by staff."""

    enterprise = models.OneToOneField(
        Enterprise, on_delete=models.CASCADE, related_name="supervision_code", primary_key=True
    )
    scan_hash = models.CharField(max_length=64, unique=True, editable=False)
    scan_issued_at = models.DateTimeField(_("QR code issued at"))
    private_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    private_issued_at = models.DateTimeField(_("private link issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision code")
        verbose_name_plural = _("supervision codes")

    def __str__(self) -> str:
        return str(self.enterprise)


class InspectionRating(models.Model):
    """The enterprise's rating of one inspection: anonymous towards the department, which sees
    only aggregates of five or more ratings."""

    inspection = models.OneToOneField(
        Inspection, on_delete=models.CASCADE, related_name="rating", verbose_name=_("inspection")
    )
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    disturbed = models.BooleanField(_("the inspection disturbed the business"), default=False)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("case")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inspection rating")
        verbose_name_plural = _("inspection ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="inspectionrating_score_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.score}"


class InspectedEnterprise(Enterprise):
    """An enterprise of the registry as the commission lists it with its inspections (read only:
    the registry itself belongs to the directory)."""

    class Meta:
        proxy = True
        verbose_name = _("inspected enterprise")
        verbose_name_plural = _("inspected enterprises")


class InspectionRatingIdentityView(models.Model):
    """A record of each time a member of staff saw who rated (the rated inspection, so the
    enterprise): like a look at a complainant's identity (complaints.IdentityView), every look is
    on the record, in the list as on the rating's own page."""

    class Kind(models.TextChoices):
        LIST = "list", _("saw it in the list of ratings")
        RECORD = "record", _("opened the rating")

    rating = models.ForeignKey(
        InspectionRating, on_delete=models.CASCADE, related_name="identity_views", verbose_name=_("rating")
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewer")
    )
    viewed_at = models.DateTimeField(_("viewed at"), auto_now_add=True)
    kind = models.CharField(_("how"), max_length=10, choices=Kind.choices, default=Kind.RECORD)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = _("view of who rated an inspection")
        verbose_name_plural = _("views of who rated inspections")

    def __str__(self) -> str:
        return f"{self.rating_id} · {self.viewer}"


# Trainings and appraisal/award activities (涉企培训、评比达标表彰): their own module.
from inspections.models_activities import (  # noqa: E402, F401
    ActivityComplaint,
    ActivityFiling,
    ActivityFlag,
    ActivityKind,
    CancelledActivity,
)

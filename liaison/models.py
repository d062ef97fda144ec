"""The directory: departments complained about, the commission's offices, liaison points
and enterprise supervisors, with the user accounts that act for each of them."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.validators import CreditCodeValidator


class Department(TimeStampedModel):
    """A government department or unit that can be complained about and handle referrals."""

    class System(models.TextChoices):
        MARKET_REGULATION = "market", _("Market regulation (industry and commerce)")
        TAXATION = "tax", _("Taxation")
        QUALITY = "quality", _("Quality supervision")
        ENVIRONMENT = "environment", _("Environmental protection")
        CONSTRUCTION = "construction", _("Housing and urban construction")
        TRANSPORT = "transport", _("Transport")
        PUBLIC_SECURITY = "police", _("Public security")
        HUMAN_RESOURCES = "hr", _("Human resources and social security")
        NATURAL_RESOURCES = "land", _("Natural resources")
        ADMINISTRATIVE_SERVICE = "service", _("Administrative service centre")
        UTILITIES = "utilities", _("Public utilities")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    system = models.CharField(_("system"), max_length=20, choices=System.choices, default=System.OTHER)
    is_key = models.BooleanField(
        _("key department"),
        default=False,
        help_text=_(
            "Key departments (industry and commerce, tax, quality, environment, "
            "construction, transport) are supervised more closely."
        ),
    )
    email = models.EmailField(_("e-mail for referrals"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    head_name = models.CharField(_("head of unit"), max_length=60, blank=True)
    head_email = models.EmailField(_("head of unit e-mail"), blank=True)
    supervising_leader = models.CharField(_("supervising leader"), max_length=60, blank=True)
    supervising_leader_email = models.EmailField(_("supervising leader e-mail"), blank=True)
    language = models.CharField(
        _("e-mail language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="departments", verbose_name=_("portal users")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        permissions = [("access_department_portal", _("Can use the department portal"))]

    def __str__(self) -> str:
        return self.name


class Enterprise(TimeStampedModel):
    """An enterprise in the registry (企业库): who departments inspect and who rates inspections.
    Its risk and credit class (分级分类) sets how often one department may inspect it in a year;
    a no-disturbance enterprise (无事不扰) is inspected only with the commission's approval."""

    class RiskClass(models.TextChoices):
        A = "A", _("A: low risk, good credit")
        B = "B", _("B: ordinary")
        C = "C", _("C: elevated risk")
        D = "D", _("D: high risk, poor credit")

    # On PostgreSQL, migration 0006 adds a trigram index on UPPER(name) for the admins' name search
    # (icontains) and a b-tree on UPPER(credit_code) for their iexact; not declared here, for
    # SQLite (the embedded default) has neither (see the migration).
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[CreditCodeValidator()]
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=60, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True, db_index=True)
    risk_class = models.CharField(
        _("risk and credit class"), max_length=1, choices=RiskClass.choices, default=RiskClass.B
    )
    no_disturbance = models.BooleanField(
        _("no-disturbance enterprise (无事不扰)"),
        default=False,
        help_text=_("Inspected only with the commission's approval."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class Office(TimeStampedModel):
    """An office (厅室) of the commission; owns cases and ledger tasks."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offices_headed",
        verbose_name=_("office head"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="offices", verbose_name=_("members")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    hosts_leading_group = models.BooleanField(
        _("office of the leading group"),
        default=False,
        help_text=_(
            "The complaint centre, where the leading group has its office (seed §四.1). One office at most."
        ),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["hosts_leading_group"],
                condition=Q(hosts_leading_group=True),
                name="office_one_leading_group_office",
                violation_error_message=_("Another office is already the leading group's office."),
            ),
        ]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name


class Appointment(TimeStampedModel):
    """What liaison points and supervisors share: an appointment with a term and a login."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDED = "ended", _("Ended")

    enterprise_name = models.CharField(_("enterprise"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    appointed_on = models.DateField(_("appointed on"))
    term_ends_on = models.DateField(_("term ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("portal login"),
    )

    class Meta:
        abstract = True


class LiaisonPoint(Appointment):
    """One of the SME liaison points (中小企业联系点)."""

    sector = models.CharField(_("sector"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60)

    class Meta:
        ordering = ["enterprise_name"]
        verbose_name = _("SME liaison point")
        verbose_name_plural = _("SME liaison points")
        permissions = [("access_liaison_portal", _("Can file complaints for enterprises"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True) | Q(term_ends_on__gte=models.F("appointed_on")),
                name="liaisonpoint_term_after_appointment",
            ),
        ]

    def __str__(self) -> str:
        return self.enterprise_name


class Supervisor(Appointment):
    """An enterprise economic-environment supervisor (经济环境监督员)."""

    name = models.CharField(_("name"), max_length=60)
    position = models.CharField(_("position"), max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise supervisor")
        verbose_name_plural = _("enterprise supervisors")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True) | Q(term_ends_on__gte=models.F("appointed_on")),
                name="supervisor_term_after_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.enterprise_name})"


class LiaisonVisit(models.Model):
    """One entry of the liaison log (联系走访记录): a visit to, feedback from or a meeting with
    a liaison point or a supervisor. Exactly one of the two is named."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        FEEDBACK = "feedback", _("Feedback")
        MEETING = "meeting", _("Discussion meeting")

    # PROTECT: the log is the record of the commission's contacts; an appointment that ends is
    # marked ended, not deleted, so its history stays.
    point = models.ForeignKey(
        LiaisonPoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("liaison point"),
    )
    supervisor = models.ForeignKey(
        Supervisor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("supervisor"),
    )
    visited_on = models.DateField(_("date"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VISIT)
    summary = models.TextField(_("summary"))
    issues_raised = models.TextField(
        _("issues raised"), blank=True, help_text=_("Problems the enterprise raised, in its own words.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("liaison log entry")
        verbose_name_plural = _("liaison log")
        constraints = [
            models.CheckConstraint(
                condition=Q(point__isnull=False, supervisor__isnull=True)
                | Q(point__isnull=True, supervisor__isnull=False),
                name="liaisonvisit_point_xor_supervisor",
                violation_error_message=_("Name either a liaison point or a supervisor, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_kind_display()} · {self.point or self.supervisor}"

    def clean(self) -> None:
        errors = {}
        if self.point_id is None and self.supervisor_id is None:
            errors["point"] = _("Choose the liaison point or the supervisor this entry is about.")
        elif self.point_id is not None and self.supervisor_id is not None:
            errors["supervisor"] = _("Name either a liaison point or a supervisor, not both.")
        # The commission's calendar day, not the server's: Asia/Shanghai by default.
        if self.visited_on and self.visited_on > timezone.localdate():
            errors["visited_on"] = _("The date cannot be in the future.")
        if errors:
            raise ValidationError(errors)


class DirectoryImport(models.Model):
    """One import of the directory from Excel, by the workplace's upload or the
    ``import_directory`` command: who imported what, when, and how many rows it created and
    updated. Written by the import in the transaction that saves the rows, so there is no import
    without its record nor a record of rows that were not saved; never changed afterwards. A
    check that saves nothing (dry run) and a refused file leave no record."""

    class Kind(models.TextChoices):
        DEPARTMENTS = "departments", _("Departments")
        LIAISON_POINTS = "liaison_points", _("Liaison points")
        ENTERPRISES = "enterprises", _("Enterprises")
        INSPECTION_ITEMS = "inspection_items", _("Inspection items")

    class Source(models.TextChoices):
        WORKPLACE = "workplace", _("Upload in the staff workplace")
        COMMAND = "command", _("import_directory command")

    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("through"), max_length=10, choices=Source.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    # PROTECT, as on the case timeline: a departed user is deactivated, and the record keeps
    # saying who imported. A command has no signed-in user: the system account that ran it.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    system_user = models.CharField(
        _("system account"),
        max_length=150,
        blank=True,
        help_text=_("The operating-system account that ran the command."),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True, db_index=True)
    rows = models.PositiveIntegerField(_("rows"))
    created = models.PositiveIntegerField(_("created"))
    updated = models.PositiveIntegerField(_("updated"))
    unchanged = models.PositiveIntegerField(_("unchanged"))

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("directory import")
        verbose_name_plural = _("directory imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.imported_at:%Y-%m-%d %H:%M}"


# --- Trade associations and market intermediaries (seed §三.8) ---------------------------------


class Association(TimeStampedModel):
    """A trade association (行业协会) or market intermediary (中介组织), with the department that
    supervises its business (业务主管单位) and the one that registered it (民政 / 市场监管).
    Complaints about it go to the supervising department by default."""

    class Kind(models.TextChoices):
        TRADE_ASSOCIATION = "association", _("Trade association")
        INTERMEDIARY = "intermediary", _("Market intermediary")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[CreditCodeValidator()],
    )
    # PROTECT: a department that supervises associations is deactivated, not deleted.
    supervising_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="supervised_associations",
        verbose_name=_("supervising department"),
        help_text=_(
            "The business supervisor (业务主管单位): complaints about this body go there by default."
        ),
    )
    registration_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_associations",
        verbose_name=_("registration department"),
        help_text=_("Civil affairs (民政) or market regulation (市场监管)."),
    )
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("association or intermediary")
        verbose_name_plural = _("associations and intermediaries")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="association_credit_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def fee_document_path(instance, filename: str) -> str:
    # The stored name says nothing but the association: the upload's own name stays in the row.
    return f"fee-schedules/{instance.association_id or 0}/{uuid.uuid4().hex}.pdf"


class FeeSchedule(TimeStampedModel):
    """One item of an association's or intermediary's filed fee schedule (收费目录): what it may
    charge, how much, and on what legal basis. Seen by staff only."""

    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="fees", verbose_name=_("association")
    )
    item = models.CharField(_("item"), max_length=200)
    amount_min = models.DecimalField(_("amount from (yuan)"), max_digits=12, decimal_places=2)
    amount_max = models.DecimalField(
        _("amount up to (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty for a fixed amount."),
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    document = models.FileField(_("document (PDF)"), upload_to=fee_document_path, max_length=200, blank=True)
    document_name = models.CharField(_("document name"), max_length=200, blank=True, editable=False)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)

    class Meta:
        ordering = ["association", "item", "id"]
        verbose_name = _("fee schedule item")
        verbose_name_plural = _("fee schedules")
        constraints = [
            models.CheckConstraint(condition=Q(amount_min__gte=0), name="feeschedule_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_max__isnull=True) | Q(amount_max__gte=models.F("amount_min")),
                name="feeschedule_range_ordered",
                violation_error_message=_("The upper amount cannot be below the lower one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.association} · {self.item}"

    @property
    def amount_display(self) -> str:
        if self.amount_max is None or self.amount_max == self.amount_min:
            return f"{self.amount_min}"
        return f"{self.amount_min}–{self.amount_max}"

    def clean(self) -> None:
        if self.amount_max is not None and self.amount_min is not None and self.amount_max < self.amount_min:
            raise ValidationError({"amount_max": _("The upper amount cannot be below the lower one.")})


# --- The leading group (领导小组, seed §四.1) ----------------------------------------------------


class LeadingGroupMember(TimeStampedModel):
    """A member of the leading group for the optimisation of the economic environment: a deputy
    secretary as head (组长), deputies (副组长) and members (成员) from the offices. Its office is
    the complaint centre (``Office.hosts_leading_group``). The head and deputies are the leaders
    who receive the escalation ladder's top step; every member with an address receives the
    dispatch-meeting pack."""

    class Role(models.TextChoices):
        HEAD = "head", _("Head (组长)")
        DEPUTY = "deputy", _("Deputy head (副组长)")
        MEMBER = "member", _("Member (成员)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("staff account"),
        help_text=_("Optional: a member without an account is named with an e-mail address."),
    )
    name = models.CharField(_("name"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    role = models.CharField(
        _("role"), max_length=10, choices=Role.choices, default=Role.MEMBER, db_index=True
    )
    office = models.ForeignKey(
        Office,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leading_group_members",
        verbose_name=_("office"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("leading group member")
        verbose_name_plural = _("leading group")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(name=""),
                name="leadinggroupmember_named",
                violation_error_message=_("Choose a staff account or give the member's name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.user_id:
            return self.user.get_full_name() or self.user.username
        return ""

    @property
    def address(self) -> str:
        """The member's own e-mail, else their staff account's."""
        if self.email:
            return self.email
        return self.user.email if self.user_id and self.user.email else ""

    def clean(self) -> None:
        if self.user_id is None and not self.name.strip():
            raise ValidationError({"name": _("Choose a staff account or give the member's name.")})

"""Openness checks (政务公开监督检查, seed §三.4): a check campaign by census, spot check, mutual
check or unannounced visit (普查/抽查/互查/暗访) over some units, a checklist on the seed's six
criteria, the inspectors' findings per unit and item with their evidence, the units' rectification
of failed items (on the escalation ladder) and the demonstration sites (示范点) that lead."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casework.models import Case
from core.models import Deadline
from liaison.models import Department


class Criterion(models.TextChoices):
    """The six criteria of seed §三.4, in the seed's order."""

    CONTENT = "content", _("Content complete (内容全面)")
    FORM = "form", _("Form convenient (形式便民)")
    TIME = "time", _("Time prompt (时间及时)")
    PROCEDURE = "procedure", _("Procedure rigorous (程序严密)")
    RULES = "rules", _("Rules sound (制度健全)")
    SATISFACTION = "satisfaction", _("People satisfied (群众满意)")


class OpennessCampaign(models.Model):
    """One round of checks: how (method), when (period) and whom (units)."""

    class Method(models.TextChoices):
        CENSUS = "census", _("Census (普查)")
        SPOT = "spot", _("Spot check (抽查)")
        MUTUAL = "mutual", _("Mutual check (互查)")
        UNANNOUNCED = "unannounced", _("Unannounced visit (暗访)")

    title = models.CharField(_("title"), max_length=200)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    units = models.ManyToManyField(
        Department, related_name="openness_campaigns", verbose_name=_("units checked")
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("openness check campaign")
        verbose_name_plural = _("openness check campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="opennesscampaign_period"
            )
        ]
        permissions = [
            ("record_openness_finding", _("Can record openness check findings")),
            ("decide_openness_rectification", _("Can accept or return rectifications of openness findings")),
        ]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """One thing the inspectors look at, under one of the six criteria."""

    campaign = models.ForeignKey(
        OpennessCampaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("campaign")
    )
    criterion = models.CharField(_("criterion"), max_length=12, choices=Criterion.choices)
    text = models.CharField(_("what is checked"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["campaign", "order", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text


class OpennessFinding(models.Model):
    """What the inspectors found on one item at one unit; a failed item awaits the unit's
    rectification (整改) by its deadline, and a serious failure also opens a case."""

    class Result(models.TextChoices):
        PASS = "pass", pgettext_lazy("openness check result", "Pass")
        FAIL = "fail", pgettext_lazy("openness check result", "Fail")
        SERIOUS = "serious", pgettext_lazy("openness check result", "Serious failure")

    class Status(models.TextChoices):
        NONE = "none", _("Nothing to rectify")
        OPEN = "open", _("Awaiting the unit's rectification")
        ANSWERED = "answered", _("Rectified: awaiting the commission's review")
        RETURNED = "returned", _("Rectification returned as insufficient")
        ACCEPTED = "accepted", _("Rectification accepted")

    campaign = models.ForeignKey(
        OpennessCampaign, on_delete=models.PROTECT, related_name="findings", verbose_name=_("campaign")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="openness_findings",
        verbose_name=_("unit"),
        db_index=False,  # the (department, status) index serves it
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="findings", verbose_name=_("checklist item")
    )
    # Copied from the item so results per criterion need no join.
    criterion = models.CharField(_("criterion"), max_length=12, choices=Criterion.choices)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    note = models.TextField(_("what was found"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NONE)
    deadline = models.ForeignKey(
        Deadline,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("rectify by"),
    )
    rectification = models.TextField(_("the unit's rectification"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("answered by"),
    )
    return_reason = models.TextField(_("why the rectification was returned"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("case")
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("openness finding")
        verbose_name_plural = _("openness findings")
        indexes = [
            models.Index(fields=["department", "status"], name="opennessfinding_dept_status"),
            models.Index(fields=["campaign", "department", "criterion"], name="opennessfinding_results"),
            models.Index(fields=["status", "result"], name="opennessfinding_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "department", "item"], name="opennessfinding_once"),
            models.CheckConstraint(
                condition=models.Q(result="pass", status="none") | ~models.Q(result="pass"),
                name="opennessfinding_pass_nothing_to_rectify",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} · {self.item_id} · {self.get_result_display()}"

    @property
    def failed(self) -> bool:
        return self.result != self.Result.PASS


class FindingEvidence(models.Model):
    """A file the inspectors kept (a photo, a screenshot, a document), cleaned by the project's
    upload checks and stored under a random name in private storage; streamed to staff only."""

    finding = models.ForeignKey(
        OpennessFinding, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("finding")
    )
    file = models.FileField(_("file"), max_length=200)
    display_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.display_name


class DemonstrationSite(models.Model):
    """A unit marked a demonstration site (示范点) in a campaign: listed publicly, to lead."""

    campaign = models.ForeignKey(
        OpennessCampaign,
        on_delete=models.CASCADE,
        related_name="demonstration_sites",
        verbose_name=_("campaign"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="demonstration_sites", verbose_name=_("unit")
    )
    citation = models.TextField(_("why it leads (public)"), max_length=1000)
    designated_on = models.DateField(_("designated on"))
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("designated by"),
    )

    class Meta:
        ordering = ["-designated_on", "id"]
        verbose_name = _("demonstration site")
        verbose_name_plural = _("demonstration sites")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "department"], name="demonstrationsite_once"),
        ]

    def __str__(self) -> str:
        return f"{self.department} ({self.campaign})"

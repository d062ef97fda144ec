"""Shared reads of the openness checks: what a unit sees on its portal, the results per unit and
criterion (pass rates) that the admin, the API and the dashboard read, the public list of
demonstration sites."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from appraisal.models import Criterion, DemonstrationSite, OpennessCampaign, OpennessFinding
from casework.selectors import departments_of


def department_findings(viewer) -> QuerySet[OpennessFinding]:
    """The failed findings on the units ``viewer`` acts for: a passed item asks nothing of them.
    Who recorded a finding is never shown to a unit, so it is not read here."""
    return (
        OpennessFinding.objects.filter(department_id__in=departments_of(viewer))
        .exclude(result=OpennessFinding.Result.PASS)
        .select_related("campaign", "item", "department", "deadline")
    )


def demonstration_sites_public() -> QuerySet[DemonstrationSite]:
    """Every demonstration site, newest campaign first: unit, campaign, method, citation."""
    return DemonstrationSite.objects.select_related("campaign", "department").order_by(
        "-campaign__starts_on", "campaign_id", "department__name"
    )


@dataclass
class Rate:
    checked: int = 0
    passed: int = 0
    failed: int = 0
    serious: int = 0

    @property
    def rate(self) -> float | None:
        """The share of items passed, in percent (None when nothing was checked)."""
        return round(100 * self.passed / self.checked, 1) if self.checked else None

    def add(self, other: Rate) -> None:
        self.checked += other.checked
        self.passed += other.passed
        self.failed += other.failed
        self.serious += other.serious


@dataclass
class UnitResults:
    department_id: int
    name: str
    criteria: dict[str, Rate] = field(default_factory=dict)
    total: Rate = field(default_factory=Rate)
    demonstration: bool = False


@dataclass
class Results:
    units: list[UnitResults]
    criteria: dict[str, Rate]  # every unit together, per criterion
    total: Rate

    @property
    def criterion_choices(self) -> list[tuple[str, str]]:
        return list(Criterion.choices)


def openness_results(*, campaign: OpennessCampaign | None = None, start=None, end=None) -> Results:
    """Pass rates per unit and criterion, in ONE grouped query (plus one for the demonstration
    sites): of one campaign, or of the findings recorded in [start, end)."""
    findings = OpennessFinding.objects.all()
    sites = DemonstrationSite.objects.all()
    if campaign is not None:
        findings = findings.filter(campaign=campaign)
        sites = sites.filter(campaign=campaign)
    if start is not None:
        findings = findings.filter(recorded_at__gte=start)
    if end is not None:
        findings = findings.filter(recorded_at__lt=end)
    R = OpennessFinding.Result
    rows = (
        findings.order_by()
        .values_list("department_id", "department__name", "criterion")
        .annotate(
            checked=Count("pk"),
            passed=Count("pk", filter=Q(result=R.PASS)),
            failed=Count("pk", filter=Q(result=R.FAIL)),
            serious=Count("pk", filter=Q(result=R.SERIOUS)),
        )
    )
    demonstration = set(sites.values_list("department_id", flat=True))
    units: dict[int, UnitResults] = {}
    criteria: dict[str, Rate] = defaultdict(Rate)
    total = Rate()
    for department_id, name, criterion, checked, passed, failed, serious in rows:
        unit = units.setdefault(
            department_id,
            UnitResults(department_id, name, demonstration=department_id in demonstration),
        )
        rate = Rate(checked, passed, failed, serious)
        unit.criteria[criterion] = rate
        unit.total.add(rate)
        criteria[criterion].add(rate)
        total.add(rate)
    ordered = sorted(units.values(), key=lambda unit: (-(unit.total.rate or 0), unit.name))
    return Results(
        units=ordered, criteria={c: criteria.get(c, Rate()) for c in Criterion.values}, total=total
    )

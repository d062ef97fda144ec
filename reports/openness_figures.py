"""Openness checks (政务公开) in the figures: pass rates per unit and per criterion for the
leaders' dashboard and the dispatch pack, per criterion only (aggregates) on the public /figures/.

A finding counts in the quarter it was recorded (Shanghai clock). The cost is fixed: the grouped
query of ``appraisal.openness.selectors.openness_results`` plus one for the demonstration sites
and one for the campaigns, whatever the number of findings. A module beside the three rooms of
reports, as inspection_figures is."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from appraisal.models import Criterion, DemonstrationSite, OpennessCampaign
from appraisal.openness.selectors import Rate, Results, UnitResults, openness_results
from core.periods import Period
from reports.xlsx import Cell, Sheet

VIEW_PERMISSION = "appraisal.view_opennessfinding"


@dataclass
class OpennessFigures:
    period: Period
    results: Results
    campaigns: int  # campaigns whose period overlaps the quarter
    demonstration_sites: int  # named in the quarter

    @property
    def criteria(self) -> list[tuple[str, str, Rate]]:
        return [(value, str(label), self.results.criteria[value]) for value, label in Criterion.choices]

    @property
    def labels(self) -> list[str]:
        return [str(label) for _value, label in Criterion.choices]

    @property
    def printable_rows(self) -> list[dict]:
        """The printable pack's table: each unit's pass rates as text, the whole last."""
        rows = [
            {
                "name": unit.name,
                "demonstration": unit.demonstration,
                "rates": [rate_text(rate) for rate in rates],
                "total": rate_text(unit.total),
            }
            for unit, rates in self.unit_rows()
        ]
        return rows

    @property
    def printable_totals(self) -> dict:
        return {
            "rates": [rate_text(rate) for _value, _label, rate in self.criteria],
            "total": rate_text(self.results.total),
        }

    def unit_rows(self) -> list[tuple[UnitResults, list[Rate | None]]]:
        return [
            (unit, [unit.criteria.get(value) for value in Criterion.values]) for unit in self.results.units
        ]


def openness_figures(period: Period) -> OpennessFigures:
    """The quarter's openness figures: three statements."""
    results = openness_results(start=period.start, end=period.end)
    campaigns = OpennessCampaign.objects.filter(
        Q(starts_on__lte=period.last_day) & Q(ends_on__gte=period.first_day)
    ).count()
    sites = DemonstrationSite.objects.filter(
        designated_on__gte=period.first_day, designated_on__lte=period.last_day
    ).count()
    return OpennessFigures(period=period, results=results, campaigns=campaigns, demonstration_sites=sites)


def rate_text(rate: Rate | None) -> str:
    if rate is None or not rate.checked:
        return "—"
    return f"{rate.rate} % ({rate.passed}/{rate.checked})"


def findings_url(*, department: int | None = None, criterion: str | None = None) -> str:
    """The admin list of findings behind a figure (staff only)."""
    query = {}
    if department is not None:
        query["department__id__exact"] = department
    if criterion is not None:
        query["criterion__exact"] = criterion
    url = reverse("admin:appraisal_opennessfinding_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def openness_context(period: Period, *, public: bool) -> dict:
    """The openness section of the dashboard (per unit and criterion, with links to the
    findings) or of the public figures (per criterion only, no unit, no link)."""
    figures = openness_figures(period)
    rows = []
    if not public:
        for unit, rates in figures.unit_rows():
            rows.append(
                {
                    "name": unit.name,
                    "demonstration": unit.demonstration,
                    "url": findings_url(department=unit.department_id),
                    "rates": [rate_text(rate) for rate in rates],
                    "total": rate_text(unit.total),
                }
            )
    return {
        "openness": figures,
        "openness_criteria": [
            {"label": label, "rate": rate_text(rate), "url": "" if public else findings_url(criterion=value)}
            for value, label, rate in figures.criteria
        ],
        "openness_total": rate_text(figures.results.total),
        "openness_units": rows,
        "openness_labels": [str(label) for _value, label in Criterion.choices],
    }


# --- The dispatch pack's sheet ------------------------------------------------------------------


def _pack_rows(figures: OpennessFigures) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for unit, rates in figures.unit_rows():
        name = unit.name + (" " + _("(demonstration site)") if unit.demonstration else "")
        rows.append(
            [name, *(rate.rate if rate and rate.checked else None for rate in rates), unit.total.rate]
        )
    return rows


def openness_pack_sheet(figures: OpennessFigures | None, *, heading: list[str]) -> Sheet:
    """Pass rates (percent) per unit and criterion, the whole as the footer."""
    return Sheet(
        title=_("Openness checks"),
        heading=heading,
        header=[_("Unit"), *(str(label) for _value, label in Criterion.choices), _("All criteria")],
        rows=_pack_rows(figures) if figures else [],
        footer=[
            _("All units"),
            *(rate.rate if rate.checked else None for _value, _label, rate in figures.criteria),
            figures.results.total.rate,
        ]
        if figures
        else None,
        widths=(28, 14, 14, 14, 14, 14, 14, 14),
    )

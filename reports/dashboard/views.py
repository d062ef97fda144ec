"""The leaders' dashboard (/dashboard/, staff) and the public figures (/figures/, no login).

Both read ``reports.dashboard``; the dashboard links every number to the admin list of exactly
the rows it counts, the public page shows aggregates only: no drill-down, no person's name, no
complaint text.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from appraisal.campaigns.selectors import FREE_TEXT_MIN_ANSWERS, closed_campaign_figures
from core.exports import export_job_create
from core.periods import Period, Quarter
from reports import inspection_figures
from reports.activity_figures import activity_context
from reports.dashboard import charts
from reports.dashboard.assessment import INDICATOR_TEXTS
from reports.dashboard.assessment_selectors import assessment_results, grade_counts, published_assessments
from reports.dashboard.assessment_services import assessment_result_of
from reports.dashboard.assessment_tables import definitions as assessment_definitions
from reports.dashboard.assessment_tables import indicator_labels, result_rows
from reports.dashboard.exports import DASHBOARD_EXPORT, LEAGUE_EXPORT
from reports.dashboard.figures import NONE, ON_TIME_RATE, SATISFACTION_RATE
from reports.dashboard.selectors import DashboardReport, dashboard_report, public_dashboard_report
from reports.dashboard.tables import (
    CATEGORY_COLUMNS,
    CHANNEL_COLUMNS,
    LEAGUE_COLUMNS,
    PUBLIC_LEAGUE_COLUMNS,
    Row,
    busiest_departments,
    category_rows,
    channel_rows,
    column_labels,
    drilldown_url,
    inspection_column_labels,
    inspection_league_rows,
    inspection_lines,
    league_rows,
    league_size,
    line,
    public_lines,
    sections,
    trend_series,
)
from reports.directory_figures import directory_context
from reports.openness_figures import openness_context

# Until a dedicated permission exists (e.g. casework.view_dashboard, given to leaders and office
# heads), whoever may see the case list may see its figures.
DASHBOARD_PERMISSION = "casework.view_dashboard"
QUARTERS_OFFERED = 12
KPI_KEYS = ["received", "accepted", "concluded", ON_TIME_RATE, "open_late", SATISFACTION_RATE]


# The page lists the first and the last ranked departments (and every key department); the
# workbook and ?league=all list them all. The chart shows the busiest units.
LEAGUE_ENDS = 20
CHART_DEPARTMENTS = 15


def quarter_from_request(request) -> tuple[Period, str]:
    """The quarter asked for (``?quarter=2026Q3``), or the current one with the reason why not."""
    current = Quarter.current()
    text = request.GET.get("quarter", "").strip()
    if not text:
        return current, ""
    try:
        quarter = Quarter.parse(text)
    except ValidationError as error:
        return current, " ".join(error.messages)
    if quarter > current:
        return current, _("%(quarter)s has not begun yet; the current quarter is shown.") % {
            "quarter": quarter.display
        }
    return quarter, ""


def quarter_choices(selected: Period) -> list[Period]:
    current = Quarter.current()
    choices = [current.shifted(-n) for n in range(QUARTERS_OFFERED)]
    if selected not in choices:
        choices.append(selected)
    return choices


def _bars(rows: list[Row], key: str, *, keep_key_departments: bool = False) -> list[charts.Bar]:
    bars = [
        charts.Bar(row.label, row.cells[key].value or 0, row.cells[key].text, row.is_key)
        for row in rows
        if row.cells[key].value or (keep_key_departments and row.is_key)
    ]
    return sorted(bars, key=lambda bar: (-bar.value, bar.label))


def _charts(report: DashboardReport, categories: list[Row], departments: list[Row], channels: list[Row]):
    quarter = report.quarter.display
    periods, series = trend_series(report)
    return {
        "trend": charts.trend_chart(
            chart_id="chart-trend",
            title=_("Complaints and cases over three quarters"),
            periods=periods,
            series=series,
        ),
        "categories": charts.bar_chart(
            chart_id="chart-categories",
            title=_("Complaints received by category, %(quarter)s") % {"quarter": quarter},
            bars=_bars(categories, "received"),
        ),
        "departments": charts.bar_chart(
            chart_id="chart-departments",
            title=_("Complaints received by unit complained about, %(quarter)s") % {"quarter": quarter},
            bars=_bars(departments, "received", keep_key_departments=True),
            note=_("★ marks a key department."),
        ),
        "channels": charts.bar_chart(
            chart_id="chart-channels",
            title=_("Complaints received by channel, %(quarter)s") % {"quarter": quarter},
            bars=_bars(channels, "received"),
        ),
    }


@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
@never_cache
@require_GET
def dashboard(request):
    quarter, problem = quarter_from_request(request)
    report = dashboard_report(quarter)
    categories = category_rows(report, link=drilldown_url)
    whole_league = request.GET.get("league") == "all"
    departments = league_rows(report, link=drilldown_url, ends=None if whole_league else LEAGUE_ENDS)
    channels = channel_rows(report, link=drilldown_url)
    context = {
        "report": report,
        "problem": problem,
        "quarters": quarter_choices(quarter),
        "kpis": [line(report, key, link=drilldown_url) for key in KPI_KEYS],
        "sections": sections(report, link=drilldown_url),
        "categories": categories,
        "category_columns": list(zip(CATEGORY_COLUMNS, column_labels(CATEGORY_COLUMNS), strict=True)),
        "departments": departments,
        "league_columns": list(zip(LEAGUE_COLUMNS, column_labels(LEAGUE_COLUMNS), strict=True)),
        "channels": channels,
        "channel_columns": list(zip(CHANNEL_COLUMNS, column_labels(CHANNEL_COLUMNS), strict=True)),
        "charts": _charts(report, categories, busiest_departments(report, limit=CHART_DEPARTMENTS), channels),
        "league_size": league_size(report),
        "league_listed": sum(1 for row in departments if row.value != NONE),
        "whole_league": whole_league,
        **_inspection_context(
            report, public=False, ratings=request.user.has_perm("inspections.view_inspectionrating")
        ),
        **_assessment_context(quarter),
        **openness_context(quarter, public=False),
        **activity_context(quarter, public=False),  # trainings and award activities (issue 16)
        **_appraisal_context(quarter, public=False),
        **directory_context(quarter, public=False),  # associations and the hotline (issue 16)
    }
    return render(request, "reports/dashboard/dashboard.html", context)


def _assessment_context(quarter: Period) -> dict:
    """The efficiency assessment's section: grades counted, the units graded fail and the lowest
    ranked, each with its total; the assessment page has every figure."""
    results, published = assessment_results(quarter, cached=True)
    ranked = [result for result in results if result.rank is not None]
    return {
        "assessment_published": published,
        "assessment_grades": grade_counts(results),
        "assessment_lowest": ranked[-5:][::-1],
        "assessment_definitions": assessment_definitions(),
    }


def _appraisal_context(quarter: Period, *, public: bool) -> dict:
    """The democratic appraisal campaigns closed in the quarter, per department: answers and mean
    score. The public page shows a mean only from FREE_TEXT_MIN_ANSWERS answers (aggregates of
    many), and no link."""
    rows = closed_campaign_figures(first_day=quarter.first_day, last_day=quarter.last_day)
    return {
        "appraisal_rows": [
            {
                "row": row,
                "mean": row.mean if not public or row.answers >= FREE_TEXT_MIN_ANSWERS else None,
                "link": "" if public else reverse("admin:appraisal_campaign_change", args=[row.campaign_id]),
            }
            for row in rows
        ],
        "appraisal_public": public,
    }


def _inspection_context(report: DashboardReport, *, public: bool, ratings: bool = False) -> dict:
    """The inspections section: the public page has aggregates only (no links, no department's
    ratings below the minimum, no enterprise)."""
    columns = inspection_figures.PUBLIC_LEAGUE_COLUMNS if public else inspection_figures.LEAGUE_COLUMNS
    return {
        "inspection_lines": inspection_lines(
            report,
            keys=inspection_figures.PUBLIC_LINES if public else None,
            link=not public,
            ratings=ratings and not public,
        ),
        "inspection_league": inspection_league_rows(report, columns=columns, link=not public),
        "inspection_league_columns": list(zip(columns, inspection_column_labels(columns), strict=True)),
    }


def export_started(request, *, kind: str, period: Period) -> HttpResponseRedirect:
    """The workbook is written in the background (core.exports); the user follows it in the
    staff workplace's list of their exports."""
    export_job_create(
        kind=kind, owner=request.user, filters={period.kind: period.label}, description=period.label
    )
    messages.success(
        request, _("Your export has started. It appears below; this page refreshes until the file is ready.")
    )
    return HttpResponseRedirect(reverse("admin:core_exportjob_changelist"))


@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
@require_POST
def dashboard_xlsx(request):
    quarter, _problem = quarter_from_request(request)
    return export_started(request, kind=DASHBOARD_EXPORT, period=quarter)


@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
@require_POST
def league_xlsx(request):
    quarter, _problem = quarter_from_request(request)
    return export_started(request, kind=LEAGUE_EXPORT, period=quarter)


@require_GET
def public_figures(request):
    """Aggregates only (政务公开): counts by category, channel and department, on-time and
    satisfaction rates. Built from the same figures, without drill-down links."""
    quarter, problem = quarter_from_request(request)
    report = public_dashboard_report(quarter)
    categories = category_rows(report, columns=["received"])
    departments = league_rows(report, columns=PUBLIC_LEAGUE_COLUMNS)
    channels = channel_rows(report, columns=["received"])
    context = {
        "report": report,
        "public_seconds": settings.PUBLIC_FIGURES_SECONDS,
        "problem": problem,
        "quarters": quarter_choices(quarter),
        "lines": public_lines(report),
        "categories": categories,
        "departments": departments,
        "league_columns": list(zip(PUBLIC_LEAGUE_COLUMNS, column_labels(PUBLIC_LEAGUE_COLUMNS), strict=True)),
        "channels": channels,
        "charts": _charts(report, categories, departments, channels),
        **_inspection_context(report, public=True),
        **_public_ranking_context(quarter),
        **openness_context(quarter, public=True),
        **activity_context(quarter, public=True),  # trainings and award activities (issue 16)
        **_appraisal_context(quarter, public=True),
        **directory_context(quarter, public=True),  # associations and the hotline (issue 16)
    }
    return render(request, "reports/figures/figures.html", context)


def _public_ranking_context(quarter: Period) -> dict:
    """The published efficiency assessment of the quarter (aggregates only: departments' figures,
    scores and grades, no record, no applicant, no complaint). Nothing before it is published."""
    published = published_assessments(quarter)
    if not published:
        return {"assessment_ranking": None}
    return {
        "assessment_ranking": result_rows([assessment_result_of(row) for row in published], link=False),
        "assessment_indicator_labels": indicator_labels(),
        "assessment_definitions": [(str(label), str(text)) for label, text in INDICATOR_TEXTS.values()],
    }

"""The dashboard's workbooks as background jobs (core.exports): the whole dashboard and the
league table of a quarter, and the efficiency bulletin of a month. The page's button records
the period it shows; the worker writes the same workbook the page would have sent."""

from django.utils.translation import gettext_lazy as _

from core.exports import ExportKind, ExportRun
from core.periods import MONTH, Period, Quarter
from reports.dashboard.assessment import assessment_compute
from reports.dashboard.assessment_tables import BulletinWorkbook
from reports.dashboard.selectors import dashboard_report
from reports.dashboard.workbooks import DashboardWorkbook, LeagueTableWorkbook

DASHBOARD_EXPORT = "reports.dashboard"
LEAGUE_EXPORT = "reports.league_table"
BULLETIN_EXPORT = "reports.bulletin"
DASHBOARD_EXPORT_PERMISSION = "casework.view_dashboard"


def _write(run: ExportRun, workbook) -> str:
    run.progress(0, 1)
    run.target.write(workbook.generate())
    run.progress(1, 1)
    return workbook.filename


def dashboard_export_write(run: ExportRun) -> str:
    return _write(run, DashboardWorkbook(dashboard_report(Quarter.parse(run.filters["quarter"]))))


def league_export_write(run: ExportRun) -> str:
    return _write(run, LeagueTableWorkbook(dashboard_report(Quarter.parse(run.filters["quarter"]))))


def bulletin_export_write(run: ExportRun) -> str:
    month = Period.parse(run.filters["month"], kinds=(MONTH,))
    return _write(run, BulletinWorkbook(month, assessment_compute(month)))


def dashboard_export_kinds() -> list[ExportKind]:
    return [
        ExportKind(
            DASHBOARD_EXPORT, _("Leaders' dashboard"), DASHBOARD_EXPORT_PERMISSION, dashboard_export_write
        ),
        ExportKind(LEAGUE_EXPORT, _("League table"), DASHBOARD_EXPORT_PERMISSION, league_export_write),
        ExportKind(
            BULLETIN_EXPORT, _("Efficiency bulletin"), DASHBOARD_EXPORT_PERMISSION, bulletin_export_write
        ),
    ]

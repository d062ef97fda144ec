"""The work ledger's export as a background job (core.exports): the tasks the list showed (its
filters and search) or the tasks selected on it, written by LedgerWorkbook in the worker."""

from collections.abc import Iterable, Iterator

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.export_requests import ExportFiltersInvalid, changelist_queryset
from core.exports import ExportFailed, ExportKind, ExportRun
from reports.ledger.selectors import ledger_export_progress, ledger_export_tasks
from reports.ledger.workbooks import LedgerWorkbook
from reports.models import LedgerTask
from reports.xlsx import write_workbook

LEDGER_EXPORT = "reports.ledger"
LEDGER_EXPORT_PERMISSION = "reports.view_ledgertask"


def _counted(rows: Iterable, run: ExportRun, counter: list[int], total: int) -> Iterator:
    for row in rows:
        yield row
        counter[0] += 1
        if counter[0] % run.batch == 0:
            run.progress(counter[0], total)


def ledger_export_write(run: ExportRun) -> str:
    model_admin = admin.site.get_model_admin(LedgerTask)
    if "ids" in run.filters:
        # The selected rows, still only those the list would show this user.
        base = changelist_queryset(model_admin, user=run.owner, query="")
        tasks = base.filter(pk__in=[int(pk) for pk in run.filters["ids"]])
    else:
        try:
            tasks = changelist_queryset(model_admin, user=run.owner, query=run.filters.get("query", ""))
        except ExportFiltersInvalid:
            raise ExportFailed(gettext("The filters of this export are no longer valid.")) from None
    tasks = ledger_export_tasks(tasks)
    progress = ledger_export_progress(tasks)
    total = tasks.count() + progress.count()
    run.progress(0, total)
    workbook = LedgerWorkbook(tasks=tasks, progress=progress)
    counter = [0]
    sheets = workbook.sheets()
    for sheet in sheets:
        sheet.rows = _counted(sheet.rows, run, counter, total)
    write_workbook(sheets, run.target)
    run.progress(counter[0], total)
    return workbook.filename


def ledger_export_kind() -> ExportKind:
    return ExportKind(
        key=LEDGER_EXPORT,
        label=_("Work ledger"),
        permission=LEDGER_EXPORT_PERMISSION,
        write=ledger_export_write,
    )

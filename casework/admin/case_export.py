"""The case list's export as a background job (core.exports): the button records the list's
filters and search, and the worker writes casework.exports' workbook from the same changelist
rebuilt for the same user, masked by that user's permissions."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.exports import case_list_workbook_write
from casework.models import Case
from core.export_requests import ExportFiltersInvalid, changelist_queryset
from core.exports import ExportFailed, ExportKind, ExportRun

CASE_EXPORT = "casework.cases"
CASE_EXPORT_PERMISSION = "casework.view_case"


def case_export_write(run: ExportRun) -> str:
    model_admin = admin.site.get_model_admin(Case)
    try:
        queryset = changelist_queryset(model_admin, user=run.owner, query=run.filters.get("query", ""))
    except ExportFiltersInvalid:
        raise ExportFailed(gettext("The filters of this export are no longer valid.")) from None
    case_list_workbook_write(
        queryset, viewer=run.owner, target=run.target, progress=run.progress, batch=run.batch
    )
    return f"cases-{timezone.localdate():%Y%m%d}.xlsx"


def case_export_kind() -> ExportKind:
    return ExportKind(
        key=CASE_EXPORT, label=_("Case list"), permission=CASE_EXPORT_PERMISSION, write=case_export_write
    )

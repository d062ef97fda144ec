"""What the apps' export buttons share: the changelist's filters captured from the request, the
changelist's queryset rebuilt in the worker for the same user, and the answer to the button
(the job is created, the user is sent to their list of exports)."""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext

from core.exports import export_job_create


def changelist_query(request) -> str:
    """The query string of the changelist an export was asked from (its filters and search)."""
    return request.GET.urlencode()


def changelist_queryset(model_admin, *, user, query: str):
    """The queryset the changelist showed ``user`` for ``query``, rebuilt in the worker: the same
    filters, search and visibility rule as the page, so the file holds what the list held.
    Raises ExportFiltersInvalid for filters the list itself would refuse."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query)
    request.path = request.path_info = reverse(
        f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist"
    )
    request.META = {"SERVER_NAME": "export", "SERVER_PORT": "80", "QUERY_STRING": query}
    request.user = user
    try:
        return model_admin.get_changelist_instance(request).get_queryset(request)
    except IncorrectLookupParameters as error:
        raise ExportFiltersInvalid from error


class ExportFiltersInvalid(Exception):
    pass


def export_start(request, *, kind: str, filters: dict, description: str = "") -> HttpResponseRedirect:
    """Create the export job for the request's user and send them to their list of exports."""
    export_job_create(kind=kind, owner=request.user, filters=filters, description=description)
    messages.success(
        request,
        gettext("Your export has started. It appears below; this page refreshes until the file is ready."),
    )
    return HttpResponseRedirect(reverse("admin:core_exportjob_changelist"))

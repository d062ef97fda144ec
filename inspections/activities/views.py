"""The department's pages (/dept/activities/): its filings, the filing form, one filing with the
commission's decision. Form -> service -> redirect; which filings a user sees is decided by
``activity_list_for_department`` alone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework.selectors import departments_of
from core.errors import form_add_service_error
from inspections.activities.forms import ActivityFilingForm
from inspections.activities.selectors import activity_list_for_department
from inspections.activities.services import FILE_PERMISSION, activity_file
from inspections.models import ActivityFiling

PORTAL = "liaison.access_department_portal"
PAGE_SIZE = 25
ALL = "all"


@login_required
@permission_required(PORTAL, raise_exception=True)
@never_cache
@require_GET
def activity_list(request):
    filings = activity_list_for_department(viewer=request.user)
    counts = dict(filings.order_by().values_list("status").annotate(count=Count("pk")))
    filters = [(ALL, gettext_lazy("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in ActivityFiling.Status.choices
    ]
    status = request.GET.get("status") or ALL
    if status not in {value for value, _label, _count in filters}:
        status = ALL
    if status != ALL:
        filings = filings.filter(status=status)
    page = Paginator(filings.order_by("-starts_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "status": status,
        "page": page,
        "may_file": request.user.has_perm(FILE_PERMISSION),
        "several_departments": len(departments_of(request.user)) > 1,
    }
    return render(request, "inspections/activities/dept_list.html", context)


@login_required
@permission_required([PORTAL, FILE_PERMISSION], raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def activity_new(request):
    form = ActivityFilingForm(request.POST or None, department_ids=departments_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            filing = activity_file(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Filed: the commission will approve or refuse it."))
            return redirect("activity_filing:detail", pk=filing.pk)
    return render(request, "inspections/activities/dept_form.html", {"form": form})


@login_required
@permission_required(PORTAL, raise_exception=True)
@never_cache
@require_GET
def activity_detail(request, pk: int):
    filing = get_object_or_404(activity_list_for_department(viewer=request.user), pk=pk)
    return render(request, "inspections/activities/dept_detail.html", {"filing": filing})

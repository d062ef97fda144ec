"""The department's inspection pages (/dept/inspections/): its filings, the filing form and the
result of a filing with each flag's explanation. Form -> service -> redirect; which inspections a
user sees is decided by ``inspection_list_for_department`` alone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework.selectors import departments_of
from core.errors import form_add_service_error
from inspections.filing_selectors import flags_for_department, inspection_list_for_department
from inspections.forms_filing import EnterpriseSearchForm, InspectionFilingForm
from inspections.models import Inspection, InspectionFlag
from inspections.services.filing import inspection_file
from liaison.models import Enterprise

PORTAL = "liaison.access_department_portal"
FILE = "inspections.file_inspection"
PAGE_SIZE = 25
SEARCH_RESULTS = 5
ALL = "all"


@login_required
@permission_required(PORTAL, raise_exception=True)
@never_cache
@require_GET
def inspection_list(request):
    inspections = inspection_list_for_department(viewer=request.user)
    counts = dict(
        Inspection.objects.filter(department_id__in=departments_of(request.user))
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
    )
    filters = [(ALL, gettext_lazy("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in Inspection.Status.choices
    ]
    status = request.GET.get("status") or ALL
    if status not in {value for value, _label, _count in filters}:
        status = ALL
    if status != ALL:
        inspections = inspections.filter(status=status)
    page = Paginator(inspections.order_by("-planned_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "status": status,
        "page": page,
        "may_file": request.user.has_perm(FILE),
        "several_departments": len(departments_of(request.user)) > 1,
    }
    return render(request, "inspections/department/filing_list.html", context)


@login_required
@permission_required([PORTAL, FILE], raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def inspection_new(request):
    department_ids = departments_of(request.user)
    search = EnterpriseSearchForm(request.GET or None)
    found = []
    if search.is_valid() and search.cleaned_data["q"].strip():
        query = search.cleaned_data["q"].strip()
        found = list(
            Enterprise.objects.filter(
                Q(credit_code="".join(query.split()).upper()) | Q(name__icontains=query), is_active=True
            ).order_by("name", "pk")[:SEARCH_RESULTS]
        )
    initial = {}
    if request.GET.get("enterprise"):
        initial["enterprise"] = request.GET["enterprise"][:18]
    form = InspectionFilingForm(request.POST or None, initial=initial, department_ids=department_ids)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = inspection_file(
                department=data["department"],
                unit=data["unit"],
                enterprise=data["enterprise"],
                items=list(data["items"]),
                kind=data["kind"],
                legal_basis=data["legal_basis"],
                planned_on=data["planned_on"],
                officers=form.officer_list(),
                actor=request.user,
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            if inspection.status == Inspection.Status.FILED:
                messages.success(request, _("Filed: the inspection may proceed on the planned date."))
            else:
                messages.warning(
                    request, _("Filed, but the inspection waits for the commission's approval: see below.")
                )
            return redirect("inspection_filing:detail", pk=inspection.pk)
    context = {
        "form": form,
        "search": search,
        "found": found,
        "searched": bool(search.is_bound and search.is_valid() and search.cleaned_data["q"].strip()),
    }
    return render(request, "inspections/department/filing_form.html", context)


@login_required
@permission_required(PORTAL, raise_exception=True)
@never_cache
@require_GET
def inspection_detail(request, pk: int):
    inspection = get_object_or_404(
        inspection_list_for_department(viewer=request.user).select_related("joint_with__department"), pk=pk
    )
    context = {
        "inspection": inspection,
        "items": list(inspection.items.order_by("code")),
        "flags": list(flags_for_department(inspection).order_by("-blocking", "kind")),
        "open_status": InspectionFlag.Status.OPEN,
    }
    return render(request, "inspections/department/filing_detail.html", context)

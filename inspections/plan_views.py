"""The department portal's annual inspection plans (/dept/inspections/plans/): a department
sees and files only its own plans (``departments_of``); form -> service -> redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework.selectors import departments_of
from core.errors import form_add_service_error
from inspections.forms_plans import PlanFileForm
from inspections.models import InspectionPlan
from inspections.services.plans import plan_file

PERMISSION = "liaison.access_department_portal"


def _plans(request):
    # A department's own plans only: every lookup below goes through this.
    return InspectionPlan.objects.filter(department__in=departments_of(request.user)).select_related(
        "department", "deadline", "filed_by"
    )


def _state(plan: InspectionPlan, today) -> str:
    if plan.filed_at:
        return "filed"
    if plan.deadline and plan.deadline.due_date < today:
        return "overdue"
    return "open"


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_GET
def plan_list(request):
    today = timezone.localdate()
    plans = list(_plans(request).order_by("-year", "department__name")[:200])
    for plan in plans:
        plan.state = _state(plan, today)
    return render(
        request,
        "inspections/department/plans.html",
        {"plans": plans, "several_departments": len(departments_of(request.user)) > 1},
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    plan = get_object_or_404(_plans(request), pk=pk)
    today = timezone.localdate()
    editable = plan.year >= today.year
    form = None
    if editable:
        initial = {"summary": plan.summary, "planned_count": plan.planned_count}
        form = PlanFileForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            first = plan.filed_at is None
            try:
                plan_file(
                    plan,
                    summary=form.cleaned_data["summary"],
                    planned_count=form.cleaned_data["planned_count"],
                    actor=request.user,
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("Your plan for %(year)s was filed.") % {"year": plan.year}
                    if first
                    else _("Your plan for %(year)s was updated.") % {"year": plan.year},
                )
                return redirect("inspection_plans:detail", pk=plan.pk)
    elif request.method == "POST":
        messages.error(request, _("The year of this plan is over: it can no longer be changed."))
        return redirect("inspection_plans:detail", pk=plan.pk)
    return render(
        request,
        "inspections/department/plan.html",
        {
            "plan": plan,
            "state": _state(plan, today),
            "form": form,
        },
    )

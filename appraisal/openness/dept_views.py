"""The department portal's openness findings (/dept/openness/): the failed items found at the
unit's own checks, and its rectification (整改) of each. Form -> service -> redirect.

What a unit may see is decided by ``selectors.department_findings`` alone; who recorded a
finding and the evidence files stay with the commission."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from appraisal.models import OpennessFinding
from appraisal.openness.selectors import department_findings
from appraisal.openness.services import AWAITING_UNIT, finding_answer, finding_answerable
from casework.selectors import departments_of
from core.deadlines import deadline_explain
from core.errors import InvalidTransition, form_add_service_error
from core.forms import PlainErrorsMixin

PERMISSION = "liaison.access_department_portal"
PAGE_SIZE = 25
TO_ANSWER, ALL = "todo", "all"
S = OpennessFinding.Status


class RectificationForm(PlainErrorsMixin, forms.Form):
    rectification = forms.CharField(
        label=gettext_lazy("How your unit rectified this item"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=gettext_lazy("What was changed, where the public can now see it, and the rules adopted."),
    )


def _filters() -> list[tuple[str, str]]:
    return [
        (TO_ANSWER, gettext_lazy("To answer")),
        *[(value, label) for value, label in S.choices if value != S.NONE],
        (ALL, gettext_lazy("All")),
    ]


def _late(finding: OpennessFinding, today) -> bool:
    return bool(finding.status in AWAITING_UNIT and finding.deadline and finding.deadline.due_date < today)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_GET
def finding_list(request):
    status = request.GET.get("status") or TO_ANSWER
    filters = _filters()
    if status not in dict(filters):
        status = TO_ANSWER
    findings = department_findings(request.user)
    counts = dict(findings.order_by().values_list("status").annotate(count=Count("pk")))
    counts[TO_ANSWER] = sum(counts.get(value, 0) for value in AWAITING_UNIT)
    counts[ALL] = sum(counts.get(value, 0) for value, _label in S.choices)
    if status == TO_ANSWER:
        findings = findings.filter(status__in=AWAITING_UNIT).order_by("deadline__due_date", "pk")
    elif status != ALL:
        findings = findings.filter(status=status)
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for finding in page:
        finding.late = _late(finding, today)
    context = {
        "filters": [(value, label, counts.get(value, 0)) for value, label in filters],
        "status": status,
        "page": page,
        "several_departments": len(departments_of(request.user)) > 1,
    }
    return render(request, "appraisal/openness/dept/list.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def finding_detail(request, pk: int):
    finding = get_object_or_404(department_findings(request.user), pk=pk)
    form = RectificationForm() if finding_answerable(finding) else None
    if request.method == "POST" and form is not None:
        form = RectificationForm(request.POST)
        if form.is_valid():
            try:
                finding_answer(
                    finding=finding, rectification=form.cleaned_data["rectification"], actor=request.user
                )
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Your rectification has been sent to the commission for review."))
                return redirect("openness_dept:detail", pk=finding.pk)
    context = {
        "finding": finding,
        "campaign": finding.campaign,
        "form": form,
        "deadline_text": deadline_explain(finding.deadline) if finding.deadline else "",
        "late": _late(finding, timezone.localdate()),
    }
    return render(request, "appraisal/openness/dept/detail.html", context)

"""The department portal's approval signals (/dept/approvals/signals/): the signals raised on
the department's own approvals, and its correction (纠错) of each. Form -> service -> redirect.

What a department may see is decided by ``approvals.selectors.department_signals`` alone; the
complaints an applicant filed from a record are never read here."""

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

from approvals.models import ApprovalSignal
from approvals.selectors import department_signals
from approvals.services.corrections import AWAITING_DEPARTMENT, signal_answer, signal_answerable
from casework.selectors import departments_of
from core.deadlines import deadline_explain
from core.errors import InvalidTransition, form_add_service_error

PERMISSION = "liaison.access_department_portal"
PAGE_SIZE = 25
TO_ANSWER, ALL = "todo", "all"


class CorrectionForm(forms.Form):
    correction = forms.CharField(
        label=gettext_lazy("What your department did"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=gettext_lazy("The measures taken on this approval and to prevent it happening again."),
    )


def _filters() -> list[tuple[str, str]]:
    return [
        (TO_ANSWER, gettext_lazy("To answer")),
        *ApprovalSignal.Status.choices,
        (ALL, gettext_lazy("All")),
    ]


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_GET
def signal_list(request):
    status = request.GET.get("status") or TO_ANSWER
    filters = _filters()
    if status not in dict(filters):
        status = TO_ANSWER
    signals = department_signals(request.user)
    counts = dict(signals.order_by().values_list("status").annotate(count=Count("pk")))
    counts[TO_ANSWER] = sum(counts.get(value, 0) for value in AWAITING_DEPARTMENT)
    counts[ALL] = sum(counts.get(value, 0) for value, _label in ApprovalSignal.Status.choices)
    if status == TO_ANSWER:
        signals = signals.filter(status__in=AWAITING_DEPARTMENT).order_by(
            "deadline__due_date", "-raised_at", "pk"
        )
    elif status != ALL:
        signals = signals.filter(status=status)
    page = Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for signal in page:
        signal.late = bool(
            signal.status in AWAITING_DEPARTMENT and signal.deadline and signal.deadline.due_date < today
        )
    context = {
        "filters": [(value, label, counts.get(value, 0)) for value, label in filters],
        "status": status,
        "page": page,
        "several_departments": len(departments_of(request.user)) > 1,
    }
    return render(request, "approvals/dept/list.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def signal_detail(request, pk: int):
    signal = get_object_or_404(department_signals(request.user), pk=pk)
    form = CorrectionForm() if signal_answerable(signal) else None
    if request.method == "POST" and form is not None:
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                signal_answer(signal=signal, correction=form.cleaned_data["correction"], actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Your correction has been sent to the commission for review."))
                return redirect("approvals_dept:detail", pk=signal.pk)
    record = signal.record
    context = {
        "signal": signal,
        "record": record,
        "steps": list(record.step_events.order_by("position")),
        "form": form,
        "deadline_text": deadline_explain(signal.deadline) if signal.deadline else "",
        "late": bool(
            signal.status in AWAITING_DEPARTMENT
            and signal.deadline
            and signal.deadline.due_date < timezone.localdate()
        ),
    }
    return render(request, "approvals/dept/detail.html", context)

"""The department portal (/dept/): a department's referrals and recommendations, and the three
things it does with them: acknowledge (签收), report (办理报告) and reply with a rectification
report. Form -> service -> redirect.

What a department may see is decided by ``referral_list``/``recommendation_list`` alone, so
the list, the detail page and the API can never disagree. Nothing here reads the complaint,
its supplements, its attachments or the complainant's identity, nor the case title (staff
write it, and by default it is the start of the complaint): a department reads only the text
released to it. A department never sees who complained."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework import services
from casework.forms import RecommendationReplyForm as DepartmentReplyForm
from casework.forms import ReportForm as DepartmentReportForm
from casework.models import Recommendation, Referral
from casework.selectors import DEPARTMENT, case_identities, departments_of, recommendation_list, referral_list
from complaints.selectors import text_for_viewer
from core.deadlines import deadline_explain
from core.errors import InvalidTransition, form_add_service_error

PERMISSION = "liaison.access_department_portal"
PAGE_SIZE = 25

OPEN = "open"
ALL = "all"
AWAITING_REPORT = Referral.AWAITING_REPORT
AWAITING_REPLY = Recommendation.AWAITING_REPLY


def status_filters() -> list[tuple[str, str]]:
    return [(OPEN, gettext_lazy("Still open")), *Referral.Status.choices, (ALL, gettext_lazy("All"))]


def _overdue(item, today) -> bool:
    return bool(item.due_date and item.due_date < today)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_GET
def home(request):
    status = request.GET.get("status") or OPEN
    filters = status_filters()
    if status not in dict(filters):
        status = OPEN
    referrals = referral_list(viewer=request.user, scope=DEPARTMENT)
    counts = dict(referrals.order_by().values_list("status").annotate(count=Count("pk")))
    counts[OPEN] = sum(counts.get(value, 0) for value in Referral.OPEN_STATUSES)
    counts[ALL] = sum(counts.get(value, 0) for value, _label in Referral.Status.choices)

    if status == OPEN:
        referrals = referrals.filter(status__in=Referral.OPEN_STATUSES)
    elif status != ALL:
        referrals = referrals.filter(status=status)
    if status == OPEN or status in Referral.OPEN_STATUSES:
        referrals = referrals.order_by(F("due_date").asc(nulls_last=True), "sent_at", "pk")
    else:
        referrals = referrals.order_by("-sent_at", "-pk")
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))

    today = timezone.localdate()
    for referral in page:
        referral.overdue = referral.is_open and _overdue(referral, today)
    recommendations = list(
        recommendation_list(viewer=request.user, scope=DEPARTMENT)
        .filter(status__in=AWAITING_REPLY)
        .order_by(F("due_date").asc(nulls_last=True), "issued_at", "pk")
    )
    for recommendation in recommendations:
        recommendation.overdue = _overdue(recommendation, today)
    context = {
        "filters": [(value, label, counts.get(value, 0)) for value, label in filters],
        "status": status,
        "page": page,
        "recommendations": recommendations,
        "several_departments": len(departments_of(request.user)) > 1,
    }
    return render(request, "casework/department/home.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def referral_detail(request, pk: int):
    referral = get_object_or_404(referral_list(viewer=request.user, scope=DEPARTMENT), pk=pk)
    acknowledge_form = forms.Form() if referral.status == Referral.Status.SENT else None
    report_form = DepartmentReportForm(referral=referral) if referral.status in AWAITING_REPORT else None

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "acknowledge":
            acknowledge_form = forms.Form(request.POST)
            try:
                services.referral_acknowledge(referral=referral, actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(acknowledge_form, error)
            else:
                messages.success(request, _("Acknowledged. You can now submit the handling report."))
                return redirect("department_portal:referral", pk=referral.pk)
        elif action == "report":
            report_form = DepartmentReportForm(request.POST, request.FILES, referral=referral)
            if report_form.is_valid():
                data = report_form.cleaned_data
                try:
                    report = services.referral_report(
                        referral=referral,
                        facts=data["facts"],
                        finding=data["finding"],
                        measures=data["measures"],
                        uploads=data["uploads"],
                        actor=request.user,
                    )
                except (InvalidTransition, ValidationError) as error:
                    form_add_service_error(report_form, error)
                else:
                    messages.success(
                        request,
                        _("Your handling report for round %(round)s has been submitted for review.")
                        % {"round": report.round},
                    )
                    return redirect("department_portal:referral", pk=referral.pk)
        else:
            return redirect("department_portal:referral", pk=referral.pk)

    today = timezone.localdate()
    referral.overdue = referral.is_open and _overdue(referral, today)
    reports = list(
        referral.reports.select_related("review").prefetch_related("attachments").order_by("round")
    )
    for report in reports:
        report.review_or_none = getattr(report, "review", None)
    # Checked when staff released them; masked again here by the one rule, so a text released
    # before the recogniser learned a new spelling still reaches the department without it.
    identities = case_identities(referral.case)
    context = {
        "referral": referral,
        "released_text": text_for_viewer(referral.released_text, identity=identities, can_see=False),
        "instructions": text_for_viewer(referral.instructions, identity=identities, can_see=False),
        "deadline_text": deadline_explain(referral.deadline) if referral.deadline_id else "",
        "reports": reports,
        "recommendations": recommendation_list(viewer=request.user, scope=DEPARTMENT)
        .filter(case_id=referral.case_id)
        .order_by("-issued_at", "-pk"),
        "acknowledge_form": acknowledge_form,
        "report_form": report_form,
    }
    return render(request, "casework/department/referral.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def recommendation_detail(request, pk: int):
    recommendation = get_object_or_404(
        recommendation_list(viewer=request.user, scope=DEPARTMENT).select_related("deadline"), pk=pk
    )
    awaiting = recommendation.status in AWAITING_REPLY
    reply_form = DepartmentReplyForm(recommendation=recommendation) if awaiting else None

    if request.method == "POST":
        reply_form = DepartmentReplyForm(request.POST, recommendation=recommendation)
        if reply_form.is_valid():
            try:
                services.recommendation_reply(
                    recommendation=recommendation, reply=reply_form.cleaned_data["reply"], actor=request.user
                )
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(reply_form, error)
            else:
                messages.success(request, _("Your rectification report has been sent."))
                return redirect("department_portal:recommendation", pk=recommendation.pk)

    recommendation.overdue = awaiting and _overdue(recommendation, timezone.localdate())
    context = {
        "recommendation": recommendation,
        "deadline_text": deadline_explain(recommendation.deadline) if recommendation.deadline_id else "",
        "referrals": referral_list(viewer=request.user, scope=DEPARTMENT)
        .filter(case_id=recommendation.case_id)
        .order_by("-sent_at", "-pk"),
        "reply_form": reply_form,
    }
    return render(request, "casework/department/recommendation.html", context)

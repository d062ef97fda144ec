"""The department portal (/dept/): a department's referrals and recommendations, and the three
things it does with them: acknowledge (签收), report (办理报告) and reply with a rectification
report. Form -> service -> redirect.

What a department may see is decided by ``referral_list``/``recommendation_list`` alone, so
the list, the detail page and the API can never disagree. Nothing here reads the complaint,
its supplements, its attachments or the complainant's identity, nor the case title (staff
write it, and by default it is the start of the complaint): a department reads only the text
released to it. A department never sees who complained."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as SqlCase
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework import extensions, services
from casework.department_forms import ExtensionRequestForm
from casework.forms import RecommendationReplyForm as DepartmentReplyForm
from casework.forms import ReportForm as DepartmentReportForm
from casework.models import ExtensionRequest, Recommendation, Referral
from casework.selectors import (
    DEPARTMENT,
    case_identities,
    case_identities_by_id,
    departments_of,
    recommendation_list,
    referral_list,
)
from complaints.selectors import text_for_viewer
from core.calendar import WorkingCalendar, add_working_days
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


# Referrals on which the department has the next move; a reported one waits for the centre, so
# it is neither overdue nor due soon for the department, and is listed after these.
AWAITING_DEPARTMENT = (Referral.Status.SENT, *Referral.AWAITING_REPORT)
# "Due soon" on the list: due today or within this many working days (the "≤ 2").
DUE_SOON_WORKING_DAYS = 2
SUMMARY_CHARS = 80
# Masking reads only the start of a long text: the summary shows less than this of it.
SUMMARY_SOURCE_CHARS = 1000

OVERDUE, DUE_SOON, ON_TIME = "overdue", "soon", "ok"


def _overdue(item, today) -> bool:
    return bool(item.due_date and item.due_date < today)


def _working_days(calendar: WorkingCalendar, first: dt.date, last: dt.date) -> int:
    """Working days in (first, last], read from a snapshot loaded over the range beforehand."""
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        count += calendar.day(day)[0]
    return count


class DueStates:
    """Overdue and due-soon for a whole page with one calendar snapshot: two queries, whatever the
    number of rows (working days on the PRC calendar, holidays and make-up weekends included)."""

    def __init__(self, due_dates, *, today: dt.date):
        self.today = today
        dates = [day for day in due_dates if day is not None]
        self.calendar = WorkingCalendar()
        self.calendar.load(
            min([*dates, today]),
            max([*dates, today + dt.timedelta(days=DUE_SOON_WORKING_DAYS * 7 // 5 + 30)]),
        )
        self.soon_by = add_working_days(today, DUE_SOON_WORKING_DAYS, calendar=self.calendar).due_date

    def mark(self, item, *, awaiting: bool) -> None:
        """Set ``due_state`` (overdue / soon / ok / "") and ``due_working_days`` (late by, or left)."""
        item.due_state, item.due_working_days = "", 0
        due = item.due_date
        if not awaiting or due is None:
            return
        if due < self.today:
            item.due_state, item.due_working_days = OVERDUE, _working_days(self.calendar, due, self.today)
        elif due <= self.soon_by:
            item.due_state, item.due_working_days = DUE_SOON, _working_days(self.calendar, self.today, due)
        else:
            item.due_state = ON_TIME
        item.overdue = item.due_state == OVERDUE


def _summary(text: str, identities) -> str:
    """The start of a text released to the department, masked again by the one rule (as the
    referral page does) before it is shortened, so a cut never splits a name out of reach."""
    masked = text_for_viewer(text[:SUMMARY_SOURCE_CHARS], identity=identities, can_see=False)
    return Truncator(" ".join(masked.split())).chars(SUMMARY_CHARS)


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
    pending = ExtensionRequest.objects.filter(referral=OuterRef("pk"), status=ExtensionRequest.Status.PENDING)
    referrals = referrals.annotate(
        pending_extension_date=Subquery(pending.values("proposed_date")[:1]),
        waits_for_centre=SqlCase(
            When(status__in=AWAITING_DEPARTMENT, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
    )
    if status == OPEN or status in Referral.OPEN_STATUSES:
        # What the department must do first: overdue, then soonest due; reported ones last.
        referrals = referrals.order_by(
            "waits_for_centre", F("due_date").asc(nulls_last=True), "sent_at", "pk"
        )
    else:
        referrals = referrals.order_by("-sent_at", "-pk")
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    recommendations = list(
        recommendation_list(viewer=request.user, scope=DEPARTMENT)
        .filter(status__in=AWAITING_REPLY)
        .order_by(F("due_date").asc(nulls_last=True), "issued_at", "pk")
    )

    today = timezone.localdate()
    states = DueStates([item.due_date for item in [*page, *recommendations]], today=today)
    identities = case_identities_by_id({item.case_id for item in [*page, *recommendations]})
    for referral in page:
        states.mark(referral, awaiting=referral.status in AWAITING_DEPARTMENT)
        referral.summary = _summary(referral.released_text, identities.get(referral.case_id, []))
    for recommendation in recommendations:
        states.mark(recommendation, awaiting=True)
        recommendation.summary = _summary(recommendation.content, identities.get(recommendation.case_id, []))
    context = {
        "filters": [(value, label, counts.get(value, 0)) for value, label in filters],
        "status": status,
        "page": page,
        "recommendations": recommendations,
        "several_departments": len(departments_of(request.user)) > 1,
        "due_soon_days": DUE_SOON_WORKING_DAYS,
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
    extension_requests = list(referral.extension_requests.order_by("-requested_at", "-pk"))
    pending_extension = next(
        (item for item in extension_requests if item.status == ExtensionRequest.Status.PENDING), None
    )
    extension_form = None
    if pending_extension is None and extensions.extension_can_request(referral):
        extension_form = ExtensionRequestForm(referral=referral)

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
        elif action == "extension":
            extension_form = ExtensionRequestForm(request.POST, referral=referral)
            if extension_form.is_valid():
                data = extension_form.cleaned_data
                try:
                    extensions.extension_request(
                        referral=referral,
                        reason=data["reason"],
                        proposed_date=data["proposed_date"],
                        actor=request.user,
                    )
                except (InvalidTransition, ValidationError) as error:
                    form_add_service_error(extension_form, error)
                else:
                    messages.success(
                        request,
                        _("Your request for more time has been sent; the complaint centre will decide."),
                    )
                    return redirect("department_portal:referral", pk=referral.pk)
        else:
            return redirect("department_portal:referral", pk=referral.pk)

    today = timezone.localdate()
    referral.overdue = referral.status in AWAITING_DEPARTMENT and _overdue(referral, today)
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
        "extension_form": extension_form,
        "pending_extension": pending_extension,
        "decided_extensions": [item for item in extension_requests if item is not pending_extension],
        "extension_max_days": extensions.extension_max_working_days(),
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

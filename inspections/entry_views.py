"""Scan-to-enter (扫码入企) and the enterprise's own page: two secrets, two doors.

* /e/<scan secret>/ is what the QR code on the enterprise's wall carries. Anyone on the premises
  can photograph it, so it leads only to the scan-to-enter page /e/, and that only for a
  department inspector who is logged in. A visitor without a login sees a login prompt and
  nothing of the enterprise: not its name, not its inspections. The inspector needs nothing
  before logging in (the page after the login names the enterprise and the department's
  filings, to check the code scanned is the right one), and a photographed code must not tell
  anyone whose it is. A signed-in user who is not an inspector sees no more.
* /e/own/<private secret>/ is the enterprise's private link (its code letter): it leads to its
  own page /e/own/, its inspections and its anonymous ratings of them, whoever holds the link.

A secret is in the opened URL and nowhere else: opening it keeps the enterprise in the session
(for an hour, under a key of its own for each door) and redirects, so every later page, form post
and error carries no secret, and the secret's own responses are never written to the request log
(Django logs every 4xx response with its path). Logging out ends the session and with it both.
Opening either link and posting either page are rate-limited per client address, like the
complaint tracking page."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework.selectors import departments_of
from complaints.forms import PublicComplaintForm
from complaints.models import Category, Channel, ComplainantType
from complaints.services import complaint_submit
from complaints.views import receipt_keep
from core.ratelimit import client_address, rate_limit_exceeded, rate_limited, rate_parse
from inspections.forms_entry import EmergencyEntryForm, EntryForm, InspectionRatingForm, OutcomeForm
from inspections.models import Inspection
from inspections.selectors import (
    ENTERPRISE_VISIBLE,
    RATABLE,
    enterprise_inspections,
    entries_awaiting_outcome,
    entry_candidates,
    ratings_aggregate_for_department,
)
from inspections.services.codes import enterprise_by_private_secret, enterprise_by_scan_secret
from inspections.services.entry import inspection_enter, inspection_enter_emergency, inspection_outcome_record
from inspections.services.ratings import inspection_complaint_link, rating_add
from liaison.models import Department, Enterprise

# One session key per door: the QR code's scan never opens the enterprise's page.
SCAN_SESSION_KEY = "inspections:scanned"
ENTERPRISE_SESSION_KEY = "inspections:enterprise"
SESSION_SECONDS = 3600
SCAN, PRIVATE = "scan", "private"


def _page_rate() -> str:
    return settings.INSPECTION_PAGE_RATE


def _unlogged(response):
    # Django's request logger writes the path of every 4xx response; /e/…/<secret>/ must not be.
    response._has_been_logged = True
    return response


def _limited(request) -> bool:
    return settings.INTAKE_RATE_LIMITS_ENABLED and rate_limit_exceeded(
        group="inspection-page", identity=client_address(request), rate=_page_rate()
    )


def _too_many(request):
    seconds = rate_parse(_page_rate())[1]
    response = render(request, "429.html", {"minutes": seconds // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return _unlogged(response)


def _keep(request, key: str, enterprise: Enterprise) -> None:
    request.session[key] = {"pk": enterprise.pk, "until": time.time() + SESSION_SECONDS}


def _kept(request, key: str) -> Enterprise | None:
    kept = request.session.get(key)
    if not isinstance(kept, dict) or kept.get("until", 0) < time.time():
        request.session.pop(key, None)
        return None
    return Enterprise.objects.filter(pk=kept.get("pk"), is_active=True).first()


def _unknown(request, link: str, *, expired: bool = False):
    status = 200 if expired else 404
    response = render(
        request, "inspections/entry/unknown.html", {"link": link, "expired": expired}, status=status
    )
    return _unlogged(response)


@never_cache
@require_GET
def entry_open(request, secret: str):
    """The QR code's link: keep the scanned enterprise in the session, then continue at /e/."""
    if _limited(request):
        return _too_many(request)
    enterprise = enterprise_by_scan_secret(secret)
    if enterprise is None:
        return _unknown(request, SCAN)
    _keep(request, SCAN_SESSION_KEY, enterprise)
    return redirect("inspection_entry:home")


@never_cache
@require_http_methods(["GET", "POST"])
def entry_home(request):
    """The scan-to-enter page: for an inspector, the entry and the outcome; for anyone else, no
    word of the enterprise (see the module's docstring)."""
    enterprise = _kept(request, SCAN_SESSION_KEY)
    if enterprise is None:
        return _unknown(request, SCAN, expired=True)
    if request.method == "POST" and _limited(request):
        return _too_many(request)
    if not request.user.is_authenticated:
        return render(request, "inspections/entry/scan_login.html")
    if not request.user.has_perm("inspections.file_inspection"):
        return render(request, "inspections/entry/not_inspector.html")
    return _inspector_page(request, enterprise)


@never_cache
@require_GET
def enterprise_open(request, secret: str):
    """The enterprise's private link: keep the enterprise in the session, continue at /e/own/."""
    if _limited(request):
        return _too_many(request)
    enterprise = enterprise_by_private_secret(secret)
    if enterprise is None:
        return _unknown(request, PRIVATE)
    _keep(request, ENTERPRISE_SESSION_KEY, enterprise)
    return redirect("inspection_entry:enterprise")


@never_cache
@require_http_methods(["GET", "POST"])
def enterprise_home(request):
    """The enterprise's own page: its inspections, each to rate anonymously."""
    enterprise = _kept(request, ENTERPRISE_SESSION_KEY)
    if enterprise is None:
        return _unknown(request, PRIVATE, expired=True)
    if request.method == "POST" and _limited(request):
        return _too_many(request)
    return _enterprise_page(request, enterprise)


def _inspector_page(request, enterprise: Enterprise):
    department_ids = departments_of(request.user)
    departments = Department.objects.filter(pk__in=department_ids).order_by("name")
    candidates = entry_candidates(
        enterprise=enterprise, department_ids=department_ids, today=timezone.localdate()
    )
    awaiting = list(entries_awaiting_outcome(enterprise=enterprise, department_ids=department_ids))
    entry_form = EntryForm(candidates=candidates)
    emergency_form = EmergencyEntryForm(departments=departments, prefix="emergency")
    posted_outcome: tuple[int, OutcomeForm] | None = None
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action == "enter":
            entry_form = EntryForm(request.POST, candidates=candidates)
            if entry_form.is_valid():
                inspection = inspection_enter(
                    inspection=entry_form.cleaned_data["inspection"],
                    enterprise=enterprise,
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("Entry registered. Record the outcome by %(date)s.")
                    % {"date": inspection.outcome_deadline.due_date.isoformat()},
                )
                return redirect(reverse("inspection_entry:home") + "#outcome")
        elif action == "emergency":
            emergency_form = EmergencyEntryForm(request.POST, departments=departments, prefix="emergency")
            if emergency_form.is_valid():
                data = emergency_form.cleaned_data
                inspection_enter_emergency(
                    enterprise=enterprise,
                    department=data["department"],
                    kind=data["kind"],
                    reason=data["reason"],
                    items=data["items"],
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("Emergency entry registered. The commission will review it; record the outcome."),
                )
                return redirect(reverse("inspection_entry:home") + "#outcome")
        elif action == "outcome":
            chosen = next((i for i in awaiting if str(i.pk) == request.POST.get("inspection")), None)
            if chosen is None:
                raise Http404
            form = OutcomeForm(request.POST, prefix=f"outcome-{chosen.pk}")
            posted_outcome = (chosen.pk, form)
            if form.is_valid():
                inspection_outcome_record(
                    inspection=chosen,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
                messages.success(request, _("Outcome recorded. The inspection is concluded."))
                return redirect("inspection_entry:home")
    except ValidationError as error:
        target = {"enter": entry_form, "emergency": emergency_form}.get(action)
        if target is None and posted_outcome is not None:
            target = posted_outcome[1]
        if target is None:
            raise
        target.add_error(None, error)
    outcome_rows = [
        (
            inspection,
            posted_outcome[1]
            if posted_outcome and posted_outcome[0] == inspection.pk
            else OutcomeForm(prefix=f"outcome-{inspection.pk}"),
        )
        for inspection in awaiting
    ]
    context = {
        "enterprise": enterprise,
        "candidates": list(candidates),
        "entry_form": entry_form,
        "emergency_form": emergency_form,
        "outcome_rows": outcome_rows,
        "emergency_open": action == "emergency",
    }
    return render(request, "inspections/entry/inspector.html", context)


def _enterprise_page(request, enterprise: Enterprise):
    inspections = enterprise_inspections(enterprise=enterprise)
    posted: tuple[int, InspectionRatingForm] | None = None
    if request.method == "POST" and request.POST.get("action") == "rate":
        chosen = next((i for i in inspections if str(i.pk) == request.POST.get("inspection")), None)
        if chosen is None:
            raise Http404
        form = InspectionRatingForm(request.POST, prefix=f"rate-{chosen.pk}")
        posted = (chosen.pk, form)
        if form.is_valid():
            try:
                rating_add(
                    inspection=chosen,
                    enterprise=enterprise,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Thank you. Your rating was recorded anonymously."))
                return redirect(reverse("inspection_entry:enterprise") + f"#inspection-{chosen.pk}")
    rows = []
    for inspection in inspections:
        form = None
        if inspection.status in RATABLE and not inspection.rated:
            form = (
                posted[1]
                if posted and posted[0] == inspection.pk
                else InspectionRatingForm(prefix=f"rate-{inspection.pk}")
            )
        rows.append((inspection, form))
    return render(request, "inspections/entry/enterprise.html", {"enterprise": enterprise, "rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-submit", "INTAKE_SUBMIT_RATE")
def inspection_disturbed(request):
    """This inspection disturbed us: the public complaint form, prefilled with 乱检查 and the
    inspecting department; the complaint filed is linked to the inspection. The inspection is
    named in the query (?inspection=…) and must be one of the enterprise whose private link opened
    this session: the URL alone reaches nothing."""
    enterprise = _kept(request, ENTERPRISE_SESSION_KEY)
    if enterprise is None:
        return redirect("inspection_entry:enterprise")
    pk = request.GET.get("inspection", "")
    if not pk.isdigit():
        raise Http404
    inspection = (
        Inspection.objects.select_related("department")
        .filter(pk=pk, enterprise=enterprise, status__in=ENTERPRISE_VISIBLE)
        .first()
    )
    if inspection is None:
        raise Http404
    if request.method == "POST":
        form = PublicComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            submitted = complaint_submit(
                data=form.complaint_data(),
                identity=form.identity_data(),
                uploads=form.cleaned_data["uploads"],
                channel=Channel.WEB,
            )
            inspection_complaint_link(inspection=inspection, complaint=submitted.complaint)
            return receipt_keep(
                redirect("complaints:submitted"), submitted, emailed=bool(form.cleaned_data.get("email"))
            )
    else:
        form = PublicComplaintForm(
            initial={
                "category": Category.INSPECTIONS,
                "department": inspection.department_id,
                "complainant_type": ComplainantType.ENTERPRISE,
                "description": _("About the inspection by %(department)s on %(date)s: ")
                % {"department": inspection.department, "date": inspection.planned_on.isoformat()},
            }
        )
    return render(request, "complaints/new.html", {"form": form, "inspection": inspection})


@login_required
@permission_required("liaison.access_department_portal", raise_exception=True)
@never_cache
@require_GET
def department_ratings(request):
    """What a department may know of the enterprises' ratings: aggregates of its own, only."""
    departments = Department.objects.filter(pk__in=departments_of(request.user)).order_by("name")
    rows = [(department, ratings_aggregate_for_department(department)) for department in departments]
    return render(request, "inspections/entry/department_ratings.html", {"rows": rows})

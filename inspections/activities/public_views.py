"""The public list (/activities/): approved trainings and award activities and the cancelled
items, and the enterprise's complaint from an entry or from "not in this list".

The complaint is the public form's (category 涉企培训/评比达标表彰, channel web, the department
the organiser), prefilled with the item's name only; the filing or cancelled item is linked to
the complaint on the commission's side (``ActivityComplaint``), a link no department sees."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from complaints.forms import PublicComplaintForm
from complaints.models import Category, Channel, ComplainantType
from complaints.services import complaint_submit
from complaints.views import receipt_keep
from core.ratelimit import rate_limited
from inspections.activities.selectors import (
    activity_public_filing,
    activity_public_list,
    cancelled_public_list,
)
from inspections.activities.services import activity_complaint_link
from inspections.models import ActivityKind, CancelledActivity

PAGE_SIZE = 30
FILING, CANCELLED, OTHER = "filing", "cancelled", "other"


@require_GET
def activity_public(request):
    kind = request.GET.get("kind") or ""
    if kind not in ActivityKind.values:
        kind = ""
    page = Paginator(activity_public_list(kind=kind or None), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kind": kind,
        "kinds": ActivityKind.choices,
        "cancelled": list(cancelled_public_list()),
    }
    return render(request, "inspections/activities/public_list.html", context)


def _subject(subject: str, pk: int | None):
    """The filing or cancelled item complained about (None for "not in this list"); 404 for
    anything that is not on the public list."""
    if subject == FILING:
        filing = activity_public_filing(pk)
        if filing is None:
            raise Http404
        return filing, None
    if subject == CANCELLED:
        return None, get_object_or_404(CancelledActivity.objects.select_related("department"), pk=pk)
    return None, None


def _initial(filing, cancelled_item) -> dict:
    initial = {"category": Category.TRAINING, "complainant_type": ComplainantType.ENTERPRISE}
    # The item's name only: nothing that would tell the department who complained once the text is
    # released to it; staff see the filing linked to the complaint.
    if filing is not None:
        initial["department"] = filing.department_id
        initial["description"] = _("About “%(item)s” organised by %(organiser)s: ") % {
            "item": filing.title,
            "organiser": filing.organiser,
        }
    elif cancelled_item is not None:
        if cancelled_item.department_id:
            initial["department"] = cancelled_item.department_id
        initial["description"] = _("About the cancelled item “%(item)s”, held again: ") % {
            "item": cancelled_item.name
        }
    else:
        initial["description"] = _("About a training or award activity that is not in the public list: ")
    return initial


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-submit", "INTAKE_SUBMIT_RATE")
def activity_complaint(request, subject: str, pk: int | None = None):
    filing, cancelled_item = _subject(subject, pk)
    if request.method == "POST":
        form = PublicComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            with transaction.atomic():
                submitted = complaint_submit(
                    data=form.complaint_data(),
                    identity=form.identity_data(),
                    uploads=form.cleaned_data["uploads"],
                    channel=Channel.WEB,
                )
                activity_complaint_link(
                    complaint=submitted.complaint, filing=filing, cancelled_item=cancelled_item
                )
            return receipt_keep(
                redirect("complaints:submitted"), submitted, emailed=bool(form.cleaned_data.get("email"))
            )
    else:
        form = PublicComplaintForm(initial=_initial(filing, cancelled_item))
    context = {"form": form, "activity_filing": filing, "cancelled_item": cancelled_item}
    return render(request, "inspections/activities/public_complaint.html", context)

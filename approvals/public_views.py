"""The applicant's complaint from an approval that got a red signal (/approvals/complain/).

The enterprise enters its application number and its credit code; a matching record with a red
signal is kept in the session (30 minutes, never in a URL) and the public complaint form opens
prefilled with 行政审批, the department and the application. A wrong pair gets one neutral
answer whichever of the two was wrong, and the lookups are rate-limited like the tracking page."""

from __future__ import annotations

import time

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from approvals.models import ApprovalRecord
from approvals.services.applicant import record_complaint_link, record_for_applicant
from complaints.forms import PublicComplaintForm
from complaints.models import Category, Channel, ComplainantType
from complaints.services import complaint_submit
from complaints.views import receipt_keep
from core.forms import PlainErrorsMixin
from core.ratelimit import rate_limited

SESSION_KEY = "approvals:applicant_record"
SESSION_SECONDS = 1800


class ApplicantLookupForm(PlainErrorsMixin, forms.Form):
    external_id = forms.CharField(
        label=gettext_lazy("Application number"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy("As printed on the acceptance notice (受理通知书)."),
    )
    credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code of the applicant"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


def _kept_record(request) -> ApprovalRecord | None:
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("until", 0) < time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    return ApprovalRecord.objects.select_related("item", "department").filter(pk=kept.get("pk")).first()


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("approval-applicant-lookup", "INTAKE_TRACK_RATE")
def applicant_lookup(request):
    form = ApplicantLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = record_for_applicant(
            external_id=form.cleaned_data["external_id"], credit_code=form.cleaned_data["credit_code"]
        )
        if record is not None:
            # The pair is never put in a URL (logs, browser history).
            request.session.cycle_key()
            request.session[SESSION_KEY] = {"pk": record.pk, "until": time.time() + SESSION_SECONDS}
            return redirect("approvals_public:complain")
        # One answer whichever of the two was wrong: no oracle for guessing either.
        form.add_error(
            None,
            _(
                "We found no approval with a warning for this application number and credit code. "
                "Check both and try again, or file a complaint with the ordinary form."
            ),
        )
    return render(request, "approvals/public/lookup.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-submit", "INTAKE_SUBMIT_RATE")
def applicant_complaint(request):
    """The public complaint form, prefilled from the record kept in the session; the complaint
    filed is linked to the record."""
    record = _kept_record(request)
    if record is None:
        return redirect("approvals_public:lookup")
    if request.method == "POST":
        form = PublicComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            submitted = complaint_submit(
                data=form.complaint_data(),
                identity=form.identity_data(),
                uploads=form.cleaned_data["uploads"],
                channel=Channel.WEB,
            )
            record_complaint_link(record=record, complaint=submitted.complaint)
            request.session.pop(SESSION_KEY, None)
            return receipt_keep(
                redirect("complaints:submitted"), submitted, emailed=bool(form.cleaned_data.get("email"))
            )
    else:
        form = PublicComplaintForm(
            initial={
                "category": Category.PERMITS,
                "department": record.department_id,
                "complainant_type": ComplainantType.ENTERPRISE,
                # The item only: the application number (or its day) would tell the department
                # which applicant complained once the text is released to it; staff see the record
                # linked to the complaint.
                "description": _("About my application for “%(item)s”: ") % {"item": record.item.name},
            }
        )
    return render(request, "complaints/new.html", {"form": form, "approval_record": record})

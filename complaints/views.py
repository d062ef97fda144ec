"""Public intake pages: form -> service -> redirect. The liaison portal is in portal_views."""

import base64
import json
import secrets
import time

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from complaints.forms import MessageReplyForm, PublicComplaintForm, RatingForm, SupplementForm, TrackForm
from complaints.models import Attachment, Channel, Complaint
from complaints.selectors import (
    complaint_by_tracking_code,
    complaint_public_timeline,
)
from complaints.services import (
    SubmittedComplaint,
    complaint_message_reply,
    complaint_messages_mark_read,
    complaint_rate,
    complaint_submit,
    complaint_supplement_add,
)
from core.errors import outage_page
from core.fallback import fallback_add, fallback_key
from core.outage import OUTAGE_ERRORS
from core.ratelimit import rate_limited

TRACKED_KEY = "complaints:tracked"
RECEIPT_SECONDS = 600
TRACKED_SECONDS = 1800


RECEIPT_COOKIE = "envopt_receipt"
RECEIPT_SALT = "complaints.receipt"


def _receipt_cipher() -> Fernet:
    """Fernet (AES and an HMAC) under a key derived from SECRET_KEY for the receipt alone."""
    key = salted_hmac(RECEIPT_SALT, "receipt-cookie-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def receipt_keep(
    response: HttpResponse, submitted: SubmittedComplaint, *, emailed: bool, on_behalf: bool = False
) -> HttpResponse:
    """Keep the code for the confirmation page for ten minutes in the browser that filed it, in a
    cookie encrypted with the server's key: never in a URL, never readable in the browser or on
    the way, and nothing stored on the server — not even in the cache, so the receipt is shown
    when Redis is down. No session row either (the public form is the busiest write)."""
    receipt = {
        "code": submitted.tracking_code,
        "reference": submitted.complaint.reference,
        "emailed": emailed,
        # Filed by a liaison point or supervisor for an enterprise: the code is to be handed on.
        "on_behalf": on_behalf,
        # Marks the receipt shown (receipt_take), so a copy of the cookie shows nothing.
        "once": secrets.token_urlsafe(16),
    }
    response.set_cookie(
        RECEIPT_COOKIE,
        _receipt_cipher().encrypt(json.dumps(receipt).encode()).decode(),
        max_age=RECEIPT_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def receipt_take(request) -> dict | None:
    """The receipt, once: a receipt shown is marked in the database (core/fallback.py) for as long
    as its cookie could be valid, and the page deletes the cookie."""
    token = request.COOKIES.get(RECEIPT_COOKIE)
    if not token:
        return None
    try:
        receipt = json.loads(_receipt_cipher().decrypt(token.encode(), ttl=RECEIPT_SECONDS))
    except (InvalidToken, ValueError, UnicodeError):
        return None
    if not isinstance(receipt, dict) or not isinstance(receipt.get("once"), str):
        return None
    if not fallback_add(fallback_key("receipt-shown", receipt.pop("once")), timeout=RECEIPT_SECONDS):
        return None
    return receipt


def _tracked_complaint(request) -> Complaint | None:
    """The complaint looked up in this browser, for 30 minutes (computers are shared)."""
    tracked = request.session.get(TRACKED_KEY)
    if not isinstance(tracked, dict) or tracked.get("until", 0) < time.time():
        request.session.pop(TRACKED_KEY, None)
        return None
    return Complaint.objects.select_related("department").filter(pk=tracked["pk"]).first()


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-submit", "INTAKE_SUBMIT_RATE")
def complaint_new(request):
    if request.method == "POST":
        form = PublicComplaintForm(request.POST, request.FILES)
        try:
            submitted = (
                complaint_submit(
                    data=form.complaint_data(),
                    identity=form.identity_data(),
                    uploads=form.cleaned_data["uploads"],
                    channel=Channel.WEB,
                )
                if form.is_valid()
                else None
            )
        except OUTAGE_ERRORS:
            # Raised before complaint_submit's transaction committed (after it, nothing here
            # touches Redis: the receipt is a cookie, publishing is after commit and never
            # raises), so nothing was filed, and the page says so.
            return outage_page(request, "complaints/not_filed.html")
        if submitted is not None:
            return receipt_keep(
                redirect("complaints:submitted"), submitted, emailed=bool(form.cleaned_data.get("email"))
            )
    else:
        form = PublicComplaintForm()
    return render(request, "complaints/new.html", {"form": form})


@never_cache
def complaint_submitted(request):
    # Shown once: nothing keeps the code for the next user of this browser.
    submitted = receipt_take(request)
    if submitted is None:
        return redirect("complaints:track")
    response = render(request, "complaints/submitted.html", submitted)
    response.delete_cookie(RECEIPT_COOKIE, samesite="Lax")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-track", "INTAKE_TRACK_RATE")
def complaint_track(request):
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        complaint = complaint_by_tracking_code(form.cleaned_data["code"])
        if complaint is not None:
            # The code is never put in a URL (it would end up in logs and browser history).
            request.session.cycle_key()
            request.session[TRACKED_KEY] = {"pk": complaint.pk, "until": time.time() + TRACKED_SECONDS}
            return redirect("complaints:status")
        form.add_error("code", _("No complaint matches this code. Check it and try again."))
    return render(request, "complaints/track.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-supplement", "INTAKE_SUPPLEMENT_RATE")
def complaint_status(request):
    complaint = _tracked_complaint(request)
    if complaint is None:
        return redirect("complaints:track")
    supplement_form, rating_form = SupplementForm(), RatingForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "forget":
            request.session.pop(TRACKED_KEY, None)
            return redirect("complaints:track")
        if action == "supplement":
            supplement_form = SupplementForm(request.POST, request.FILES)
            if supplement_form.is_valid():
                complaint_supplement_add(
                    complaint=complaint,
                    text=supplement_form.cleaned_data["text"],
                    uploads=supplement_form.cleaned_data["uploads"],
                )
                messages.success(request, _("Your additional information has been added."))
                return redirect("complaints:status")
        elif action == "rate":
            rating_form = RatingForm(request.POST)
            if rating_form.is_valid():
                try:
                    complaint_rate(
                        complaint=complaint,
                        level=rating_form.cleaned_data["level"],
                        comment=rating_form.cleaned_data["comment"],
                    )
                except ValidationError as error:
                    rating_form.add_error(None, error)
                else:
                    messages.success(request, _("Thank you for rating the outcome."))
                    return redirect("complaints:status")
    return _status_page(request, complaint, supplement_form=supplement_form, rating_form=rating_form)


def _status_page(request, complaint, *, supplement_form=None, rating_form=None, reply_form=None):
    """The tracking page. The centre's messages shown on it are marked read (after the page's
    data is read, so that the page can still say which ones are new)."""
    timeline = complaint_public_timeline(complaint)
    if timeline["unread"]:
        complaint_messages_mark_read(complaint=complaint)
    context = {
        "complaint": complaint,
        "supplement_form": supplement_form or SupplementForm(),
        "rating_form": rating_form or RatingForm(),
        "reply_form": reply_form or MessageReplyForm(),
        **timeline,
    }
    return render(request, "complaints/status.html", context)


@never_cache
@require_http_methods(["POST"])
@rate_limited("complaint-message", "INTAKE_SUPPLEMENT_RATE")
def complaint_message_reply_view(request):
    """The complainant answers the centre (or writes to it) from the tracking page."""
    complaint = _tracked_complaint(request)
    if complaint is None:
        return redirect("complaints:track")
    form = MessageReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            complaint_message_reply(
                complaint=complaint, text=form.cleaned_data["text"], uploads=form.cleaned_data["uploads"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your message has been sent to the complaint centre."))
            return redirect(reverse("complaints:status") + "#messages")
    return _status_page(request, complaint, reply_form=form)


@login_required
@permission_required("complaints.view_attachment", raise_exception=True)
def attachment_download(request, pk: int):
    """Evidence is streamed only to staff allowed to see it; never served as a static file."""
    attachment = get_object_or_404(Attachment, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.display_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

"""The respondent's pages (phone-first) and the department's results page.

* /appraisal/i/<token>/ is the one-time link of an e-mailed invitation. Opening it keeps the
  invitation in the session (an hour) and redirects to /appraisal/answer/, so no later page,
  form post or error carries the token, and the token's own responses are never written to the
  request log (Django logs every 4xx response with its path). Rate-limited per client address.
* /appraisal/p/<public key>/ is a campaign's open public link, when staff opened it; posting it
  is rate-limited like the public complaint form.
* /dept/appraisal/ shows a department its results once a campaign is closed: aggregates, and
  free text only where at least five answers exist, redacted and identity-checked."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from appraisal.campaigns.forms import AnswerForm
from appraisal.campaigns.selectors import campaign_results, campaigns_for_departments, department_free_texts
from appraisal.campaigns.services import answer_submit, invitation_by_token
from appraisal.models import Campaign, Invitation
from casework.selectors import departments_of
from core.ratelimit import client_address, rate_limit_exceeded, rate_limited, rate_parse

SESSION_KEY = "appraisal:invitation"
SESSION_SECONDS = 3600


def _unlogged(response):
    # Django's request logger writes the path of every 4xx response; /appraisal/i/<token>/ must not be.
    response._has_been_logged = True
    return response


def _limited(request) -> bool:
    return settings.INTAKE_RATE_LIMITS_ENABLED and rate_limit_exceeded(
        group="appraisal-link", identity=client_address(request), rate=settings.INSPECTION_PAGE_RATE
    )


def _too_many(request):
    seconds = rate_parse(settings.INSPECTION_PAGE_RATE)[1]
    response = render(request, "429.html", {"minutes": seconds // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return _unlogged(response)


@never_cache
@require_GET
def invitation_open(request, token: str):
    """The e-mailed one-time link: keep the invitation in the session, continue at the form."""
    if _limited(request):
        return _too_many(request)
    invitation = invitation_by_token(token)
    if invitation is None:
        return _unlogged(render(request, "appraisal/campaign/unknown.html", status=404))
    request.session[SESSION_KEY] = {"pk": invitation.pk, "until": time.time() + SESSION_SECONDS}
    return redirect("appraisal:answer")


def _kept_invitation(request) -> Invitation | None:
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("until", 0) < time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    return (
        Invitation.objects.select_related("campaign")
        .filter(pk=kept.get("pk"), used=False, campaign__status=Campaign.Status.OPEN)
        .first()
    )


def _answer_page(request, *, campaign: Campaign, invitation: Invitation | None):
    form = AnswerForm(request.POST if request.method == "POST" else None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            answer_submit(campaign=campaign, answers=form.answers(), invitation=invitation)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(SESSION_KEY, None)
            return redirect("appraisal:thanks")
    return render(
        request,
        "appraisal/campaign/answer.html",
        {"campaign": campaign, "form": form, "public": invitation is None},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request):
    """The questionnaire of the invitation opened in this session."""
    invitation = _kept_invitation(request)
    if invitation is None:
        return render(request, "appraisal/campaign/unknown.html", {"expired": True})
    if request.method == "POST" and _limited(request):
        return _too_many(request)
    return _answer_page(request, campaign=invitation.campaign, invitation=invitation)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("complaint-submit", "INTAKE_SUBMIT_RATE")
def public_answer(request, key: str):
    """The campaign's open public link."""
    campaign = Campaign.objects.filter(
        public_key=key, public_link_enabled=True, status=Campaign.Status.OPEN
    ).first()
    if campaign is None:
        raise Http404
    return _answer_page(request, campaign=campaign, invitation=None)


@require_GET
def thanks(request):
    return render(request, "appraisal/campaign/thanks.html")


@login_required
@permission_required("liaison.access_department_portal", raise_exception=True)
@never_cache
@require_GET
def department_list(request):
    """The closed campaigns that appraised the user's departments."""
    campaigns = campaigns_for_departments(department_ids=departments_of(request.user))
    return render(request, "appraisal/campaign/department_list.html", {"campaigns": campaigns})


@login_required
@permission_required("liaison.access_department_portal", raise_exception=True)
@never_cache
@require_GET
def department_results(request, pk: int):
    """A department's results in one closed campaign: its own departments only."""
    department_ids = departments_of(request.user)
    campaign = get_object_or_404(campaigns_for_departments(department_ids=department_ids), pk=pk)
    results = campaign_results(campaign=campaign, department_ids=department_ids)
    rows = [
        (
            result,
            department_free_texts(
                campaign=campaign, department_id=result.department_id, answers=result.answers
            ),
        )
        for result in results
    ]
    return render(request, "appraisal/campaign/department_results.html", {"campaign": campaign, "rows": rows})

"""Request guards: a well-formed request id, the body-size limit (before the body is read), the
second-factor gate, and the actor of access changes."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from core.accounts_audit import access_audit_request
from core.logs import current_request_reset, current_request_set
from core.twofactor import two_factor_satisfied

# A UUID as 32 hex digits or in its canonical 8-4-4-4-12 form, nothing else.
_REQUEST_ID = re.compile(
    r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


class RequestIdHeaderMiddleware:
    """Drop an incoming request id header that is not a well-formed UUID, so that django-guid's
    middleware (next) makes a new one rather than writing the client's text into every log line
    and the response header. django-guid checks with ``uuid.UUID()``, which also takes braces,
    a ``urn:uuid:`` prefix, whitespace and underscores; only the two plain forms pass here."""

    def __init__(self, get_response):
        self.get_response = get_response
        header = settings.DJANGO_GUID.get("GUID_HEADER_NAME", "Correlation-ID")
        self.meta_key = "HTTP_" + header.upper().replace("-", "_")

    def __call__(self, request):
        given = request.META.get(self.meta_key)
        if given is not None and not _REQUEST_ID.fullmatch(given):
            del request.META[self.meta_key]
        return self.get_response(request)


class CurrentRequestMiddleware:
    """Keep the request in a context variable while it is answered, so that the log redaction
    and the Sentry scrubbing (core.logs.request_identity) can remove the identity its form sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request_set(request)
        try:
            return self.get_response(request)
        finally:
            current_request_reset(token)


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds MAX_REQUEST_BODY_SIZE before anything reads
    it: CSRF checking would otherwise parse the whole upload first. (A front proxy should cap
    bodies too, e.g. nginx client_max_body_size, for requests that declare no length.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = settings.MAX_REQUEST_BODY_SIZE + 1
        if declared > settings.MAX_REQUEST_BODY_SIZE:
            return render(request, "413.html", {"limit": settings.MAX_REQUEST_BODY_SIZE // 2**20}, status=413)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Until a session that needs a second factor has passed it, it reaches only the login, the
    second-factor pages, logout, static files, the language switch and the health probe: every
    other page (the admin, the dashboard, the portals, attachments) sends it to the second-factor
    step, and the API answers 403 in JSON. Deny by default, so a new staff page needs no decorator.
    Runs after django-otp's OTPMiddleware, which tells whether the session is verified."""

    API_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def open_prefixes() -> tuple[str, ...]:
        # Reversed per use (only for unverified sessions, which are few): tests swap URLconfs.
        return (
            reverse("accounts:login"),
            reverse("accounts:logout"),
            reverse("accounts:two_factor_verify"),
            reverse("accounts:two_factor_setup"),
            reverse("admin:logout"),
            reverse("set_language"),
            reverse("healthz"),
            settings.STATIC_URL,
        )

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not two_factor_satisfied(user)
            and not request.path_info.startswith(self.open_prefixes())
        ):
            if request.path_info.startswith(self.API_PREFIX):
                return JsonResponse(
                    {"detail": gettext("Complete the second login step (authenticator code) first.")},
                    status=403,
                )
            verify = reverse("accounts:two_factor_verify")
            return redirect(f"{verify}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
        return self.get_response(request)


class AccessAuditActorMiddleware:
    """Makes the request's user the actor of any role or permission change recorded while the
    request runs (core.accounts_audit); outside a request the actor is the system."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with access_audit_request(request):
            return self.get_response(request)

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off as axes_cool_off
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from core.accounts_forms import CodeForm, LoginForm
from core.health import health_report
from core.metrics import metrics_access, metrics_exposition
from core.ratelimit import client_address
from core.twofactor import (
    backup_codes_issue,
    backup_codes_remaining,
    second_factor_locked_until,
    second_factor_verify,
    session_verify,
    totp_device_confirmed,
    totp_enrolment_confirm,
    totp_enrolment_device,
    totp_qr_data_uri,
    totp_secret,
    two_factor_required,
    two_factor_verified,
)

# Backup codes wait here between the POST that makes them and the page that shows them once.
BACKUP_CODES_SESSION_KEY = "two_factor_backup_codes"


@never_cache
@require_GET
def healthz(request):
    healthy, report = health_report()
    return JsonResponse({"status": "ok" if healthy else "error", **report}, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request):
    """Prometheus' scrape: only from METRICS_ALLOWED_IPS or with the bearer METRICS_TOKEN."""
    access = metrics_access(request)
    if access == 404:
        raise Http404
    if access == 403:
        return HttpResponseForbidden()
    return HttpResponse(metrics_exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


@login_required
def landing(request):
    """Where a login leads: each role to its own workplace."""
    user = request.user
    if (
        user.has_perm("casework.view_dashboard")
        and not user.has_perm("casework.handle_case")
        and _url_exists("dashboard:index")
    ):
        return redirect("dashboard:index")  # leaders read the quarter first
    if user.is_staff:
        return redirect("admin:index")
    if user.has_perm("liaison.access_department_portal") and _url_exists("department_portal:home"):
        return redirect("department_portal:home")
    if user.has_perm("liaison.access_liaison_portal"):
        return redirect("liaison_portal:home")
    return redirect("home")


def _url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


# --- Login, second factor, lockout -------------------------------------------------------------


def _next_url(request) -> str:
    """Where to go after the login steps: the ?next= of this request if it stays on this site."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


class PortalLoginView(auth_views.LoginView):
    """The one password form, for /accounts/login/ and (by redirect) /admin/login/. django-axes
    counts its failures; an account that needs a second factor goes on to that step."""

    form_class = LoginForm
    template_name = "registration/login.html"
    # An authenticated user sent here by a page they may not open (a department user at /admin/)
    # sees the form and may log in as someone else; redirecting them back would loop.
    redirect_authenticated_user = False

    def get_success_url(self):
        url = super().get_success_url()
        if two_factor_required(self.request.user):
            return _with_next("accounts:two_factor_verify", url)
        return url


def _two_factor_page(request, template: str, context: dict, *, status: int = 200):
    return render(request, template, {"next": _next_url(request), **context}, status=status)


@never_cache
@sensitive_post_parameters("code")
def two_factor_verify(request):
    """The second login step: a code from the authenticator app, or a backup code. Wrong codes
    count towards the same lockout as wrong passwords (django-axes), on top of django-otp's own
    back-off per device."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next_url(request)
    if not two_factor_required(user) or two_factor_verified(user):
        return redirect(next_url)
    if totp_device_confirmed(user) is None:
        return redirect(_with_next("accounts:two_factor_setup", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout(request, None, credentials)
        device = second_factor_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            session_verify(request, device)
            address = client_address(request)
            if address:
                axes_reset(ip=address, username=user.get_username())
            return redirect(next_url)
        locked_until = second_factor_locked_until(user)
        if locked_until is not None:
            form.add_error(
                "code",
                gettext("Too many wrong codes. Wait until %(time)s, then enter the code your app shows then.")
                % {"time": date_format(timezone.localtime(locked_until), "H:i:s")},
            )
        else:
            form.add_error("code", gettext("This code is not valid. Enter the code your app shows now."))
        # Counted by django-axes like a wrong password; at the limit its middleware answers with
        # the lockout page instead of this one.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return _two_factor_page(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "backup_codes_left": backup_codes_remaining(user)},
    )


@never_cache
@sensitive_post_parameters("code")
def two_factor_setup(request):
    """Enrolment: scan the QR code (drawn here) or type the secret, confirm with a code, then see
    the backup codes once. A person who already has an authenticator must pass it first: a
    password alone never replaces someone's second factor."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next_url(request)
    if not two_factor_required(user):
        return redirect(next_url)
    if totp_device_confirmed(user) is not None and not two_factor_verified(user):
        return redirect(_with_next("accounts:two_factor_verify", next_url))
    device = totp_enrolment_device(user=user)
    form = CodeForm(request.POST or None, digits_only=True)
    if request.method == "POST" and form.is_valid():
        codes = totp_enrolment_confirm(user=user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            session_verify(request, device)
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect(_with_next("accounts:two_factor_backup_codes", next_url))
        device.refresh_from_db()
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            message = gettext(
                "Too many wrong codes. Wait until %(time)s, then enter the code your app shows then."
            ) % {"time": date_format(timezone.localtime(data["locked_until"]), "H:i:s")}
        else:
            message = gettext(
                "This code does not match. Check that the app scanned this page's code and that "
                "your phone's clock is right, then enter the code it shows now."
            )
        form.add_error("code", message)
    return _two_factor_page(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_code": totp_qr_data_uri(device),
            "secret": totp_secret(device),
            "replacing": totp_device_confirmed(user) is not None,
        },
    )


@never_cache
def two_factor_backup_codes(request):
    """Backup codes are shown once, right after they are made; afterwards only how many are left,
    and a button that makes a new set (the old one stops working)."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not two_factor_verified(user):
        return redirect(_with_next("accounts:two_factor_verify", request.get_full_path()))
    if request.method == "POST":
        request.session[BACKUP_CODES_SESSION_KEY] = backup_codes_issue(user=user)
        return redirect(_with_next("accounts:two_factor_backup_codes", _next_url(request)))
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    return _two_factor_page(
        request,
        "accounts/two_factor_backup_codes.html",
        {"codes": codes, "backup_codes_left": backup_codes_remaining(user)},
    )


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer once a client is locked out (AXES_LOCKOUT_CALLABLE): 429, translated,
    saying when to try again. Each attempt while locked restarts the cool-off, so that is the
    cool-off from now."""
    cool_off = axes_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60))
    retry_at = timezone.localtime(timezone.now() + cool_off)
    message = gettext("Too many failed login attempts. Try again in %(minutes)s minutes, after %(time)s.") % {
        "minutes": minutes,
        "time": date_format(retry_at, "H:i"),
    }
    if request.path_info.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        response = JsonResponse({"detail": message, "retry_after_minutes": minutes}, status=429)
    else:
        response = render(
            request,
            "accounts/lockout.html",
            {"minutes": minutes, "retry_at": retry_at, "message": message},
            status=429,
        )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response

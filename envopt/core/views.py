from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from envopt.core.health import health_report


@never_cache
@require_GET
def healthz(request):
    healthy, report = health_report()
    return JsonResponse({"status": "ok" if healthy else "error", **report}, status=200 if healthy else 503)


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
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True

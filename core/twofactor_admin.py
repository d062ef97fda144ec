"""The staff workplace's admin site: staff status is not enough, the session must also have
passed the second factor. TwoFactorRequiredMiddleware already keeps unverified sessions out of
/admin/; this is the same rule at the admin's own gate, so that it holds wherever the admin is
mounted and whatever the middleware list becomes."""

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from core.twofactor import two_factor_satisfied


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and two_factor_satisfied(request.user)

    def get_urls(self):
        # Logging out must work for a session that has not passed the second factor (the admin
        # wraps its own logout in has_permission, which such a session fails).
        return [path("logout/", self.logout, name="logout"), *super().get_urls()]

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """/admin/login/ is the portal's own login, so the lockout and the second factor are the
        same on both paths (and there is one form to attack, not two)."""
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")

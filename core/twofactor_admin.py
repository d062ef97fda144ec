"""The staff workplace's admin site: staff status is not enough, the session must also have
passed the second factor. TwoFactorRequiredMiddleware already keeps unverified sessions out of
/admin/; this is the same rule at the admin's own gate, so that it holds wherever the admin is
mounted and whatever the middleware list becomes."""

import threading
from collections import OrderedDict
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import get_script_prefix, path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from core.twofactor import two_factor_satisfied


def _app_copy(app: dict) -> dict:
    return {**app, "models": [dict(model) for model in app["models"]]}


def _names_translated(built: dict) -> dict:
    """The app and model names as plain strings in the language of the cache key: a lazy name
    is translated again at each comparison of the admin's sort and at each render."""
    for app in built.values():
        app["name"] = str(app["name"])
        for model in app["models"]:
            model["name"] = str(model["name"])
    return built


class StaffAdminSite(admin.AdminSite):
    # Every admin page lists the models the user may see (the sidebar; the index): over a hundred
    # models, each with its permission checks and two URL reversals, a sixth of a list page's time.
    # What a user may see there depends on their permissions only (no ModelAdmin here decides
    # module, view, add, change or delete permission without an object on anything else), so the
    # list is built once per set of permissions, language and script prefix, and copied out (the
    # admin sorts the lists it gets in place).
    APP_LISTS_KEPT = 64

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._app_dicts: OrderedDict = OrderedDict()
        self._app_dicts_lock = threading.Lock()
        self._sidebars: OrderedDict = OrderedDict()
        self._sidebars_lock = threading.Lock()

    SIDEBARS_KEPT = 256

    def sidebar_kept(self, key, render) -> str:
        """The rendered sidebar for ``key`` (the user's list of models, the language, the
        entries the page's path falls under), rendered by ``render()`` the first time."""
        with self._sidebars_lock:
            html = self._sidebars.get(key)
            if html is not None:
                self._sidebars.move_to_end(key)
                return html
        html = render()
        with self._sidebars_lock:
            self._sidebars[key] = html
            while len(self._sidebars) > self.SIDEBARS_KEPT:
                self._sidebars.popitem(last=False)
        return html

    def _build_app_dict(self, request, label=None):
        user = request.user
        key = (
            label,
            user.is_active,
            user.is_superuser,
            # A superuser may do everything: no permission is read for them (two queries saved).
            frozenset() if user.is_superuser else frozenset(user.get_all_permissions()),
            get_language(),
            get_script_prefix(),
        )
        if label is None:
            request.admin_app_list_key = key  # the sidebar kept per list (core.templatetags.admin_sidebar)
        with self._app_dicts_lock:
            built = self._app_dicts.get(key)
            if built is not None:
                self._app_dicts.move_to_end(key)
        if built is None:
            built = super()._build_app_dict(request, label)
            if built is not None:
                built = _names_translated({label: built} if label else built)
                built = built[label] if label else built
            with self._app_dicts_lock:
                self._app_dicts[key] = built
                while len(self._app_dicts) > self.APP_LISTS_KEPT:
                    self._app_dicts.popitem(last=False)
        if built is None:
            return None
        if label:
            return _app_copy(built)
        return {app_label: _app_copy(app) for app_label, app in built.items()}

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

"""Test URLs: the project's (with the notification pages, see ``reports.tests.urls``), plus the
dashboard and the public figures where the project does not include them yet."""

from django.urls import include, path

from reports.dashboard.urls import public_patterns
from reports.tests.urls import urlpatterns as base_urlpatterns

_namespaces = {getattr(pattern, "namespace", None) for pattern in base_urlpatterns}

urlpatterns = list(base_urlpatterns)
if "dashboard" not in _namespaces:
    urlpatterns.insert(0, path("dashboard/", include("reports.dashboard.urls")))
if "figures" not in _namespaces:
    urlpatterns.insert(0, path("figures/", include(public_patterns)))

"""The API, included at /api/: the versioned endpoints, the OpenAPI schema and its docs page."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from casework import api

app_name = "api"

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")
router.register("complaints", api.ComplaintViewSet, basename="complaint")
router.register("referrals", api.ReferralViewSet, basename="referral")
router.register("departments", api.DepartmentViewSet, basename="department")
router.register("events", api.CaseEventViewSet, basename="event")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", api.SchemaView.as_view(), name="schema"),
    path("docs/", api.DocsView.as_view(url_name="api:schema"), name="docs"),
    # Last: whatever is left under /api/ is a JSON 404. Only this file's paths are behind it;
    # API paths mounted in envopt/urls.py before this include (the token endpoints) still answer.
    re_path(r"^(?P<path>.*)$", api.not_found, name="not_found"),
]

"""The API, included at /api/: the versioned endpoints, the OpenAPI schema and its docs page."""

from django.urls import include, path
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
]

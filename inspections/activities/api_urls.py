"""The trainings and awards API, mounted at /api/v1/activities/ in envopt/urls.py."""

from rest_framework.routers import SimpleRouter

from inspections.activities import api

app_name = "activities_api"

router = SimpleRouter()
router.register("filings", api.ActivityFilingViewSet, basename="filing")
router.register("cancelled", api.CancelledActivityViewSet, basename="cancelled")
router.register("flags", api.ActivityFlagViewSet, basename="flag")

urlpatterns = router.urls

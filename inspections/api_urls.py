"""The inspections API, mounted at /api/v1/ in envopt/urls.py ahead of casework's API (which may
not import this app: the layers)."""

from rest_framework.routers import SimpleRouter

from inspections import api

app_name = "inspections_api"

router = SimpleRouter()
router.register("inspections", api.InspectionViewSet, basename="inspection")
router.register("enterprises", api.EnterpriseViewSet, basename="enterprise")

urlpatterns = router.urls

"""The openness API, mounted at /api/v1/openness/ in envopt/urls.py ahead of casework's API."""

from rest_framework.routers import SimpleRouter

from appraisal.openness import api

app_name = "openness_api"

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("findings", api.FindingViewSet, basename="finding")
router.register("demonstration-sites", api.DemonstrationSiteViewSet, basename="site")

urlpatterns = router.urls

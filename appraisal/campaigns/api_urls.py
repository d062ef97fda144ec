"""The appraisal API, mounted at /api/v1/appraisal/ in envopt/urls.py ahead of casework's API."""

from rest_framework.routers import SimpleRouter

from appraisal.campaigns import api

app_name = "appraisal_api"

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")

urlpatterns = router.urls

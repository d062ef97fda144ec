"""The assessments' API, mounted at /api/v1/approvals/assessments/ in envopt/urls.py (approvals'
own API may not import reports: the layers)."""

from rest_framework.routers import SimpleRouter

from reports.dashboard import assessment_api

app_name = "assessments_api"

router = SimpleRouter()
router.register("", assessment_api.AssessmentViewSet, basename="assessment")

urlpatterns = router.urls

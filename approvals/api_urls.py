"""The approvals API, mounted at /api/v1/approvals/ in envopt/urls.py ahead of casework's API
(whose catch-all answers every other /api/ path)."""

from rest_framework.routers import SimpleRouter

from approvals import api

app_name = "approvals_api"

router = SimpleRouter()
router.register("items", api.ItemViewSet, basename="item")
router.register("records", api.RecordViewSet, basename="record")
router.register("signals", api.SignalViewSet, basename="signal")

urlpatterns = router.urls

"""The associations API, mounted at /api/v1/ in envopt/urls.py."""

from rest_framework.routers import SimpleRouter

from casework import api_associations

app_name = "associations_api"

router = SimpleRouter()
router.register("associations", api_associations.AssociationViewSet, basename="association")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from .views import BuildingViewSet, MergeViewSet, PersonViewSet, ResidenceViewSet, ReviewItemViewSet

router = SimpleRouter()
router.register("buildings", BuildingViewSet, basename="building")
router.register("people", PersonViewSet, basename="person")
router.register("residences", ResidenceViewSet, basename="residence")
router.register("registry/reviews", ReviewItemViewSet, basename="review-item")
router.register("registry/merges", MergeViewSet, basename="merge")

from ..organisations.api.urls import urlpatterns as organisation_urls  # noqa: E402

urlpatterns = router.urls + organisation_urls

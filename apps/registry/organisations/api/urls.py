from rest_framework.routers import SimpleRouter

from .views import AlertViewSet, EmploymentViewSet, OrganisationViewSet, WatchRuleViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("employments", EmploymentViewSet, basename="employment")
router.register("watch-rules", WatchRuleViewSet, basename="watch-rule")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = router.urls

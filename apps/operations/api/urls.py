from rest_framework.routers import SimpleRouter

from .views import CheckInViewSet, PatrolPointViewSet, PatrolViewSet, TaskViewSet, VisitViewSet

router = SimpleRouter()
router.register("patrols", PatrolViewSet, basename="patrol")
router.register("patrol-points", PatrolPointViewSet, basename="patrol-point")
router.register("checkins", CheckInViewSet, basename="checkin")
router.register("visits", VisitViewSet, basename="visit")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = router.urls

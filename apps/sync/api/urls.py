from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ConflictViewSet, PullView, PushView

router = SimpleRouter()
router.register("conflicts", ConflictViewSet, basename="sync-conflict")

urlpatterns = [
    path("push/", PushView.as_view(), name="sync-push"),
    path("pull/", PullView.as_view(), name="sync-pull"),
    *router.urls,
]

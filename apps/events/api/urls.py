from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import EventCategoryList, EventNoticeList, EventTriageList, EventViewSet, RoutePreview

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")

urlpatterns = [
    path("events/categories/", EventCategoryList.as_view(), name="event-categories"),
    path("events/triage/", EventTriageList.as_view(), name="event-triage"),
    path("events/notices/", EventNoticeList.as_view(), name="event-notices"),
    path("events/route-preview/", RoutePreview.as_view(), name="event-route-preview"),
    *router.urls,
]

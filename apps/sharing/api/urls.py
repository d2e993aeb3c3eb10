from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AccessLogList,
    CatalogueList,
    FeedChangesView,
    FeedRecordView,
    SubscriptionViewSet,
    WebhookDeliveryViewSet,
    WebhookEndpointViewSet,
)

router = SimpleRouter()
router.register("sharing/subscriptions", SubscriptionViewSet, basename="subscription")
router.register("sharing/endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("sharing/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("sharing/catalogue/", CatalogueList.as_view(), name="sharing-catalogue"),
    path("sharing/access-log/", AccessLogList.as_view(), name="sharing-access-log"),
    path("feeds/<uuid:subscription_id>/changes/", FeedChangesView.as_view(), name="feed-changes"),
    path(
        "feeds/<uuid:subscription_id>/records/<str:record_type>/<uuid:record_id>/",
        FeedRecordView.as_view(),
        name="feed-record",
    ),
    *router.urls,
]

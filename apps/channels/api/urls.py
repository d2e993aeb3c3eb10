"""``/open311/v2/…`` (GeoReport v2, JSON and XML) and ``/api/v1/channels/…`` (administration, intake)."""

from django.urls import include, path, re_path

from . import open311, views

FMT = r"\.(?P<fmt>json|xml)$"

open311_urls = [
    re_path(r"^discovery" + FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, open311.services, name="open311-services"),
    re_path(
        r"^services/(?P<service_code>[\w.-]+?)" + FMT, open311.service_definition, name="open311-service"
    ),
    re_path(r"^requests" + FMT, open311.requests, name="open311-requests"),
    re_path(
        r"^requests/(?P<service_request_id>[\w-]+?)" + FMT, open311.request_detail, name="open311-request"
    ),
    re_path(r"^tokens/(?P<token>[\w-]+?)" + FMT, open311.token, name="open311-token"),
]

api_urls = [
    path("channels/", views.ChannelListView.as_view(), name="channel-list"),
    path("channels/<uuid:channel_id>/", views.ChannelDetailView.as_view(), name="channel-detail"),
    path(
        "channels/<uuid:channel_id>/mappings/", views.ChannelMappingsView.as_view(), name="channel-mappings"
    ),
    path("channels/<uuid:channel_id>/key/", views.ChannelKeyView.as_view(), name="channel-key"),
    path("channels/hotline/orders/", views.WorkOrdersView.as_view(), name="channel-hotline-orders"),
    path(
        "channels/requests/<uuid:request_id>/actions/",
        views.RequestActionView.as_view(),
        name="channel-request-action",
    ),
    path(
        "channels/events/<uuid:event_id>/callers/",
        views.EventCallersView.as_view(),
        name="channel-event-callers",
    ),
    path("channels/sensors/alarms/", views.AlarmsView.as_view(), name="channel-sensor-alarms"),
]

urlpatterns = [
    path("open311/v2/", include(open311_urls)),
    path("api/v1/", include(api_urls)),
]

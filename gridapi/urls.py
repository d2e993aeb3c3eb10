"""URL configuration: the versioned API under /api/v1/, schema and docs, health checks, the console, admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.core.views import healthz, readyz

api_v1 = [
    path("auth/", include("apps.accounts.api.urls")),
    path("territory/", include("apps.territory.api.urls")),
    path("departments/", include("apps.departments.api.urls")),
    path("departments/", include("apps.accounts.api.department_urls")),
    path("", include("apps.registry.api.urls")),
    path("", include("apps.events.api.urls")),
    path("", include("apps.operations.api.urls")),
    path("sync/", include("apps.sync.api.urls")),
    path("", include("apps.sharing.api.urls")),
    path("attachments/", include("apps.attachments.api.urls")),
    path("stats/", include("apps.stats.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("apps.channels.api.urls")),  # /open311/v2/ and /api/v1/channels/
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/docs/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("console/", include("apps.console.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"

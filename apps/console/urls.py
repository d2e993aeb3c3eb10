"""``/console/``: the governance centre's pages."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from .access import SignInView
from .views import events, indicators, maps, queues

app_name = "console"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:triage"), name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("language/", set_language, name="language"),
    path("map/", maps.map_page, name="map"),
    path("map/cells.json", maps.map_cells, name="map-cells"),
    path("map/grids.json", maps.map_grids, name="map-grids"),
    path("triage/", events.triage, name="triage"),
    path("triage/<uuid:pk>/dispatch/", events.dispatch, name="dispatch"),
    path("events/<uuid:pk>/", events.event_page, name="event"),
    path("events/<uuid:pk>/actions/", events.event_action, name="event-action"),
    path("reviews/", queues.reviews, name="reviews"),
    path("reviews/<uuid:pk>/decide/", queues.review_decide, name="review-decide"),
    path("merges/<uuid:pk>/undo/", queues.merge_undo, name="merge-undo"),
    path("conflicts/", queues.conflicts, name="conflicts"),
    path("conflicts/<uuid:pk>/resolve/", queues.conflict_decide, name="conflict-resolve"),
    path("indicators/", indicators.indicators, name="indicators"),
    path("patrols/", maps.patrols, name="patrols"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("indicators/", views.IndicatorsView.as_view(), name="stats-indicators"),
    path("registry/", views.RegistryStatsView.as_view(), name="stats-registry"),
]

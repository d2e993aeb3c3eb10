from django.urls import path

from .views import MeView, TokenView

urlpatterns = [
    path("token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="auth-me"),
]

"""The accounts endpoints that hang under a department (``/api/v1/departments/<id>/…``)."""

from django.urls import path

from .views import DepartmentApiKeysView

urlpatterns = [
    path("<uuid:pk>/api-keys/", DepartmentApiKeysView.as_view(), name="department-api-keys"),
]

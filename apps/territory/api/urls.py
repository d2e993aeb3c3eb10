from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import GridAssignmentViewSet, LocateView, TerritoryImportView, TerritoryNodeViewSet

router = SimpleRouter()
router.register("nodes", TerritoryNodeViewSet, basename="territory-node")
router.register("assignments", GridAssignmentViewSet, basename="grid-assignment")

urlpatterns = [
    path("locate/", LocateView.as_view(), name="territory-locate"),
    path("import/", TerritoryImportView.as_view(), name="territory-import"),
    *router.urls,
]

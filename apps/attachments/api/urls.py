from django.urls import path

from .views import AttachmentView

urlpatterns = [path("<str:sha256>/", AttachmentView.as_view(), name="attachment")]
# The URL takes any string so that a malformed hash gets a clear 400 rather than a bare 404.

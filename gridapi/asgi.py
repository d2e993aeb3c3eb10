"""ASGI entry point (``uvicorn gridapi.asgi:application``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
application = get_asgi_application()

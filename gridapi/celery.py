"""The Celery application: configuration from Django settings (``CELERY_*``), tasks from every app."""

import faulthandler
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")

# A crash in C code (geometry, H3, the driver) logs the Python stack of every thread before the process dies.
faulthandler.enable()

app = Celery("gridapi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""WSGI entry point (gunicorn ``gridapi.wsgi:application``)."""

import faulthandler
import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from apps.core.wsgi import read_chunked_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")
# A crash in C code (geometry, H3, the driver) logs the Python stack of every thread before the process dies.
faulthandler.enable()
application = read_chunked_bodies(get_wsgi_application())

# What is loaded now lives as long as the process: the views, serializers and schemas the URLs import, Django's
# and the libraries' modules. Frozen, the cycle collector's full passes leave those few hundred thousand
# objects alone instead of walking them all every few requests (a tenth of a large sync push's time).
get_resolver().url_patterns  # noqa: B018  # import every view now, to be frozen with the rest
gc.freeze()

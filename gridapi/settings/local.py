"""Settings for a developer's machine and for ``make run`` (the demo)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A fixed key is acceptable only here: the demo is not a deployment. production.py requires one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="gridapi-local-development-key-not-for-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])

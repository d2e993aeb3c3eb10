"""Settings for a developer's machine and for ``make run`` (the demo)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A fixed key is acceptable only here: the demo is not a deployment. production.py requires one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="gridapi-local-development-key-not-for-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])

# Development keys for personal numbers: fine for the demo, never for real data (production.py requires
# GRIDAPI_PII_KEYS and GRIDAPI_BLIND_INDEX_KEYS from the environment).
GRIDAPI_PII_KEYS = env("GRIDAPI_PII_KEYS", default="dev1:ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk")
GRIDAPI_BLIND_INDEX_KEYS = env(
    "GRIDAPI_BLIND_INDEX_KEYS", default="dev1:ZGV2LWJsaW5kLWluZGV4LWtleS1ub3QtZm9yLXByb2Q"
)

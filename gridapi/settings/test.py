"""Settings for the test suite: real PostGIS and Redis, fast password hashing."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "gridapi-test-key"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files (Swagger UI assets) from the finders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests share the Redis of the bootstrap with a running demo: keep their keys apart.
CACHES["default"]["KEY_PREFIX"] = "gridapi-test"  # noqa: F405
# Tests share the broker of the bootstrap with a running demo: their tasks go to their own queue.
CELERY_TASK_DEFAULT_QUEUE = "gridapi-test"
GRIDAPI_WEBHOOK_QUEUE = "gridapi-test-webhooks"
CELERY_TASK_ROUTES = {
    "apps.sharing.tasks.deliver_webhook": {"queue": GRIDAPI_WEBHOOK_QUEUE},
    "apps.sharing.tasks.deliver_webhooks": {"queue": GRIDAPI_WEBHOOK_QUEUE},
}

GRIDAPI_PII_KEYS = (
    "t2:dGVzdC1rZXktdHdvLXRlc3Qta2V5LXR3by10ZXN0LTI,t1:dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LTE"
)
GRIDAPI_BLIND_INDEX_KEYS = "i1:dGVzdC1pbmRleC1rZXktdGVzdC1pbmRleC1rZXktMDE"

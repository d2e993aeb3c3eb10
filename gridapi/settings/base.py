"""Settings shared by every environment. Configuration comes from the environment (12-factor).

Read order (earlier wins): the process environment, ``.env`` in the checkout (the operator's file),
``.var/env`` (written by the bootstrap script with the URLs of the private PostGIS and Redis).
"""

from pathlib import Path
from urllib.parse import quote, unquote

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
for env_file in (BASE_DIR / ".env", BASE_DIR / ".var" / "env"):
    if env_file.exists():
        env.read_env(str(env_file), overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    # Before the packages below: its ``spectacular`` command (English schema by default) takes precedence.
    "apps.core",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.journal",
    "apps.territory",
    "apps.departments",
    "apps.accounts",
    "apps.attachments",
    "apps.registry",
    "apps.events",
    "apps.operations",
    "apps.channels",
    "apps.sync",
    "apps.sharing",
    "apps.stats",
    "apps.console",
    "apps.demo",
]

MIDDLEWARE = [
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestSizeLimitMiddleware",
    "apps.core.middleware.RequestCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridapi.urls"
WSGI_APPLICATION = "gridapi.wsgi.application"
ASGI_APPLICATION = "gridapi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project templates override those of installed packages (e.g. Redoc without CDN fonts).
        "DIRS": [BASE_DIR / "gridapi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------------
# Without DATABASE_URL (and before the bootstrap has written .var/env) the private cluster's socket
# under .var/run is the default, so the error names the place a newcomer expects.
_default_db = f"postgis://postgres@{quote(str(BASE_DIR / '.var' / 'run'), safe='')}/gridapi"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_default_db)}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# A Unix-socket directory travels percent-encoded in the URL's host part.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = "gridapi"
# Statements bound on the server (``apps.core.bulk.bound_cursor``: the token look-up, a report's reads and
# writes, a push's batches) are prepared once a connection has run them this many times, so PostgreSQL stops
# parsing and planning them again. Django turns this off for connection poolers; behind a PgBouncer in
# transaction mode older than 1.21 (no ``max_prepared_statements``) set it to 0 (off).
_prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = _prepare_threshold or None
# A database that does not answer a new connection within this many seconds is down for this request (503).
DATABASES["default"]["OPTIONS"].setdefault(
    "connect_timeout", env.int("GRIDAPI_DB_CONNECT_TIMEOUT_SECONDS", default=3)
)
# PostgreSQL's JIT compilation pays off on long analytical scans; gridapi's statements take milliseconds, and
# a planner estimate above ``jit_above_cost`` (a patrol's derivation: PostGIS functions are costed high) made
# one spend 70 ms compiling a 35 ms statement. Off unless DATABASE_JIT=true. Behind a pooler that refuses
# startup options, set it on the database instead (``ALTER DATABASE … SET jit = off``).
if not env.bool("DATABASE_JIT", default=False):
    _options = DATABASES["default"]["OPTIONS"].get("options", "")
    DATABASES["default"]["OPTIONS"]["options"] = f"{_options} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# GeoJSON is parsed by GEOS/shapely, never by GDAL's file drivers, so GDAL < 3.9 (Debian 12) is acceptable.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- language and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / ".var" / "static"))
# Files (photos) use the storage API: the filesystem by default; an S3-compatible store (MinIO, OSS) with
# django-storages by setting DJANGO_DEFAULT_STORAGE=storages.backends.s3.S3Storage and its AWS_* variables.
STORAGES = {
    "default": {
        "BACKEND": env("DJANGO_DEFAULT_STORAGE", default="django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / ".var" / "media"))

# --- request limits ------------------------------------------------------------------------------
# Bodies above this are refused with 413 before they are read (sync batches are capped at 5 MB).
GRIDAPI_MAX_REQUEST_BYTES = env.int("GRIDAPI_MAX_REQUEST_BYTES", default=12 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = GRIDAPI_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- cache and broker ----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
_cache_url = env("CACHE_URL", default="")
# Throttling counters only: a stopped or hung Redis must cost a request milliseconds, not redis-py's default
# of waiting for ever (throttles then allow; see apps.accounts.throttling).
GRIDAPI_CACHE_TIMEOUT_SECONDS = env.float("GRIDAPI_CACHE_TIMEOUT_SECONDS", default=0.25)
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.RedisCache",  # Django's, keeping its client (see the module)
            "LOCATION": _cache_url,
            "OPTIONS": {
                "socket_connect_timeout": GRIDAPI_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": GRIDAPI_CACHE_TIMEOUT_SECONDS,
            },
        }
    }
elif _cache_url:
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    # Counters (throttling) must agree across processes: the database is the fallback, never local memory.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gridapi_cache"}
    }

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueueing from a request must not hang on a stopped or hung broker: what must not be lost is in the journal
# or an outbox row, and beat re-sends it; a failed enqueue is logged, never the request's failure.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("GRIDAPI_BROKER_TIMEOUT_SECONDS", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 2 * CELERY_BROKER_CONNECTION_TIMEOUT + 1,  # above the workers' 1 s blocking reads
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "accounts-prune-expired-tokens": {"task": "apps.accounts.tasks.prune_expired_tokens", "schedule": 3600.0},
    "events-scan-overdue": {
        "task": "apps.events.tasks.scan_overdue_events",
        "schedule": env.float("GRIDAPI_EVENT_SCAN_SECONDS", default=60.0),
    },
    # Operations: this period's scheduled tasks (a run repeated makes none twice), then overdue tasks noticed.
    "operations-schedule": {"task": "apps.operations.tasks.run_operations_schedule", "schedule": 3600.0},
    "sync-prune-applied-mutations": {
        "task": "apps.sync.tasks.prune_applied_mutations",
        "schedule": 6 * 3600.0,
    },
    # Webhooks: make outbox rows of new changes and event notices, and re-send what is due (retries, and
    # deliveries whose worker died). A run older than its interval is dropped: the next one does its work.
    "sharing-fanout-webhooks": {
        "task": "apps.sharing.tasks.fanout_webhooks",
        "schedule": env.float("GRIDAPI_WEBHOOK_FANOUT_SECONDS", default=5.0),
        "options": {"expires": env.float("GRIDAPI_WEBHOOK_FANOUT_SECONDS", default=5.0)},
    },
    "sharing-deliver-due-webhooks": {
        "task": "apps.sharing.tasks.deliver_due_webhooks",
        "schedule": env.float("GRIDAPI_WEBHOOK_DUE_SECONDS", default=5.0),
        "options": {"expires": env.float("GRIDAPI_WEBHOOK_DUE_SECONDS", default=5.0)},
    },
}
# Webhook deliveries have a queue of their own: a backlog of them must not hold back (and expire) the
# periodic fan-out, re-sends and overdue scan on the default queue. Workers consume both
# (``-Q celery,webhooks``), or run separate pools per queue.
GRIDAPI_WEBHOOK_QUEUE = env("GRIDAPI_WEBHOOK_QUEUE", default="webhooks")
CELERY_TASK_ROUTES = {
    "apps.sharing.tasks.deliver_webhook": {"queue": GRIDAPI_WEBHOOK_QUEUE},
    "apps.sharing.tasks.deliver_webhooks": {"queue": GRIDAPI_WEBHOOK_QUEUE},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".var" / "celerybeat-schedule")

# --- REST framework ------------------------------------------------------------------------------
API_PAGE_SIZE = env.int("GRIDAPI_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("GRIDAPI_MAX_PAGE_SIZE", default=500)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["apps.core.filters.FilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.accounts.throttling.CredentialRateThrottle",
        "apps.accounts.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "device": env("GRIDAPI_THROTTLE_DEVICE", default="600/min"),
        "apikey": env("GRIDAPI_THROTTLE_APIKEY", default="1200/min"),
        "session": env("GRIDAPI_THROTTLE_SESSION", default="1200/min"),
        "anon": env("GRIDAPI_THROTTLE_ANON", default="120/min"),
        # failed sign-ins per (username, client), and per client
        "login": env("GRIDAPI_THROTTLE_LOGIN", default="10/min"),
        "login_client": env("GRIDAPI_THROTTLE_LOGIN_CLIENT", default="200/hour"),
    },
    # Proxies in front of the web processes whose X-Forwarded-For entries are trusted: 0 (the default) reads
    # the client's address from the connection, so a client cannot pick its own throttling identity.
    "NUM_PROXIES": env.int("GRIDAPI_NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["apps.core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "gridapi",
    "DESCRIPTION": (
        "REST backend for grid-based community governance (网格化管理): offline-first sync for grid "
        "workers, one canonical record per real thing, events routed to departments and followed to "
        "closure, and data shared with departments by entitlement.\n\n"
        "Errors are RFC 9457 problem details. Authenticate with `Authorization: Bearer <token>` "
        "(device token or department API key). Send `Accept-Language: en` for English messages."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "apps.accounts.models.Role",
        "TerritoryLevelEnum": "apps.territory.models.Level",
        "RecordTypeEnum": "apps.registry.models.RecordType",
        "MergeableRecordTypeEnum": "apps.registry.models.MERGEABLE_CHOICES",
        "SharedRecordTypeEnum": "apps.sharing.models.RECORD_TYPES",
        "PersonTagEnum": "apps.registry.models.PersonTag",
        "OrganisationKindEnum": "apps.registry.organisations.models.OrganisationKind",
        "OrganisationStatusEnum": "apps.registry.organisations.models.OrganisationStatus",
        "OrganisationTagEnum": "apps.registry.organisations.models.OrganisationTag",
        "AlertKindEnum": "apps.registry.organisations.models.AlertKind",
        "HandlingLevelEnum": "apps.departments.models.DepartmentLevel",
        "EventReportOutcomeEnum": "apps.events.api.serializers.REPORT_OUTCOMES",
        "PatrolKindEnum": "apps.operations.models.PatrolKind",
        "VisitKindEnum": "apps.operations.models.VisitKind",
        "VisitOutcomeEnum": "apps.operations.models.VisitOutcome",
        "TaskKindEnum": "apps.operations.models.TaskKind",
        "CheckMethodEnum": "apps.operations.models.CheckMethod",
        "ChannelKindEnum": "apps.channels.models.ChannelKind",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Device token or API key"}
        }
    },
    "SECURITY": [{"bearerAuth": []}],
    "AUTHENTICATION_WHITELIST": ["apps.accounts.authentication.BearerAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.openapi.add_problem_responses",
        "apps.channels.api.schema.add_open311_paths",
    ],
}

# --- gridapi domain settings ---------------------------------------------------------------------
GRIDAPI_TOKEN_TTL_DAYS = env.int("GRIDAPI_TOKEN_TTL_DAYS", default=30)
# Last-seen is written at most this often per token, so authentication does not write on every request.
GRIDAPI_TOKEN_TOUCH_SECONDS = env.int("GRIDAPI_TOKEN_TOUCH_SECONDS", default=300)
# Territory import tolerances (metres / square metres).
GRIDAPI_TERRITORY_CONTAINMENT_TOLERANCE_M = env.float(
    "GRIDAPI_TERRITORY_CONTAINMENT_TOLERANCE_M", default=5.0
)
GRIDAPI_TERRITORY_OVERLAP_TOLERANCE_M2 = env.float("GRIDAPI_TERRITORY_OVERLAP_TOLERANCE_M2", default=25.0)
GRIDAPI_TERRITORY_IMPORT_MAX_BYTES = env.int("GRIDAPI_TERRITORY_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)

# Matching thresholds (see the matching design note): at or above AUTO a collected record merges; at or
# above REVIEW it is created and a possible duplicate is queued for a dispatcher; below, it is new.
GRIDAPI_MATCH_BUILDING_AUTO = env.float("GRIDAPI_MATCH_BUILDING_AUTO", default=0.85)
GRIDAPI_MATCH_BUILDING_REVIEW = env.float("GRIDAPI_MATCH_BUILDING_REVIEW", default=0.45)
GRIDAPI_MATCH_PERSON_AUTO = env.float("GRIDAPI_MATCH_PERSON_AUTO", default=0.9)
GRIDAPI_MATCH_PERSON_REVIEW = env.float("GRIDAPI_MATCH_PERSON_REVIEW", default=0.5)
GRIDAPI_MATCH_ORGANISATION_AUTO = env.float("GRIDAPI_MATCH_ORGANISATION_AUTO", default=0.85)
GRIDAPI_MATCH_ORGANISATION_REVIEW = env.float("GRIDAPI_MATCH_ORGANISATION_REVIEW", default=0.5)
# 九小场所 (small shops, restaurants, hotels, workshops … that make most fire events): an organisation is tagged
# nine_small when every measure it gives is at most these. Defaults are the values commonly found in local
# definitions (floor area under 300 m², small hotels under 50 beds, small restaurants under 100 seats, small
# workshops under 30 staff); cities define 九小场所 by their own rules, so each deployment sets its own.
# Place names written without their suffix at the start of organisations' names (厦门…), dropped when matching.
GRIDAPI_ORGANISATION_PLACE_NAMES = env.list(
    "GRIDAPI_ORGANISATION_PLACE_NAMES",
    default=["中国", "福建", "厦门", "海沧", "思明", "湖里", "集美", "同安", "翔安"],
)
GRIDAPI_NINE_SMALL_MAX_AREA_M2 = env.float("GRIDAPI_NINE_SMALL_MAX_AREA_M2", default=300.0)
GRIDAPI_NINE_SMALL_MAX_BEDS = env.int("GRIDAPI_NINE_SMALL_MAX_BEDS", default=50)
GRIDAPI_NINE_SMALL_MAX_SEATS = env.int("GRIDAPI_NINE_SMALL_MAX_SEATS", default=100)
GRIDAPI_NINE_SMALL_MAX_STAFF = env.int("GRIDAPI_NINE_SMALL_MAX_STAFF", default=30)
# A watch alert (人来预警/人走提醒) opens a follow-up task for the grid's workers, due this many days later.
GRIDAPI_ALERT_TASK_DUE_DAYS = env.int("GRIDAPI_ALERT_TASK_DUE_DAYS", default=3)

# Events: points closer than this to a boundary between grids go to triage instead of guessing; an overdue
# event escalates one level up after this many business hours without a reaction.
GRIDAPI_EVENT_BOUNDARY_MARGIN_M = env.float("GRIDAPI_EVENT_BOUNDARY_MARGIN_M", default=30.0)
GRIDAPI_EVENT_ESCALATION_GRACE_HOURS = env.float("GRIDAPI_EVENT_ESCALATION_GRACE_HOURS", default=7.0)

# Webhooks: hosts exempt from the SSRF check (loopback and private addresses are refused otherwise), the
# time a receiver has to answer, and how long a claimed or queued delivery is left alone before the due
# scan assumes its worker died and sends it again.
GRIDAPI_WEBHOOK_ALLOWED_HOSTS: list[str] = env.list("GRIDAPI_WEBHOOK_ALLOWED_HOSTS", default=[])
GRIDAPI_WEBHOOK_TIMEOUT_SECONDS = env.float("GRIDAPI_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
GRIDAPI_WEBHOOK_CLAIM_SECONDS = env.float("GRIDAPI_WEBHOOK_CLAIM_SECONDS", default=60.0)
# How long a queued delivery is left to its task before the due-scan queues it again (a task lost with the
# broker). Longer than any backlog the queue should have: each expiry while the task still waits queues it twice.
GRIDAPI_WEBHOOK_QUEUED_SECONDS = env.float("GRIDAPI_WEBHOOK_QUEUED_SECONDS", default=300.0)

# --- the console's map ---------------------------------------------------------------------------
# No tiles by default (intranets: the grid boundaries are the base layer). A deployment with its own tile
# server gives its URL template; "gcj02" when the tiles are drawn in GCJ-02 (AMap, Tencent): the console
# then shifts what it draws by the GCJ-02 offset.
GRIDAPI_CONSOLE_TILE_URL = env("GRIDAPI_CONSOLE_TILE_URL", default="")
GRIDAPI_CONSOLE_TILE_ATTRIBUTION = env("GRIDAPI_CONSOLE_TILE_ATTRIBUTION", default="")
GRIDAPI_CONSOLE_TILE_CRS = env("GRIDAPI_CONSOLE_TILE_CRS", default="wgs84")

# Personal numbers: AES-256-GCM keys and HMAC keys for the blind index, each "<id>:<base64 of 32 bytes>",
# comma-separated, the first one current. Required in production (see production.py).
GRIDAPI_PII_KEYS = env("GRIDAPI_PII_KEYS", default="")
GRIDAPI_BLIND_INDEX_KEYS = env("GRIDAPI_BLIND_INDEX_KEYS", default="")

# --- logging -------------------------------------------------------------------------------------
LOG_LEVEL = env("GRIDAPI_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

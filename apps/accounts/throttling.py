"""Rate limits per credential: each device token, API key and signed-in session has its own budget.

The counters live in the shared cache (Redis). When it is down or hung, throttling degrades to allowing, with
a logged warning: sign-in, push and pull must keep working without it. A failing cache is then left alone
for a few seconds by this process, so a hung Redis costs one short socket timeout, not one per request.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DatabaseError
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, SimpleRateThrottle

from .models import ApiKey, DeviceToken

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_ERRORS = (RedisError, OSError, DatabaseError)
CACHE_PAUSE_SECONDS = 5.0
_cache_down_until = 0.0  # per process: when to try the cache again after it failed


def with_cache(operation: Callable[[], T], fallback: T) -> T:
    """Run a cache operation; on a cache failure log it, pause the cache for this process, return ``fallback``."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return fallback
    try:
        return operation()
    except CACHE_ERRORS as exc:
        _cache_down_until = time.monotonic() + CACHE_PAUSE_SECONDS
        logger.warning("cache unavailable, throttling allows for %.0f s: %s", CACHE_PAUSE_SECONDS, exc)
        return fallback


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate(scope: str) -> tuple[int, int]:
    """(requests, seconds) of a scope's rate, e.g. "10/min" → (10, 60)."""
    # Read live (not the class attribute frozen at import) so rate changes in settings apply.
    num, period = str(api_settings.DEFAULT_THROTTLE_RATES[scope]).split("/")
    return int(num), _PERIODS[period[0]]


class CredentialRateThrottle(SimpleRateThrottle):
    """Counts requests per credential in the shared cache; the rate depends on the credential's kind."""

    scope = "device"

    def __init__(self) -> None:  # the rate is chosen per request
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        auth = request.auth
        if isinstance(auth, DeviceToken):
            self.scope, ident = "device", str(auth.pk)
        elif isinstance(auth, ApiKey):
            self.scope, ident = "apikey", str(auth.pk)
        elif request.user and request.user.is_authenticated:
            self.scope, ident = "session", str(request.user.pk)
        else:
            return True  # anonymous callers are counted by AnonymousRateThrottle
        self.rate = str(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        self.num_requests, self.duration = _rate(self.scope)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        return with_cache(self._count, True)

    def _count(self) -> bool:
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_cache_key(self, request: Request, view: Any) -> str | None:  # pragma: no cover - unused
        return None


class AnonymousRateThrottle(AnonRateThrottle):
    """Requests without credentials (sign-in, docs) per client address."""

    scope = "anon"

    def get_rate(self) -> str:
        # Read live (DRF reads the rates once, at import), as ``_rate`` does.
        return str(api_settings.DEFAULT_THROTTLE_RATES[self.scope])

    def allow_request(self, request: Request, view: Any) -> bool:
        return with_cache(lambda: super(AnonymousRateThrottle, self).allow_request(request, view), True)


def sign_in_name(given: Any) -> str:
    """The username as sign-in reads it: DRF's CharField makes text of a number and trims whitespace, so
    padding or retyping the name must not buy another round of guesses against the same account."""
    if isinstance(given, str | int | float) and not isinstance(given, bool):
        return str(given).strip()[:150].lower()
    return ""


class SignInThrottle(BaseThrottle):
    """Failed sign-ins, counted per (username, client) and per client.

    Per (username, client) (``login``, 10/min): a client guessing one account's password is stopped, while
    the owner signing in from elsewhere is not — an attacker cannot lock anybody out. Per client
    (``login_client``, 200/hour): a client trying password after password over many names (spraying) is
    stopped too. Only failures count, so many colleagues signing in behind one address are not throttled.
    The view calls ``record_failure`` when the password is wrong.
    """

    def _keys(self, request: Request) -> list[tuple[str, str]]:
        client = self.get_ident(request)
        data = request.data if isinstance(request.data, dict) else {}
        keys = [("login_client", f"throttle_login_client_{client}")]
        name = sign_in_name(data.get("username"))
        # Hashed: a username is arbitrary text, a cache key must be short and plain.
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        keys.append(("login", f"throttle_login_{digest}_{client}"))
        return keys

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        from django.core.cache import cache

        self.wait_seconds: float | None = None
        now = time.time()

        def check() -> bool:
            histories = cache.get_many([key for _scope, key in self._keys(request)])
            for scope, key in self._keys(request):
                limit, duration = _rate(scope)
                recent = [t for t in histories.get(key, []) if t > now - duration]
                if len(recent) >= limit:
                    self.wait_seconds = max(1.0, duration - (now - min(recent)))
                    return False
            return True

        return with_cache(check, True)

    def record_failure(self, request: Request) -> None:
        from django.core.cache import cache

        now = time.time()

        def record() -> None:
            keys = self._keys(request)
            histories = cache.get_many([key for _scope, key in keys])
            updated = {}
            for scope, key in keys:
                _limit, duration = _rate(scope)
                updated[key] = [t for t in histories.get(key, []) if t > now - duration] + [now]
            cache.set_many(updated, timeout=max(_rate(scope)[1] for scope, _key in keys))

        with_cache(record, None)

    def wait(self) -> float | None:
        return self.wait_seconds

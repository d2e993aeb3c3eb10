"""Rate limits per credential: each device token, API key and signed-in session has its own budget."""

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from .models import ApiKey, DeviceToken


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
        # Read live (not the class attribute frozen at import) so rate changes in settings apply.
        self.rate = str(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        num_requests, duration = self.parse_rate(self.rate)
        self.num_requests, self.duration = int(num_requests or 0), int(duration or 1)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        return self._count()

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

"""``Authorization: Bearer gch_…``: a channel's system. Other bearer tokens are left to the accounts app."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..models import Channel
from ..selectors import KEY_PREFIX, channel_by_key


class ChannelClient:
    """``request.user`` of a channel's system: authenticated, role ``channel``, carrying its channel."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    role = "channel"
    territory_id = None

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.channel_id = channel.pk
        self.pk = f"channel-{channel.pk}"  # the throttle's identity: each channel its own budget
        self.id = None
        self.username = f"channel:{channel.prefix}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False


def client_of(secret: str) -> ChannelClient | None:
    channel = channel_by_key(secret)
    return ChannelClient(channel) if channel is not None else None


class ChannelKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ChannelClient, Channel] | None:
        header = authentication.get_authorization_header(request).split()
        if (
            len(header) != 2
            or header[0].lower() != b"bearer"
            or not header[1].startswith(KEY_PREFIX.encode())
        ):
            return None
        client = client_of(header[1].decode("ascii", "replace"))
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid or inactive channel key."))
        return client, client.channel

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ChannelKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.channels.api.authentication.ChannelKeyAuthentication"
    name = "channelKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A channel's key (gch_…)."}

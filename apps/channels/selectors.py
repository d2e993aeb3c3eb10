"""Reads of channels: who sees which channel, mapping and request; the channel behind a key; addresses."""

from typing import Any

from django.db.models import QuerySet

from apps.accounts.models import hash_secret
from apps.core.permissions import role_of
from apps.core.text import normalise_address
from apps.registry.models import Building

from .models import CategoryMapping, Channel, ChannelKind, ChannelRequest

KEY_PREFIX = "gch_"


def channels_for(caller: Any) -> QuerySet[Channel]:
    """Administrators manage every channel; a channel's own system sees itself."""
    if role_of(caller) == "admin":
        return Channel.objects.all()
    channel_id = getattr(caller, "channel_id", None)
    return Channel.objects.filter(pk=channel_id) if channel_id else Channel.objects.none()


def mappings_for(caller: Any) -> QuerySet[CategoryMapping]:
    return CategoryMapping.objects.filter(channel__in=channels_for(caller).values("pk"))


def requests_for(caller: Any) -> QuerySet[ChannelRequest]:
    """A channel's system sees its own requests; everybody sees the Open311 ones (the GeoReport API is public
    and shows no personal data); administrators see all."""
    if role_of(caller) == "admin":
        return ChannelRequest.objects.all()
    channel_id = getattr(caller, "channel_id", None)
    if channel_id:
        return ChannelRequest.objects.filter(channel_id=channel_id)
    return ChannelRequest.objects.filter(channel__kind=ChannelKind.OPEN311)


def channel_by_key(secret: str) -> Channel | None:
    """The active channel whose key is ``secret`` (one indexed read), or None."""
    if not secret or not secret.startswith(KEY_PREFIX):
        return None
    return (
        Channel.objects.filter(key_hash=hash_secret(secret), is_active=True).select_related("account").first()
    )


def mapped_categories(channel: Channel, codes: list[str]) -> dict[str, Any]:
    """{their code: category} for the codes the channel mapped (one read)."""
    return {
        m.external_code: m.category
        for m in CategoryMapping.objects.filter(channel=channel, external_code__in=set(codes)).select_related(
            "category__family"
        )
    }


def building_by_address(*, address_id: str = "", address: str = "") -> Building | None:
    """The canonical building with this standard address code (标准地址编码), or else this address."""
    canonical = Building.objects.filter(merged_into__isnull=True, location__isnull=False)
    if address_id:
        return canonical.filter(address_code=address_id).first()
    if address:
        return canonical.filter(address_norm=normalise_address(address)).order_by("created_at").first()
    return None

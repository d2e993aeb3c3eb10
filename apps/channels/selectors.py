"""Reads of channels: who sees which channel, mapping and request; the channel behind a key; addresses."""

from typing import Any

from django.db.models import QuerySet

from apps.accounts.models import hash_secret
from apps.core.permissions import role_of
from apps.core.text import normalise_address
from apps.core.visibility import visible
from apps.registry.models import BuildingAddress

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


def building_by_address(*, principal: Any, address_id: str = "", address: str = "") -> BuildingAddress | None:
    """The canonical building with this standard address code (标准地址编码), or else this address — as an
    address the caller may place a report at (the visibility gate's ``BuildingAddress``)."""
    canonical = visible(BuildingAddress, principal)
    if address_id:
        return canonical.filter(address_code=address_id).first()
    if address:
        return canonical.filter(address_norm=normalise_address(address)).order_by("created_at").first()
    return None


def callers_of_event(principal: Any, event_id: Any) -> list[dict[str, Any]]:
    """The callers of the channel requests of an event, unsealed — for the department handling it only.

    Anyone else, even one who may see the event, gets a 404 (the existence of callers is not confirmed). The
    read is written to the access log.
    """
    from django.http import Http404

    from apps.core.crypto import unseal
    from apps.core.visibility import visible_get
    from apps.events.lifecycle import DEPARTMENT, actor_for
    from apps.events.models import Event
    from apps.journal.models import AccessChannel
    from apps.journal.services import access_entry, access_log

    event = visible_get(Event, principal, event_id)
    if event is None or actor_for(principal, event).kind != DEPARTMENT:
        raise Http404
    requests = list(
        ChannelRequest.objects.filter(event=event)
        .exclude(caller_name_sealed="", caller_phone_sealed="")
        .select_related("channel")
        .order_by("created_at")
    )
    access_log(
        access_entry(channel=AccessChannel.REST, record_type="channel_request", record_id=r.pk,
                     fields=["caller_name", "caller_phone"], user=principal, purpose="handling the event")
        for r in requests
    )  # fmt: skip
    return [
        {"request_id": r.pk, "channel": r.channel.name, "external_id": r.external_id,
         "caller_name": unseal(r.caller_name_sealed) if r.caller_name_sealed else "",
         "caller_phone": unseal(r.caller_phone_sealed) if r.caller_phone_sealed else ""}
        for r in requests
    ]  # fmt: skip

"""Writes of channels: creating one with its key and account, its category mappings, its endpoint."""

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Role, User, hash_secret
from apps.events.models import EventCategory

from ..models import CategoryMapping, Channel, ChannelKind
from ..selectors import KEY_PREFIX


def _endpoint(endpoint_id: Any) -> Any:
    """The webhook endpoint (the sharing app's, above this one: reached through the foreign key)."""
    if endpoint_id is None:
        return None
    model = Channel._meta.get_field("endpoint").related_model
    endpoint = model._default_manager.filter(pk=endpoint_id).first()  # type: ignore[union-attr]
    if endpoint is None:
        raise ValidationError({"endpoint": [_("No such webhook endpoint.")]})
    return endpoint


def _triage_category(code: str) -> EventCategory | None:
    if not code:
        return None
    category = EventCategory.objects.filter(pk=code, is_active=True).first()
    if category is None:
        raise ValidationError({"triage_category": [_("Unknown event category %(code)s.") % {"code": code}]})
    return category


@transaction.atomic
def channel_create(
    *, name: str, kind: str, endpoint_id: Any = None, triage_category: str = ""
) -> tuple[Channel, str]:
    """Create a channel and the account its events name as reporter; returns (channel, key shown once)."""
    endpoint = _endpoint(endpoint_id)
    category = _triage_category(triage_category)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    elif Channel.objects.filter(name=name.strip()).exists():
        errors["name"] = [_("A channel with this name exists.")]
    if kind not in ChannelKind.values:
        errors["kind"] = [_("Unknown channel kind %(kind)s.") % {"kind": kind}]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    # The account only names the channel as reporter: it has no password and cannot sign in. As a reporter
    # it sees (as a grid worker would) the events it reported.
    account = User(username=f"channel-{prefix}", role=Role.GRID_WORKER, full_name=name.strip()[:100],
                   is_active=False)  # fmt: skip
    account.set_unusable_password()
    account.save()
    channel = Channel.objects.create(
        name=name.strip(), kind=kind, prefix=prefix, key_hash=hash_secret(secret), account=account,
        endpoint=endpoint, triage_category=category,
    )  # fmt: skip
    return channel, secret


@transaction.atomic
def channel_update(*, channel: Channel, data: dict[str, Any]) -> Channel:
    """Change a channel's endpoint, triage category or whether it is active."""
    if "endpoint" in data:
        channel.endpoint = _endpoint(data["endpoint"])
    if "triage_category" in data:
        channel.triage_category = _triage_category(data["triage_category"] or "")
    if "is_active" in data:
        channel.is_active = bool(data["is_active"])
    channel.save()
    return channel


@transaction.atomic
def channel_key_rotate(*, channel: Channel) -> str:
    """A new key for the channel; the old one stops working at once."""
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    Channel.objects.filter(pk=channel.pk).update(prefix=prefix, key_hash=hash_secret(secret))
    return secret


@transaction.atomic
def channel_mappings_set(*, channel: Channel, mappings: dict[str, str]) -> list[CategoryMapping]:
    """Replace the channel's mapping table with ``{their code: category code}``."""
    known = set(EventCategory.objects.filter(pk__in=set(mappings.values())).values_list("pk", flat=True))
    unknown = sorted({code for code in mappings.values() if code not in known})
    if unknown:
        raise ValidationError(
            {"mappings": [_("Unknown event category %(code)s.") % {"code": ", ".join(unknown)}]}
        )
    CategoryMapping.objects.filter(channel=channel).delete()
    return CategoryMapping.objects.bulk_create(
        CategoryMapping(channel=channel, external_code=theirs, category_id=ours)
        for theirs, ours in sorted(mappings.items())
    )

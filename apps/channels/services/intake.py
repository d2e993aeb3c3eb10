"""What a channel reports enters the same closed loop as a worker's report: deduplicated, routed, followed.

The channel's own id of a request is its idempotency key. The key is locked (a transaction-scoped advisory
lock) before it is looked up, and the row is inserted with ``ON CONFLICT DO NOTHING`` on the unique
(channel, their id) constraint, so the same request sent twice — one after the other or at the same moment —
makes one request and one report.
"""

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.crypto import seal
from apps.core.locks import advisory_xact_lock
from apps.events.models import Event, EventCategory
from apps.events.services import ReportInput, event_report

from ..models import Channel, ChannelKind, ChannelRequest

# The events' ``source`` of each kind of channel.
SOURCES = {ChannelKind.OPEN311: "open311", ChannelKind.HOTLINE: "hotline", ChannelKind.SENSOR: "sensor"}


@dataclass
class ChannelReport:
    """One request as a channel sends it, already validated; ``category`` None means unmapped (→ triage)."""

    external_id: str
    category: EventCategory | None
    title: str
    location: Point
    description: str = ""
    occurred_at: dt.datetime | None = None
    building: Any = None
    external_code: str = ""
    address: str = ""
    address_id: str = ""
    media_url: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    caller_name: str = ""
    caller_phone: str = ""
    sensor_id: str = ""


@dataclass(frozen=True)
class IntakeOutcome:
    request: ChannelRequest
    event: Event
    new: bool  # False: the channel had sent this id before; nothing was done again

    @property
    def outcome(self) -> str:
        if not self.new:
            return "duplicate"
        return "merged" if self.request.attached else "created"


def lock_external_ids(channel: Channel, external_ids: list[str]) -> None:
    advisory_xact_lock([(f"channel-request:{channel.pk}", external_id) for external_id in external_ids])


@transaction.atomic
def channel_report(*, channel: Channel, report: ChannelReport) -> IntakeOutcome:
    """Report what ``channel`` sent, once per their id: returns the request and its event."""
    lock_external_ids(channel, [report.external_id])
    existing = (
        ChannelRequest.objects.filter(channel=channel, external_id=report.external_id)
        .select_related("event")
        .first()
    )
    if existing is not None:
        return IntakeOutcome(request=existing, event=existing.event, new=False)
    category = report.category or channel_triage_category(channel)
    outcome = event_report(
        report=ReportInput(
            category=category, title=report.title[:200], location=report.location,
            description=report.description, occurred_at=report.occurred_at, building=report.building,
            device_id=f"channel:{channel.prefix}", source=SOURCES[ChannelKind(channel.kind)],
            source_ref=str(channel.pk),
            triage_reason="" if report.category else _("The channel's category %(code)s is not mapped.")
            % {"code": report.external_code or "-"},
        ),
        reporter=channel.account,
    )  # fmt: skip
    request = ChannelRequest(
        channel=channel, external_id=report.external_id, token=secrets.token_hex(12), event=outcome.event,
        submitted_id=outcome.report.submitted_id if outcome.report else outcome.event.pk,
        attached=not outcome.created, external_code=report.external_code, description=report.description,
        address=report.address[:300],
        address_id=report.address_id[:64], media_url=report.media_url, attributes=report.attributes,
        caller_name_sealed=seal(report.caller_name) if report.caller_name else "",
        caller_phone_sealed=seal(report.caller_phone) if report.caller_phone else "",
        sensor_id=report.sensor_id,
    )  # fmt: skip
    request.save(force_insert=True)  # the unique (channel, their id) constraint backs the lock up
    return IntakeOutcome(request=request, event=outcome.event, new=True)


def channel_triage_category(channel: Channel) -> EventCategory:
    """The category an unmapped request is filed under while it waits in triage for a dispatcher."""
    category = channel.triage_category
    if category is None:
        raise UnmappedCategoryError
    return category


class UnmappedCategoryError(Exception):
    """The request's category is not mapped and the channel has no triage category to file it under."""

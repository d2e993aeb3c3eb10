"""What goes back to a channel: ``event.status_changed`` outbox rows, written in the transaction of the change.

The events app calls ``channel_follow_status`` after every action on an event (the channels app registered it
there, being above events); the sharing app's webhook fan-out turns the rows into signed deliveries.
"""

import datetime as dt
from typing import Any

from apps.events.models import Event, Status, TimelineEntry

from ..models import ChannelKind, ChannelRequest, StatusNotice
from .intake import SOURCES

CLOSED_STATUSES = {Status.CLOSED, Status.RATED, Status.CANCELLED}


def open311_status(status: str) -> str:
    """GeoReport v2 knows two states: ``open`` and ``closed``."""
    return "closed" if status in CLOSED_STATUSES or status == Status.MERGED else "open"


def handling_result(event: Event) -> str:
    """What the department reported when it handled the event (the note of its last ``report_handled``)."""
    entry = (
        TimelineEntry.objects.filter(event=event, action="report_handled")
        .order_by("-id")
        .values("note")
        .first()
    )
    return entry["note"] if entry else ""


def status_payload(*, request: ChannelRequest, event: Event, from_status: str, action: str, note: str,
                   at: dt.datetime, result: str) -> dict[str, Any]:  # fmt: skip
    """The ``data`` of an ``event.status_changed`` message: the channel's id first, no personal data."""
    return {
        "external_id": request.external_id, "request_id": str(request.pk), "event_id": str(event.pk),
        "status": event.status, "previous_status": from_status, "open311_status": open311_status(event.status),
        "action": action, "note": note, "handling_result": result,
        "department": event.department.code if event.department else None,
        "rating": event.rating, "rating_note": event.rating_note, "at": at.isoformat(),
    }  # fmt: skip


def channel_follow_status(*, event: Event, from_status: str, action: str, note: str, at: dt.datetime) -> None:
    """An outbox row for every channel request of ``event`` whose channel has a webhook endpoint."""
    if action == "split":
        _follow_split(event)
    requests = list(
        ChannelRequest.objects.filter(
            event_id=event.pk, channel__endpoint__isnull=False, channel__is_active=True
        ).only("pk", "channel_id", "external_id")
    )
    if not requests:
        return
    result = handling_result(event) if event.status in {Status.HANDLED, *CLOSED_STATUSES} else ""
    StatusNotice.objects.bulk_create(
        StatusNotice(
            channel_id=request.channel_id,
            request=request,
            payload=status_payload(
                request=request,
                event=event,
                from_status=from_status,
                action=action,
                note=note,
                at=at,
                result=result,
            ),
        )
        for request in requests
    )


def _follow_split(event: Event) -> None:
    """A report a channel made was split out of the event it was attached to: the request and the new event
    find each other again (the event takes the channel as its source)."""
    request = ChannelRequest.objects.filter(submitted_id=event.pk).select_related("channel").first()
    if request is None:
        return
    ChannelRequest.objects.filter(pk=request.pk).update(event=event, attached=False)
    source = SOURCES[ChannelKind(request.channel.kind)]
    Event.objects.filter(pk=event.pk).update(source=source, source_ref=str(request.channel_id))
    event.source, event.source_ref = source, str(request.channel_id)

"""Sensor alarms: one event per sensor and episode, however often the sensor repeats itself.

An alarm of a sensor whose last event is still open and within its category's duplicate window attaches to
that event; a sensor that alarmed at least ``GRIDAPI_SENSOR_FLAPPING_PER_HOUR`` times in the last hour is
flapping and keeps its last event even once that is closed; a ``cleared`` alarm notes the open event (a new version of it, journalled).
Alarms of one sensor are serialised on an advisory lock, so a burst sent at once still makes one event.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from apps.core.locks import advisory_xact_lock
from apps.events.lifecycle import Actor
from apps.events.models import OPEN_STATUSES, Event, EventCategory
from apps.events.services.common import event_journal, timeline_entry
from apps.journal.models import Change

from ..models import Channel, ChannelRequest, SensorAlarm
from ..selectors import mapped_categories
from .intake import ChannelReport, UnmappedCategoryError, channel_report

DEFAULT_FLAPPING_PER_HOUR = 10


@dataclass(frozen=True)
class AlarmIn:
    sensor_id: str
    kind: str
    level: str
    at: dt.datetime
    location: Point
    message: str = ""


def flapping_threshold() -> int:
    return int(getattr(settings, "GRIDAPI_SENSOR_FLAPPING_PER_HOUR", DEFAULT_FLAPPING_PER_HOUR))


@transaction.atomic
def sensor_alarm_receive(*, channel: Channel, alarm: AlarmIn, category: EventCategory | None) -> SensorAlarm:
    """Record one alarm and what it led to: ``created``, ``attached``, ``flapping``, ``cleared`` or ``ignored``.

    ``category`` is the mapping of the alarm's kind (None: unmapped, the event goes to triage).
    """
    advisory_xact_lock([(f"sensor:{channel.pk}", alarm.sensor_id)])
    episode = (
        ChannelRequest.objects.filter(channel=channel, sensor_id=alarm.sensor_id)
        .select_related("event__category")
        .order_by(F("last_alarm_at").desc(nulls_last=True))
        .first()
    )
    row = SensorAlarm(channel=channel, sensor_id=alarm.sensor_id, kind=alarm.kind, level=alarm.level,
                      at=alarm.at, location=alarm.location, request=episode)  # fmt: skip
    if alarm.level == SensorAlarm.Level.CLEARED:
        row.outcome = _cleared(channel, episode, alarm)
    elif episode is not None and _continues(episode, alarm):
        row.outcome = "attached"
    elif episode is not None and _flapping(channel, alarm):
        row.outcome = "flapping"
    else:
        row.outcome = "created"
        outcome = channel_report(channel=channel, report=ChannelReport(
            external_id=f"{alarm.sensor_id}@{alarm.at.isoformat()}", category=category,
            title=_("Sensor %(sensor)s: %(kind)s") % {"sensor": alarm.sensor_id, "kind": alarm.kind},
            location=alarm.location, description=alarm.message, occurred_at=alarm.at, external_code=alarm.kind,
            sensor_id=alarm.sensor_id,
        ))  # fmt: skip
        row.request = episode = outcome.request
    if row.outcome in {"created", "attached", "flapping"} and episode is not None:
        # Alarms may arrive out of order: the episode's last alarm only moves forward.
        last = Greatest(Coalesce(F("last_alarm_at"), Value(alarm.at)), Value(alarm.at))
        ChannelRequest.objects.filter(pk=episode.pk).update(
            alarm_count=F("alarm_count") + 1, last_alarm_at=last
        )
    row.save()
    return row


def _continues(episode: ChannelRequest, alarm: AlarmIn) -> bool:
    window = dt.timedelta(hours=episode.event.category.duplicate_window_hours)
    last = episode.last_alarm_at or episode.created_at
    return episode.event.status in OPEN_STATUSES and alarm.at - last <= window


def _flapping(channel: Channel, alarm: AlarmIn) -> bool:
    recent = SensorAlarm.objects.filter(
        channel=channel, sensor_id=alarm.sensor_id, at__gte=alarm.at - dt.timedelta(hours=1)
    ).exclude(level=SensorAlarm.Level.CLEARED)
    return recent.count() + 1 >= flapping_threshold()


def _cleared(channel: Channel, episode: ChannelRequest | None, alarm: AlarmIn) -> str:
    """Note on the episode's open event that the sensor reports the alarm cleared: a timeline entry, a new
    version and a journal entry (devices, feeds and webhooks see the note); the status stays."""
    if episode is None:
        return "ignored"
    event = Event.objects.select_for_update().get(pk=episode.event_id)
    if event.status not in OPEN_STATUSES:
        return "ignored"
    actor = Actor("system", user=None, label=channel.name)
    event.version += 1
    event.save(update_fields=["version", "updated_at"])
    timeline_entry(event=event, action="sensor_cleared", actor=actor, from_status=event.status,
                   to_status=event.status, at=alarm.at,
                   note=alarm.message or _("The sensor reports the alarm cleared."),
                   data={"sensor_id": alarm.sensor_id, "channel": str(channel.pk)}).save()  # fmt: skip
    event_journal(event=event, change=Change.UPDATED, actor=actor, fields=["timeline"])
    return "cleared"


def alarms_receive(*, channel: Channel, alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Take a batch of alarms in order, each in its own transaction; answers one result per alarm."""
    from ..inputs import AlarmInput  # inputs build on this app's services

    categories = mapped_categories(channel, [str(a.get("kind", "")) for a in alarms if isinstance(a, dict)])
    results: list[dict[str, Any]] = []
    for raw in alarms:
        serializer = AlarmInput(data=raw)
        sensor_id = str(raw.get("sensor_id", "")) if isinstance(raw, dict) else ""
        if not serializer.is_valid():
            results.append({"sensor_id": sensor_id, "outcome": "rejected", "errors": serializer.errors})
            continue
        data = serializer.validated_data
        alarm = AlarmIn(sensor_id=data["sensor_id"], kind=data["kind"], level=data["level"], at=data["at"],
                        location=Point(data["lon"], data["lat"], srid=4326), message=data["message"])  # fmt: skip
        try:
            row = sensor_alarm_receive(channel=channel, alarm=alarm, category=categories.get(data["kind"]))
        except UnmappedCategoryError:
            message = _("The alarm kind %(code)s is not mapped and the channel has no triage category.")
            results.append({"sensor_id": sensor_id, "outcome": "rejected",
                            "errors": {"kind": [message % {"code": data["kind"]}]}})  # fmt: skip
            continue
        event_id = row.request.event_id if row.request is not None else None
        results.append({"sensor_id": sensor_id, "outcome": row.outcome, "event_id": event_id})
    return results

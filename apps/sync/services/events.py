"""Events in the sync protocol: a device reports events (create) and acts on them (update = an action).

A create goes through the same reporting service as the REST API: it is routed and dispatched, or
attached to an open event it duplicates (answered ``merged`` with that event's id). An update carries an
action of the event's state machine in ``data`` (``{"action": "verify", "ok": true, "note": …}``), so a
worker can verify on site while offline; events are never deleted from a device.
"""

import uuid
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.events import selectors as events
from apps.events.inputs import EventActionInputSerializer, EventDataSerializer
from apps.events.lifecycle import actor_for
from apps.events.models import Event
from apps.events.services import ActionInput, ReportInput, action_params, event_act, event_report

from .common import PushContext, meta_of, mutation_result, visible_record
from .dispatch import MutationHandler, mutation_handler_register


def event_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    """Apply one event mutation; raises ValidationError (→ ``rejected``) for bad input."""
    user, device_id = context.user, context.device_id
    op, mutation_id = mutation["op"], mutation["mutation_id"]
    data = mutation.get("data")
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("Expected an object.")]})
    if op == "delete":
        raise ValidationError(
            {"op": [_("Events are not deleted from a device; cancel them through a dispatcher.")]}
        )
    if op == "update":
        return _act(context=context, mutation=mutation, data=data)
    serializer = EventDataSerializer(data=data)
    if not serializer.is_valid():
        raise ValidationError({"data": serializer.errors})
    location = meta_of(context, mutation).location
    if location is None:
        raise ValidationError({"location": [_("An event needs the point where it is.")]})
    valid = serializer.validated_data
    building, people = events.report_references(
        user, building_id=valid["building_id"], person_ids=valid["person_ids"]
    )
    try:
        submitted_id = uuid.UUID(str(mutation.get("id"))) if mutation.get("id") else None
    except ValueError as exc:
        raise ValidationError({"id": [_("Not a valid id.")]}) from exc
    outcome = event_report(
        report=ReportInput(
            category=events.active_category(valid["category"]), title=valid["title"], location=location,
            description=valid["description"], occurred_at=valid["occurred_at"], building=building, person_ids=people,
            photos=valid["photos"], resolved_on_site=valid["resolved_on_site"], submitted_id=submitted_id,
            device_id=device_id,
        ),
        reporter=user,
    )  # fmt: skip
    event = outcome.event
    if outcome.created:
        return mutation_result(mutation_id, "applied", id=str(event.pk), version=event.version)
    return mutation_result(mutation_id, "merged", id=str(event.pk), version=event.version, merged_into=str(event.pk),
                   match=outcome.explanation())  # fmt: skip


def _act(*, context: PushContext, mutation: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    event = visible_record(context, Event, mutation.get("id"))
    try:  # the same checks as the REST action (photos as sha256, note length and characters, parameters)
        given_action = EventActionInputSerializer().run_validation(data)
    except ValidationError as exc:
        raise ValidationError({"data": exc.detail}) from exc
    # The state machine, not the version, decides: a department may have acted while the device was offline.
    event = event_act(
        event=event, actor=actor_for(context.user, event), expected_version=None,
        action=ActionInput(action=given_action["action"], note=given_action["note"], photos=given_action["photos"],
                           params=action_params(given_action)),
    )  # fmt: skip
    return mutation_result(mutation["mutation_id"], "applied", id=str(event.pk), version=event.version)


def register_event_handler() -> None:
    mutation_handler_register(MutationHandler(kind="event", apply=event_mutation))

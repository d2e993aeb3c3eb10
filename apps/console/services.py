"""The console's writes: compositions of the apps' own services, nothing decided here."""

from typing import Any

from django.db import transaction

from apps.events.lifecycle import Actor
from apps.events.models import Event, Status
from apps.events.services import ActionInput, event_act


@transaction.atomic
def event_dispatch_from_triage(
    *, event: Event, actor: Actor, expected_version: int, department: str
) -> Event:
    """One click in the triage queue: accept the event when it is still only reported, then dispatch it to
    ``department`` (a code; empty: by the routing rules). The version the page showed must still hold, so a
    dispatcher working on a stale queue gets the 412 of ``event_act`` instead of overriding a colleague."""
    params: dict[str, Any] = {"department": department} if department else {}
    version: int | None = expected_version
    if event.status == Status.REPORTED:
        event = event_act(event=event, actor=actor, expected_version=version, action=ActionInput("accept"))
        version = None  # checked by the accept, under the same lock and transaction
    return event_act(
        event=event, actor=actor, expected_version=version, action=ActionInput("dispatch", params=params)
    )

"""What a channel says back about an event it reported: the resident's or caller's verification and rating.

The channel stands where a grid worker stands for the events it reported (its account is their reporter),
so the 12345 centre's call-back (回访) verifies and rates through the events' own state machine.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.events.lifecycle import WORKER, Actor
from apps.events.models import Event
from apps.events.services import ActionInput, action_params, event_act

from ..models import ChannelRequest

CHANNEL_ACTIONS = ("verify", "rate")


def channel_act(*, request: ChannelRequest, action: str, note: str, fields: dict[str, Any]) -> Event:
    """Fire ``verify`` or ``rate`` on the request's event as the channel (409 when the state refuses it)."""
    if action not in CHANNEL_ACTIONS:
        raise ValidationError({"action": [_("A channel may verify or rate, nothing else.")]})
    if request.attached:
        # Another reporter's event: its verification is theirs, not the channel's.
        raise ValidationError({"action": [_("This request was attached to an event another reporter made.")]})
    channel = request.channel
    actor = Actor(WORKER, user=channel.account, label=channel.name)
    return event_act(
        event=request.event, actor=actor, expected_version=None,
        action=ActionInput(action=action, note=note, params=action_params(fields)),
    )  # fmt: skip

"""Writes of channels: channels themselves, what they report, and what goes back to them."""

from .channels import channel_create, channel_key_rotate, channel_mappings_set, channel_update
from .intake import ChannelReport, IntakeOutcome, channel_report
from .notices import channel_follow_status

__all__ = [
    "ChannelReport", "IntakeOutcome", "channel_create", "channel_follow_status", "channel_key_rotate",
    "channel_mappings_set", "channel_report", "channel_update",
]  # fmt: skip

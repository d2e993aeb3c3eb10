"""Writes of operations: patrols and their chunks, check-ins, visits, tasks and schedules."""

from .common import Outcome
from .derive import patrol_derive, patrol_derive_now
from .patrols import checkins_record, fixes_insert, patrol_apply

__all__ = [
    "Outcome",
    "checkins_record",
    "fixes_insert",
    "operations_periodic",
    "patrol_apply",
    "patrol_derive",
    "patrol_derive_now",
]


def operations_periodic() -> dict[str, int]:  # replaced below once tasks exist
    return {}

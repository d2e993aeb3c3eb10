"""Writes of operations: patrols and their chunks, check-ins, patrol points, visits, tasks and schedules."""

from .alert_tasks import alerts_follow_up, tasks_open_for_alerts, tasks_open_for_recent_alerts
from .common import Outcome
from .derive import patrol_derive, patrol_derive_now
from .patrols import checkins_record, fixes_insert, patrol_apply
from .points import patrol_point_create, patrol_point_update
from .tasks import (
    OverdueScan,
    operations_periodic,
    period_of,
    schedule_rules_run,
    task_cancel,
    task_create,
    task_device_update,
    tasks_scan_overdue,
)
from .visits import visit_apply, visits_access_log

__all__ = [
    "Outcome",
    "OverdueScan",
    "alerts_follow_up",
    "checkins_record",
    "fixes_insert",
    "operations_periodic",
    "patrol_apply",
    "patrol_derive",
    "patrol_derive_now",
    "patrol_point_create",
    "patrol_point_update",
    "period_of",
    "schedule_rules_run",
    "task_cancel",
    "task_create",
    "task_device_update",
    "tasks_open_for_alerts",
    "tasks_open_for_recent_alerts",
    "tasks_scan_overdue",
    "visit_apply",
    "visits_access_log",
]

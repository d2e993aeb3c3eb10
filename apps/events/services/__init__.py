"""Writes of events: reporting, acting, the overdue scan, the routing configuration."""

from .actions import (
    ActionInput,
    action_params,
    check_transition,
    event_act,
)
from .catalogue import routing_rule_problems, routing_rule_save
from .escalation import ScanResult, event_escalate_overdue, event_mark_overdue, events_scan_overdue
from .reporting import ReportInput, ReportOutcome, event_report
from .splitting import event_report_split

__all__ = [
    "ActionInput",
    "ReportInput",
    "ReportOutcome",
    "ScanResult",
    "action_params",
    "check_transition",
    "event_act",
    "event_escalate_overdue",
    "event_mark_overdue",
    "event_report",
    "event_report_split",
    "events_scan_overdue",
    "routing_rule_problems",
    "routing_rule_save",
]  # fmt: skip

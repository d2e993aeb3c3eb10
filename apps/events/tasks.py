"""Periodic work on events: the overdue scan (reminders and escalation)."""

from celery import shared_task

from .services import events_scan_overdue


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def scan_overdue_events() -> dict[str, int]:
    result = events_scan_overdue()
    return {"marked": result.marked, "escalated": result.escalated}

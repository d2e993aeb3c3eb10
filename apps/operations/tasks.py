"""Celery tasks of operations: deriving a running patrol's track, opening the follow-ups of watch alerts, and the
periodic run (schedules, alerts' follow-ups left over, overdue)."""

import uuid

from celery import shared_task

from .services import operations_periodic, patrol_derive, tasks_open_for_alerts


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def derive_patrol(patrol_id: str) -> bool:
    return patrol_derive(patrol_id=uuid.UUID(patrol_id))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def run_operations_schedule() -> dict[str, int]:
    return operations_periodic()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def open_alert_tasks(alert_ids: list[str]) -> int:
    return tasks_open_for_alerts(alert_ids=alert_ids)

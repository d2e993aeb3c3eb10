"""Celery tasks of operations: deriving a running patrol's track, and the periodic run (schedules, overdue)."""

import uuid

from celery import shared_task

from .services import operations_periodic, patrol_derive


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def derive_patrol(patrol_id: str) -> bool:
    return patrol_derive(patrol_id=uuid.UUID(patrol_id))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def run_operations_schedule() -> dict[str, int]:
    return operations_periodic()

"""Periodic clean-up of the sync protocol's idempotency records."""

from celery import shared_task

from .services import applied_mutations_prune


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def prune_applied_mutations() -> int:
    return applied_mutations_prune()

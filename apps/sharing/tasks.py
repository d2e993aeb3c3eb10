"""Webhook work: fan-out of changes and notices into the outbox, delivery of one row, the due-scan."""

import uuid

from celery import shared_task
from django.db import DatabaseError

from .models import DeliveryStatus
from .webhooks import deliveries_attempt, deliveries_resend_due, delivery_attempt, webhooks_fanout


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def fanout_webhooks() -> int:
    return webhooks_fanout()


# The service decides what an HTTP failure means and schedules the retry in the row; the task only retries
# when it could not get that far (the database was away). The due-scan is the backstop for the rest.
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def deliver_webhooks(delivery_ids: list[str]) -> int:
    """A run of one endpoint's deliveries; returns how many were delivered."""
    outcomes = deliveries_attempt(delivery_ids=[uuid.UUID(pk) for pk in delivery_ids])
    return sum(status == DeliveryStatus.DELIVERED for status in outcomes.values())


# One delivery per task, as queued before runs: kept so that tasks waiting in a broker across an upgrade run.
@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def deliver_webhook(delivery_id: str) -> str:
    return delivery_attempt(delivery_id=uuid.UUID(delivery_id))


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def deliver_due_webhooks() -> int:
    return deliveries_resend_due()

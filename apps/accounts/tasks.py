"""Periodic clean-up of credentials."""

from celery import shared_task

from .services import device_tokens_prune


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def prune_expired_tokens() -> int:
    return device_tokens_prune()

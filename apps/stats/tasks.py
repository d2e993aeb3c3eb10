"""Periodic work of statistics: the rollups take in the event changes the journal holds."""

from celery import shared_task

from .services import stats_rollups_catch_up


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def advance_rollups() -> dict[str, int]:
    result = stats_rollups_catch_up()
    return {"entries": result.entries, "events": result.events}

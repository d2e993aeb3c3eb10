"""How long the push's idempotency records are kept."""

import datetime as dt

from django.utils import timezone

from ..models import AppliedMutation, ReplayableResponse

RESULTS_KEPT_DAYS = 30


def applied_mutations_prune(*, older_than_days: int = RESULTS_KEPT_DAYS + 1) -> int:
    """Forget mutation results and replayable responses older than the retention period."""
    cutoff = timezone.now() - dt.timedelta(days=max(older_than_days, RESULTS_KEPT_DAYS))
    deleted, _ = AppliedMutation.objects.filter(created_at__lt=cutoff).delete()
    ReplayableResponse.objects.filter(created_at__lt=cutoff).delete()
    return deleted

"""Compute every indicator fact and rollup again from the raw history (events, patrols, visits, tasks)."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from apps.stats.services import stats_rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the indicator facts and rollups from the raw history: after a restore, or after an upgrade that "
        "changes what is counted (the periodic step then goes on from the journal)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        stats_rollups_rebuild()
        self.stdout.write(f"rollups rebuilt in {time.perf_counter() - started:.1f} s")

"""Assign a grid worker to one or more grids."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from apps.territory.selectors import today
from apps.territory.services import grid_assignments_set


class Command(BaseCommand):
    help = "Assign a grid worker to grids (by code) from a date; grids already served are left as they are."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("worker", help="Username of the grid worker.")
        parser.add_argument("grids", nargs="+", help="Grid codes, e.g. HC-XY-XA-01.")
        parser.add_argument(
            "--from", dest="valid_from", type=dt.date.fromisoformat, help="First day (default today)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = get_user_model().objects.filter(username=options["worker"]).first()
        if worker is None:
            raise CommandError(f"no user {options['worker']!r}")
        try:
            created = grid_assignments_set(
                worker=worker, grid_codes=options["grids"], valid_from=options["valid_from"] or today()
            )
        except ValidationError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(f"{len(created)} new assignments for {worker.username}")

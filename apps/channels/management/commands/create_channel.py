"""Create a channel (Open311, 12345 hotline, sensor network) and print its key once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from apps.channels.models import ChannelKind
from apps.channels.services import channel_create


class Command(BaseCommand):
    help = "Create a channel; its key is printed once and stored only as a hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=ChannelKind.values)
        parser.add_argument(
            "--triage-category", default="", help="Category of requests whose code is unmapped."
        )
        parser.add_argument("--endpoint", default=None, help="Id of a webhook endpoint for status changes.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            channel, key = channel_create(name=options["name"], kind=options["kind"],
                                          endpoint_id=options["endpoint"],
                                          triage_category=options["triage_category"])  # fmt: skip
        except ValidationError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stderr.write(f"Key of channel {channel.name} ({channel.kind}); it is not shown again:")
        self.stdout.write(key)

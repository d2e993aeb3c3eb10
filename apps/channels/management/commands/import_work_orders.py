"""Back-fill a hotline's work orders from CSV, through the same intake as its batches (each order once)."""

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.channels.models import Channel, ChannelKind
from apps.channels.services.hotline import work_orders_receive

COLUMNS = ["order_no", "category", "title", "content", "received_at", "lon", "lat", "address", "address_id",
           "caller_name", "caller_phone"]  # fmt: skip
BATCH = 200


def order_of(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the order the REST batch takes (empty cells left out)."""
    order: dict[str, Any] = {k: v.strip() for k, v in row.items() if k in COLUMNS[:9] and v and v.strip()}
    caller = {
        "name": (row.get("caller_name") or "").strip(),
        "phone": (row.get("caller_phone") or "").strip(),
    }
    if any(caller.values()):
        order["caller"] = caller
    return order


class Command(BaseCommand):
    help = (
        "Import a hotline's work orders from a UTF-8 CSV with a header row: "
        + ", ".join(COLUMNS)
        + ". Orders already received are skipped (the order number is the idempotency key)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("channel", help="The hotline channel's name.")
        parser.add_argument("csv", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.objects.filter(name=options["channel"], kind=ChannelKind.HOTLINE).first()
        if channel is None:
            raise CommandError(f"no hotline channel {options['channel']!r}")
        try:
            handle = options["csv"].open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        counts: Counter[str] = Counter()
        with handle:
            reader = csv.DictReader(handle)
            missing = {"order_no", "category", "title"} - set(reader.fieldnames or [])
            if missing:
                raise CommandError(f"missing columns: {', '.join(sorted(missing))}")
            batch: list[tuple[int, dict[str, Any]]] = []
            for line, row in enumerate(reader, start=2):
                batch.append((line, order_of(row)))
                if len(batch) == BATCH:
                    self._send(channel, batch, counts)
                    batch = []
            if batch:
                self._send(channel, batch, counts)
        self.stdout.write(
            " ".join(f"{k}={counts[k]}" for k in ("created", "merged", "duplicate", "rejected"))
        )

    def _send(self, channel: Channel, batch: list[tuple[int, dict[str, Any]]], counts: Counter[str]) -> None:
        results = work_orders_receive(channel=channel, orders=[order for _line, order in batch])
        for (line, _order), result in zip(batch, results, strict=True):
            counts[result.outcome] += 1
            if result.outcome == "rejected":
                self.stderr.write(f"line {line} ({result.order_no}): {result.errors}")

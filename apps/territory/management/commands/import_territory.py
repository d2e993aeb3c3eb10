"""Import territory nodes from a GeoJSON FeatureCollection file (all or nothing)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from apps.territory.services import territory_import


class Command(BaseCommand):
    help = "Import territory nodes from a GeoJSON FeatureCollection; nothing is written if any feature fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON file ('-' is not supported: give a path).")
        parser.add_argument("--dry-run", action="store_true", help="Validate only.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            report = territory_import(feature_collection=data, dry_run=options["dry_run"])
        except ValidationError as exc:
            raise CommandError(json.dumps(exc.detail, ensure_ascii=False)) from exc
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"feature {error.index} ({error.code}): {error.rule}: {error.message}")
            raise CommandError(f"{len(report.errors)} bad features; nothing was imported")
        verb = "would create" if report.dry_run else "created"
        self.stdout.write(f"{verb} {report.created}, updated {report.updated}, unchanged {report.unchanged}")

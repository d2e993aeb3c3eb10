"""Create an API key for a department system and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.services import api_key_create
from apps.departments.models import Department


class Command(BaseCommand):
    help = "Create an API key for a department; the key is printed once and stored only as a hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("department", help="Department code.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'case system'.")

    def handle(self, *args: Any, **options: Any) -> None:
        department = Department.objects.filter(code=options["department"]).first()
        if department is None:
            raise CommandError(f"no department {options['department']!r}")
        issued = api_key_create(department=department, name=options["name"])
        self.stderr.write(f"API key for {department.code} ({issued.record.name}); it is not shown again:")
        self.stdout.write(issued.secret)

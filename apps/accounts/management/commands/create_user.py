"""Create a user with a role."""

import getpass
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Role
from apps.accounts.services import user_create
from apps.territory.models import TerritoryNode


class Command(BaseCommand):
    help = "Create a user with a role (admin, dispatcher, grid_worker, department_staff)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--full-name", default="")
        parser.add_argument("--territory", help="Territory node code (a dispatcher's area).")
        parser.add_argument(
            "--password", help="Password; prompted for when omitted. Use --generate to make one."
        )
        parser.add_argument("--generate", action="store_true", help="Generate and print a random password.")

    def handle(self, *args: Any, **options: Any) -> None:
        territory = None
        if options["territory"]:
            territory = TerritoryNode.objects.filter(code=options["territory"]).first()
            if territory is None:
                raise CommandError(f"no territory node {options['territory']!r}")
        password = options["password"]
        if options["generate"]:
            password = secrets.token_urlsafe(12)
        elif not password:
            password = getpass.getpass("Password: ")
        try:
            user = user_create(
                username=options["username"],
                role=options["role"],
                password=password,
                full_name=options["full_name"],
                territory=territory,
            )
        except ValidationError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(f"created {user.username} ({user.role})")
        if options["generate"]:
            self.stdout.write(f"password: {password}")

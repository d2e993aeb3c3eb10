"""Load the deterministic demo (Haicang district): territory, departments, users, grid assignments."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.demo import events, registry
from apps.demo.people import DEMO_PASSWORD, DEPARTMENTS, USERS
from apps.demo.territory import haicang_features
from apps.departments.models import Department
from apps.departments.services import department_member_add, department_upsert
from apps.territory.models import TerritoryNode
from apps.territory.services import grid_assignments_set, territory_import

DEMO_START = dt.date(2026, 1, 1)


class Command(BaseCommand):
    help = "Load the demo data. Idempotent: a second run changes nothing."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        report = territory_import(feature_collection=haicang_features())
        if not report.ok:
            raise CommandError(f"demo territory invalid: {report.as_dict()['errors'][:3]}")
        nodes = {node.code: node for node in TerritoryNode.objects.all()}
        departments: dict[str, Department] = {}
        for code, name, name_en, jurisdiction, parent in DEPARTMENTS:
            departments[code] = department_upsert(
                code=code,
                name=name,
                name_en=name_en,
                jurisdiction=nodes[jurisdiction],
                parent=departments.get(parent) if parent else None,
            )
        created_users = 0
        for username, role, full_name, territory, grids, department in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    username=username,
                    role=role,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    territory=nodes[territory] if territory else None,
                )
                created_users += 1
            if grids:
                grid_assignments_set(worker=user, grid_codes=grids, valid_from=DEMO_START)
            if department:
                department_member_add(department=departments[department], user=user)
        rules = events.load(departments)
        records = registry.load()
        self.stdout.write(
            f"territory: {report.created} created, {report.updated} updated, {report.unchanged} unchanged; "
            f"{len(departments)} departments; {rules} routing rules; {created_users} users created; {records} registry records collected"
        )

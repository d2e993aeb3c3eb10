"""Personal numbers a device sent in a conflict are kept sealed, like the records' (they were kept in clear)."""

from typing import Any

from django.db import migrations

NUMBERS = ("id_number", "phone", "passport_number")


def seal_numbers(apps: Any, schema_editor: Any) -> None:
    from apps.core.crypto import seal

    conflict_item = apps.get_model("sync", "ConflictItem")
    for item in conflict_item.objects.filter(field__in=NUMBERS).only("pk", "device_value"):
        if isinstance(item.device_value, str) and item.device_value:
            item.device_value = {"sealed": seal(item.device_value)}
            item.save(update_fields=["device_value"])


def unseal_numbers(apps: Any, schema_editor: Any) -> None:
    from apps.core.crypto import unseal

    conflict_item = apps.get_model("sync", "ConflictItem")
    for item in conflict_item.objects.filter(field__in=NUMBERS).only("pk", "device_value"):
        if isinstance(item.device_value, dict) and "sealed" in item.device_value:
            item.device_value = unseal(item.device_value["sealed"])
            item.save(update_fields=["device_value"])


class Migration(migrations.Migration):
    dependencies = [("sync", "0001_initial")]

    operations = [migrations.RunPython(seal_numbers, unseal_numbers)]

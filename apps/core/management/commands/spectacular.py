"""``manage.py spectacular`` with English as the default language of the generated schema.

The API answers in Chinese by default, but the committed schema is for tools (client generators, linters):
with Chinese titles, generated clients get Chinese class names. ``--lang`` still chooses another language.
"""

from typing import Any

from drf_spectacular.management.commands.spectacular import Command as SpectacularCommand

SCHEMA_LANGUAGE = "en"


class Command(SpectacularCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        options["lang"] = options.get("lang") or SCHEMA_LANGUAGE
        super().handle(*args, **options)

"""The record types the push knows, registered in its dispatch table from ``SyncConfig.ready``.

Another app's type plugs in the same way: a module here with its ``MutationHandler`` (sync sits above the
apps whose services it calls), registered below.
"""

from .events import register_event_handler
from .records import register_record_handlers


def register_mutation_handlers() -> None:
    register_record_handlers()
    register_event_handler()

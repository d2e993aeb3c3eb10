"""The record types the push knows, registered in its dispatch table from ``SyncConfig.ready``.

Another app's type plugs in the same way: a module here with its ``MutationHandler`` (sync sits above the
apps whose services it calls), registered below.
"""

from .events import register_event_handler
from .operations import register_operation_handlers
from .organisations import register_organisation_handlers
from .records import register_record_handlers


def register_mutation_handlers() -> None:
    register_record_handlers()
    register_event_handler()
    register_organisation_handlers()
    register_operation_handlers()

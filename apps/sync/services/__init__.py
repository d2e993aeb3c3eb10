"""The sync's writes, one job per module.

- ``request``: a push request as a whole (limits, ``Idempotency-Key``, validation of each mutation, cursor).
- ``push``: a batch of mutations, each applied at most once per (user, mutation id).
- ``dispatch``: the per-type dispatch table; ``handlers`` registers the known types (``records``, ``events``).
- ``merge``: updates merged three ways; ``conflicts``: conflict items and their resolution.
- ``retention``: pruning the idempotency records.
"""

from .common import PushContext, body_hash, mutation_result
from .conflicts import conflict_device_value_shown, conflict_resolve, device_value_of
from .dispatch import MutationHandler, mutation_handler_register, mutation_kinds
from .push import sync_push
from .request import PushReply, push_request
from .retention import RESULTS_KEPT_DAYS, applied_mutations_prune

__all__ = [
    "RESULTS_KEPT_DAYS", "MutationHandler", "PushContext", "PushReply", "applied_mutations_prune", "body_hash",
    "conflict_device_value_shown", "conflict_resolve", "device_value_of", "mutation_handler_register",
    "mutation_kinds", "mutation_result", "push_request", "sync_push",
]  # fmt: skip

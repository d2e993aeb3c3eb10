"""The push's per-type dispatch table: which code applies a mutation of each record type.

Each record type a device may push registers a ``MutationHandler`` (from ``SyncConfig.ready``, see
``handlers.py``): ``apply`` applies one mutation in the transaction that records its result and returns the
result (raising a ValidationError or APIException answers it ``rejected``). A type whose mutations can be
applied set-based also gives ``together`` (which of its mutations may join a run) and ``apply_run`` (a run of
them in one transaction, results in order): the push gathers consecutive such mutations into one run.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from .common import PushContext

Mutation = dict[str, Any]
Result = dict[str, Any]


@dataclass(frozen=True)
class MutationHandler:
    kind: str
    apply: Callable[[PushContext, Mutation], Result]
    together: Callable[[Mutation], bool] | None = None
    apply_run: Callable[[PushContext, list[Mutation]], list[Result]] | None = None


_handlers: dict[str, MutationHandler] = {}


def mutation_handler_register(handler: MutationHandler) -> None:
    if (handler.together is None) != (handler.apply_run is None):
        raise ImproperlyConfigured(f"{handler.kind}: give both together and apply_run, or neither")
    _handlers[handler.kind] = handler


def mutation_kinds() -> list[str]:
    return list(_handlers)


def handler_of(kind: Any) -> MutationHandler:
    """The handler of a mutation's type; a field error for a type nobody registered."""
    handler = _handlers.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise ValidationError({"type": [_("Unknown record type %(type)s.") % {"type": kind}]})
    return handler


def run_key(mutation: Mutation) -> str | None:
    """The type whose run ``mutation`` may join, or None when it is applied on its own."""
    handler = _handlers.get(mutation.get("type"))  # type: ignore[arg-type]
    if handler is not None and handler.together is not None and handler.together(mutation):
        return handler.kind
    return None


def dispatch(context: PushContext, mutation: Mutation) -> Result:
    return handler_of(mutation["type"]).apply(context, mutation)

"""Patrols, visits and tasks from a device, applied by the operations services (which answer an ``Outcome``
and never raise for bad input: a rejected outcome stored nothing)."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.operations.services import Outcome, patrol_apply, task_device_update, visit_apply

from .common import PushContext, mutation_result
from .dispatch import MutationHandler, mutation_handler_register


def _result(mutation: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    if outcome.status == "rejected":
        raise ValidationError(outcome.errors)
    return mutation_result(
        mutation["mutation_id"], outcome.status, id=str(outcome.id), version=outcome.version
    )


def patrol_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    return _result(mutation, patrol_apply(
        principal=context.user, record_id=mutation.get("id"), op=mutation["op"], data=mutation.get("data"),
        collected_at=mutation.get("collected_at"), device=context.device_id, crs=context.crs,
    ))  # fmt: skip


def visit_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    return _result(mutation, visit_apply(
        principal=context.user, record_id=mutation.get("id"), op=mutation["op"], data=mutation.get("data"),
        collected_at=mutation.get("collected_at"), device=context.device_id,
    ))  # fmt: skip


def task_mutation(context: PushContext, mutation: dict[str, Any]) -> dict[str, Any]:
    if mutation["op"] != "update":
        raise ValidationError({"op": [_("Tasks are made on the server; a device only updates them.")]})
    return _result(mutation, task_device_update(
        principal=context.user, record_id=mutation.get("id"), data=mutation.get("data"),
        collected_at=mutation.get("collected_at"), device=context.device_id,
    ))  # fmt: skip


def register_operation_handlers() -> None:
    mutation_handler_register(MutationHandler(kind="patrol", apply=patrol_mutation))
    mutation_handler_register(MutationHandler(kind="visit", apply=visit_mutation))
    mutation_handler_register(MutationHandler(kind="task", apply=task_mutation))

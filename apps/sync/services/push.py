"""Push: apply a device's batch of mutations, each at most once, whatever order and however often it is sent.

Every mutation is applied in the transaction that records its result, serialised on (user, mutation id), so
a batch re-sent after a timeout (or sent twenty times at once) is applied once and answered identically. The
key is the user's: another user sending a mutation id someone else used gets its own processing, never the
first user's result. A run of mutations a type applies together (new buildings) shares one transaction; any
other mutation has its own. A bad mutation is answered ``rejected`` without touching the others.
"""

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, ValidationError

from apps.core.bulk import bulk_insert
from apps.core.locks import advisory_xact_lock

from ..models import AppliedMutation
from .common import RESULT_FIELDS, PushContext, body_hash, errors_of, mutation_result
from .dispatch import dispatch, handler_of, run_key

logger = logging.getLogger(__name__)


def _lock_keys(context: PushContext, ids: list[str]) -> list[tuple[str, str]]:
    return [("mutation", f"{context.user.pk}:{mutation_id}") for mutation_id in ids]


def _stored(context: PushContext, ids: list[str]) -> dict[str, AppliedMutation]:
    rows = AppliedMutation.objects.filter(user_id=context.user.pk, mutation_id__in=ids)
    return {str(row.mutation_id): row for row in rows}


def sync_push(*, context: PushContext, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``mutations`` (each already validated in shape) in order; return one result per mutation.

    Consecutive mutations a type applies together (``MutationHandler.apply_run``) are applied as one run;
    every other mutation on its own, in its place in the batch.
    """
    ids = [str(m["mutation_id"]) for m in mutations]
    digests = [body_hash(m) for m in mutations]
    known = _stored(context, ids)
    run: list[int] = []
    run_kind: str | None = None
    pending: set[str] = set()

    def flush() -> None:
        if run:
            batch = [mutations[i] for i in run]
            for prior in _apply_run(context, run_kind or "", batch, [digests[i] for i in run]):
                known[str(prior.mutation_id)] = prior
            run.clear()
            pending.clear()

    for index, mutation in enumerate(mutations):
        if ids[index] in known or ids[index] in pending:
            continue  # answered from the first occurrence, below
        kind = run_key(mutation)
        if kind is not None and (not run or kind == run_kind):
            run.append(index)
            run_kind = kind
            pending.add(ids[index])
            continue
        flush()
        if kind is not None:
            run.append(index)
            run_kind = kind
            pending.add(ids[index])
            continue
        known[ids[index]] = _apply_once(context, mutation, digests[index])
    flush()
    return [
        _replay(known[mutation_id], mutation, digest)
        for mutation_id, mutation, digest in zip(ids, mutations, digests, strict=True)
    ]


def _record(context: PushContext, mutation_id: Any, digest: str, result: dict[str, Any]) -> AppliedMutation:
    return AppliedMutation(
        mutation_id=mutation_id, user_id=context.user.pk, device_id=context.device_id, body_hash=digest,
        result=result,
    )  # fmt: skip


def _apply_run(
    context: PushContext, kind: str, mutations: list[dict[str, Any]], digests: list[str]
) -> list[AppliedMutation]:
    """Apply a run of one type together in one transaction, each at most once; one at a time if that fails."""
    ids = [str(m["mutation_id"]) for m in mutations]
    apply_run = handler_of(kind).apply_run
    assert apply_run is not None  # noqa: S101 - run_key only names types with a run
    try:
        with transaction.atomic():
            advisory_xact_lock(_lock_keys(context, ids))
            applied = _stored(context, ids)
            fresh = [
                (m, d)
                for m, d in zip(mutations, digests, strict=True)
                if str(m["mutation_id"]) not in applied
            ]
            results = apply_run(context, [m for m, _ in fresh])
            rows = [
                _record(context, m["mutation_id"], d, r) for (m, d), r in zip(fresh, results, strict=True)
            ]
            bulk_insert(rows)
            applied |= {str(row.mutation_id): row for row in rows}
        return [applied[mutation_id] for mutation_id in ids]
    except DatabaseError:  # e.g. a deadlock with a concurrent push: nothing was written, go one by one
        logger.warning("applying %d %s mutations together failed; applying them one by one", len(mutations), kind,
                       exc_info=True)  # fmt: skip
        return [_apply_once(context, m, d) for m, d in zip(mutations, digests, strict=True)]


def _replay(prior: AppliedMutation, mutation: dict[str, Any], digest: str) -> dict[str, Any]:
    if prior.body_hash == digest:
        # In the protocol's key order (a stored result comes back from jsonb with its keys reordered).
        return {name: prior.result.get(name) for name in RESULT_FIELDS}
    return mutation_result(
        mutation["mutation_id"], "rejected",
        errors={"mutation_id": [_("This mutation id was already used for a different mutation.")]},
    )  # fmt: skip


def _apply_once(context: PushContext, mutation: dict[str, Any], digest: str) -> AppliedMutation:
    mutation_id = mutation["mutation_id"]
    keys = _lock_keys(context, [str(mutation_id)])
    try:
        with transaction.atomic():
            advisory_xact_lock(keys)
            prior = _stored(context, [str(mutation_id)]).get(str(mutation_id))
            if prior is not None:  # the same mutation, applied by a concurrent request
                return prior
            row = _record(context, mutation_id, digest, dispatch(context, mutation))
            row.save(force_insert=True)
            return row
    except (ValidationError, DjangoValidationError, APIException) as exc:
        result = mutation_result(mutation_id, "rejected", errors=errors_of(exc))
    except (IntegrityError, DataError):
        # A constraint of the database refused what validation let through. Answering the mutation keeps the rest
        # of the batch going: failing the request would make the device re-send the same batch for ever.
        logger.exception("mutation %s was refused by the database", mutation_id)
        result = mutation_result(
            mutation_id, "rejected", errors={"non_field_errors": [_("The data could not be stored as sent.")]}
        )
    with transaction.atomic():
        advisory_xact_lock(keys)
        prior = _stored(context, [str(mutation_id)]).get(str(mutation_id))
        if prior is not None:
            return prior
        row = _record(context, mutation_id, digest, result)
        row.save(force_insert=True)
        return row

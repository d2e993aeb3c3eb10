"""Feeds: what a subscription delivers — the changes of the records in its scope, projected to its grant.

The mobile pull's engine does the reading (never-skip journal cursor, snapshot then changes, tombstones
for records that left the scope); this module narrows it to the subscription's grids, types and row
filter, projects every record to the granted fields and writes the access log for what it reveals.
"""

import uuid
from typing import Any

from django.db.models import Q

from apps.core.principals import Principal
from apps.core.visibility import visible
from apps.journal.changes import record_envelope, record_in_grids, scoped_changes, start_cursor
from apps.journal.changes.columns import any_of
from apps.journal.models import AccessChannel
from apps.journal.services import AccessRecord, access_entry, access_log, access_log_reads
from apps.registry.models import Person
from apps.registry.organisations.models import Alert
from apps.territory.models import Level, TerritoryNode

from .models import Subscription
from .projection import Catalogue, project, record_uuid

ALERT = "alert"
# Records that name a person: with ``person_tags`` they follow their person in or out of the scope.
PERSON_LINKED = ("residence", "employment")


def feed_owner(subscription: Subscription) -> str:
    return f"feed:{subscription.pk}"


def subscription_scope(subscription: Subscription) -> dict[str, str]:
    """The grids (id → code) under the subscription's territory nodes."""
    paths = [node.path for node in subscription.nodes.all()]
    if not paths:
        return {}
    under = Q()
    for path in paths:
        under |= Q(path__startswith=path)
    grids = TerritoryNode.objects.filter(under, level=Level.GRID).values_list("pk", "code")
    return {str(pk): code for pk, code in grids}


def fanout_start_cursor(subscription: Subscription) -> str:
    """A cursor at "now" over the subscription's scope: webhooks carry changes from here on, no snapshot."""
    return start_cursor(
        owner=feed_owner(subscription),
        grids=list(subscription_scope(subscription)),
        scope_version=subscription.version,
    ).encode()


def _out_of_scope(change: dict[str, Any]) -> dict[str, Any]:
    return {"type": change["type"], "id": change["id"], "deleted": True, "reason": "out_of_scope"}


def _tagged(people: set[str], tags: set[str]) -> set[str]:
    """Which of ``people`` (ids as text) carry one of ``tags``: one query, none when there is nobody to ask."""
    if not people:
        return set()
    found = Person.objects.filter(pk__in=any_of(sorted(people)), tags__overlap=sorted(tags))
    return {str(pk) for pk in found.values_list("pk", flat=True)}


def _own_alerts(subscription: Subscription, changes: list[dict[str, Any]]) -> set[str]:
    """The alerts among ``changes`` raised for the subscription's department (its watch rules' grant)."""
    ids = sorted({str(c["id"]) for c in changes if c["type"] == ALERT})
    if not ids:
        return set()
    own = Alert.objects.filter(pk__in=any_of(ids), department_id=subscription.department_id)
    return {str(pk) for pk in own.values_list("pk", flat=True)}


def _row_filter(subscription: Subscription, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Narrow a page to the subscription's rows.

    Alerts are shared only with the department whose watch rule raised them: those of other departments are
    left out altogether, tombstones too (they were never sent, and even their ids are not this department's).
    With ``person_tags``, people without one of the tags — and their residences and employments — leave the
    scope (an ``out_of_scope`` tombstone, as they may have been sent before the grant was narrowed).
    """
    if any(c["type"] == ALERT for c in changes):
        own = _own_alerts(subscription, changes)
        changes = [c for c in changes if c["type"] != ALERT or str(c["id"]) in own]
    tags = set(subscription.person_tags)
    if not tags:
        return changes
    linked = {
        str(c["data"]["person_id"]) for c in changes if c["type"] in PERSON_LINKED and not c.get("deleted")
    }
    matching = _tagged(linked, tags)
    kept = []
    for change in changes:
        if change.get("deleted"):
            kept.append(change)
        elif (change["type"] == "person" and not tags & set(change["data"].get("tags") or [])) or (
            change["type"] in PERSON_LINKED and str(change["data"]["person_id"]) not in matching
        ):
            kept.append(_out_of_scope(change))
        else:
            kept.append(change)
    return kept


def _logged(
    subscription: Subscription, change: dict[str, Any], revealed: list[str], channel: str
) -> AccessRecord:
    return access_entry(
        department_id=subscription.department_id, subscription_id=subscription.pk, purpose=subscription.purpose,
        channel=channel, record_type=change["type"], record_id=record_uuid(change), fields=revealed,
    )  # fmt: skip


def feed_page(*, subscription: Subscription, token: str | None, limit: int, channel: str) -> dict[str, Any]:
    """One page of the subscription's feed, projected to its grant; reveals are written to the access log
    (grouped as they are made: a page reveals the same few sets of fields for hundreds of records)."""
    page = scoped_changes(
        owner=feed_owner(subscription), scope=subscription_scope(subscription), token=token, limit=limit,
        types=list(subscription.record_types), scope_version=subscription.version,
    )  # fmt: skip
    catalogue = Catalogue.load()
    granted = frozenset(subscription.fields)
    changes = []
    reads: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for change in _row_filter(subscription, page["changes"]):
        projected, revealed = project(change, granted=granted, catalogue=catalogue)
        changes.append(projected)
        if revealed:
            reads.setdefault((change["type"], tuple(revealed)), []).append(str(change["id"]))
    access_log_reads(
        channel=channel, reads=reads, department_id=subscription.department_id, subscription_id=subscription.pk,
        purpose=subscription.purpose,
    )  # fmt: skip
    return {"changes": changes, "cursor": page["cursor"], "has_more": page["has_more"]}


def subscription_for_reader(reader: Principal, subscription_id: uuid.UUID) -> Subscription | None:
    """The active feed subscription ``subscription_id`` if ``reader`` (a department system) holds it."""
    if getattr(reader, "role", None) != "department_system":
        return None
    return (
        visible(Subscription, reader)
        .filter(pk=subscription_id, is_active=True)
        .exclude(delivery="webhook")
        .first()
    )


def subscription_record(
    *, subscription: Subscription, record_type: str, record_id: uuid.UUID
) -> dict[str, Any] | None:
    """One record through a subscription (REST), projected like the feed; None when outside its scope."""
    if record_type not in subscription.record_types:
        return None
    scope = subscription_scope(subscription)
    grid_codes = dict(scope)
    change = record_envelope(record_type, record_id, grid_codes)
    if change is None:
        return None
    if not record_in_grids(record_type, record_id, list(grid_codes)):
        return None
    filtered = _row_filter(subscription, [change])
    if not filtered or filtered[0].get("deleted"):
        return None
    projected, revealed = project(
        filtered[0], granted=frozenset(subscription.fields), catalogue=Catalogue.load()
    )
    if revealed:
        access_log([_logged(subscription, change, revealed, AccessChannel.REST)])
    return projected

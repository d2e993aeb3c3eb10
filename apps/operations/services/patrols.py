"""Recording patrols while the worker walks: the patrol itself, then chunks of its track and check-ins.

A chunk is one mutation writing hundreds of fixes in one statement (``INSERT … SELECT FROM unnest(…)`` of the
fixes not stored yet, under the patrol's row lock): fixes are keyed by (patrol, seq), so a chunk sent twice,
out of order or by two requests at once is stored once, and the track is always read in ``seq`` order. The
derived track and figures are rebuilt from the raw fixes: at once when the patrol has ended, otherwise by a
task after the commit.
"""

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.attachments.selectors import attachments_not_referable
from apps.core.bulk import bound_cursor
from apps.core.packed_arrays import accept_packed, packed
from apps.core.principals import Principal
from apps.core.rows import Columns
from apps.core.visibility import visible_many
from apps.journal.models import Change
from apps.journal.services import journal_record
from apps.territory.models import TerritoryNode
from apps.territory.selectors import worker_grids

from ..inputs import Fixes, PatrolDataSerializer
from ..models import Patrol, PatrolFix, PatrolPoint
from ..selectors import grids_in_scope, patrol_main_grid
from .common import Outcome, error_dict, validated
from .derive import patrol_derive_now

PATROL = "patrol"
PATROL_FIELDS = ("kind", "started_at", "ended_at", "note")


def patrol_apply(
    *,
    principal: Principal | Any,
    record_id: Any,
    op: str,
    data: Any,
    collected_at: dt.datetime | None = None,
    device: str = "",
    crs: str = "wgs84",
) -> Outcome:
    """Apply one ``patrol`` mutation of the push (create, or update appending a chunk); never raises for bad
    input: the outcome is then ``rejected`` with field errors and nothing is stored."""
    try:
        return _apply(principal=principal, record_id=record_id, op=op, data=data, device=device, crs=crs)
    except ValidationError as exc:
        return Outcome.rejected(error_dict(exc))


@transaction.atomic
def _apply(*, principal: Any, record_id: Any, op: str, data: Any, device: str, crs: str) -> Outcome:
    if op not in {"create", "update"}:
        raise ValidationError({"op": [_("Patrols are created and updated, never deleted from a device.")]})
    try:
        patrol_id = uuid.UUID(str(record_id))
    except ValueError as exc:
        raise ValidationError({"id": [_("Not a valid id.")]}) from exc
    values = validated(PatrolDataSerializer, data, partial=op == "update", crs=crs)
    patrol, created = _patrol_for_chunk(principal, patrol_id, values, device)
    changed = _fields_changed(patrol, values) if not created else set()
    if "grid_codes" in values and not created and _set_grids(patrol, principal, values["grid_codes"]):
        changed.add("grids")
        patrol.main_grid_id = patrol_main_grid(patrol.pk)  # type: ignore[attr-defined]
    fixes: Fixes = values.get("points") or Fixes([], [], [], [], [], [], [], [])
    added = fixes_insert(patrol_id=patrol.pk, fixes=fixes) if len(fixes) else 0
    checked = checkins_record(patrol=patrol, principal=principal, checkins=values.get("checkins") or [])
    if added:
        changed.add("points")
    if checked:
        changed.add("checkins")
    if created or changed:
        _patrol_save_chunk(
            patrol, version=patrol.version + (0 if created else 1), fix_count=patrol.fix_count + added
        )
        patrol.version += 0 if created else 1
        patrol.fix_count += added
        journal_record(
            record_type=PATROL, record_id=patrol.pk, change=Change.CREATED if created else Change.UPDATED,
            version=patrol.version, grid_id=patrol.main_grid_id, fields=sorted(changed), actor=principal,  # type: ignore[attr-defined]
        )  # fmt: skip
        if patrol.ended_at is not None:
            patrol_derive_now(patrol_id=patrol.pk)  # a finished patrol is never shown with stale figures
        elif created or _derive_wanted(patrol):
            from ..tasks import derive_patrol

            transaction.on_commit(lambda: derive_patrol.delay(str(patrol.pk)))
    return Outcome.applied(patrol)


# How long a derivation asked for by an earlier chunk is trusted to be still on its way (see ``_derive_wanted``).
DERIVATION_PENDING_FOR = dt.timedelta(minutes=1)


def _derive_wanted(patrol: Patrol) -> bool:
    """Whether this chunk of a running patrol asks for a derivation after it commits.

    Not while one asked for by an earlier chunk is still to run: the derivation waits for this transaction's
    row lock and derives every chunk committed by then, this one included. A device back in coverage sends an
    afternoon's chunks in a row; each deriving the whole track again would cost the database more than storing
    them. A derivation is pending when the derived figures lag the version this chunk found (the chunk that
    made them lag asked for one); one asked for more than a minute ago is asked for again, in case it was lost.
    """
    version_found = patrol.version - 1  # the caller has counted this chunk
    if patrol.derived_version >= version_found:
        return True
    last = patrol.derived_at or patrol.created_at
    return last < timezone.now() - DERIVATION_PENDING_FOR


def _patrol_for_chunk(
    principal: Any, patrol_id: uuid.UUID, values: dict[str, Any], device: str
) -> tuple[Patrol, bool]:
    """The patrol, locked; made first if this is the first chunk to arrive (whichever one that is)."""
    created = False
    if "started_at" in values and not Patrol.objects.filter(pk=patrol_id).exists():
        with (
            bound_cursor() as cursor
        ):  # two first chunks at once: one inserts, the other waits, then finds it
            cursor.execute(
                "INSERT INTO operations_patrol (id, created_at, updated_at, version, worker_id, kind, started_at, "
                "ended_at, note, device_id, fix_count, fixes_used, distance_m, moving_s, idle_s, inside_s, "
                "effective_s, flagged_s, buildings_passed, checkin_count, flags, derived_version) "
                "VALUES (%s, now(), now(), 1, %s, %s, %s, %s, %s, %s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}', 0) "
                "ON CONFLICT (id) DO NOTHING",
                [patrol_id, principal.pk, values.get("kind") or "routine", values["started_at"],
                 values.get("ended_at"), values.get("note") or "", device[:128]],
            )  # fmt: skip
            created = cursor.rowcount == 1
    patrol = _patrol_locked(patrol_id)
    if patrol is None:
        raise ValidationError({"id": [_("No such patrol: send its start (started_at) first.")]})
    if patrol.worker_id != principal.pk:
        # The same answer as for an id nobody used: it tells nothing of whose patrol it is.
        raise ValidationError({"id": [_("No such patrol: send its start (started_at) first.")]})
    if created:
        _set_grids(patrol, principal, values.get("grid_codes") or [])
        patrol.main_grid_id = patrol_main_grid(patrol.pk)  # type: ignore[attr-defined]
    return patrol, created


def _fields_changed(patrol: Patrol, values: dict[str, Any]) -> set[str]:
    changed = set()
    for name in PATROL_FIELDS:
        if name in values and getattr(patrol, name) != values[name]:
            setattr(patrol, name, values[name])
            changed.add(name)
    if patrol.ended_at and patrol.ended_at < patrol.started_at:
        raise ValidationError({"data": {"ended_at": [_("A patrol cannot end before it starts.")]}})
    return changed


def _set_grids(patrol: Patrol, principal: Any, codes: list[str]) -> bool:
    """The patrol's grids: those named (each must be in the worker's scope), or the worker's grids today."""
    if codes:
        grids = list(grids_in_scope(principal).filter(code__in=codes).values_list("pk", "code"))
        unknown = sorted(set(codes) - {code for _, code in grids})
        if unknown:
            raise ValidationError({"data": {"grid_codes": [_("Not among your grids: %(codes)s") % {
                "codes": ", ".join(unknown)}]}})  # fmt: skip
        wanted = {pk for pk, _ in grids}
    else:
        wanted = set(worker_grids(worker=principal).values_list("pk", flat=True))
    current = set(patrol.grids.values_list("pk", flat=True))
    if wanted == current:
        return False
    patrol.grids.set(TerritoryNode.objects.filter(pk__in=wanted))
    return True


# What a chunk reads of its patrol, locked: never the derived track and path (thousands of vertices on a long
# patrol); with the grid its journal entries name (``patrol_main_grid``, in SQL). Prepared statements: the
# ORM built them in Python on every chunk (a quarter of a chunk's own work).
_LOCKED = Columns(Patrol, "p", defer=[
    field.attname for field in Patrol._meta.concrete_fields
    if field.attname not in {"id", "worker_id", "version", "fix_count", "derived_version", "derived_at", "created_at",
                             *PATROL_FIELDS}
])  # fmt: skip
_LOCK = (
    "(SELECT pg.territorynode_id FROM operations_patrol_grids pg "
    "JOIN territory_territorynode n ON n.id = pg.territorynode_id "
    "WHERE pg.patrol_id = p.id ORDER BY n.code LIMIT 1) AS main_grid_id "
    "FROM operations_patrol p WHERE p.id = %s FOR UPDATE OF p"
)
_SAVE_CHUNK = (
    "UPDATE operations_patrol SET version = %s, fix_count = %s, "  # noqa: S608 - the model's field names
    f"{', '.join(f'{name} = %s' for name in PATROL_FIELDS)}, updated_at = now() WHERE id = %s"
)


def _patrol_locked(patrol_id: uuid.UUID) -> Patrol | None:
    with bound_cursor() as cursor:
        cursor.execute(f"SELECT {_LOCKED.sql}, {_LOCK}", [patrol_id])
        row = cursor.fetchone()
    if row is None:
        return None
    patrol, _end = _LOCKED.take(row)
    patrol.main_grid_id = row[-1]  # type: ignore[attr-defined]
    return patrol


def _patrol_save_chunk(patrol: Patrol, *, version: int, fix_count: int) -> None:
    with bound_cursor() as cursor:
        cursor.execute(_SAVE_CHUNK, [version, fix_count, *(getattr(patrol, name) for name in PATROL_FIELDS),
                                     patrol.pk])  # fmt: skip


FIX_COLUMNS = ("patrol_id", "seq", "t", "lon", "lat", "accuracy_m", "speed_mps", "provider", "mock")


def fixes_insert(*, patrol_id: uuid.UUID, fixes: Fixes) -> int:
    """Store a chunk of fixes in one statement; fixes already stored (same patrol and seq) are left as they
    are. Returns how many were new.

    Call it with the patrol's row locked (``patrol_apply`` does): chunks of one patrol are then written one after
    the other, so a fix missing when the statement looks is still missing when it inserts. That is what lets
    the statement read the chunk's stored seqs once (one index scan, usually finding none) and insert the rest
    plainly, instead of ``ON CONFLICT DO NOTHING``, whose speculative insertion took PostgreSQL about twice as
    long per chunk. (A ``NOT EXISTS`` per fix would do too, but on a young, small table the planner makes it a
    scan of the table per fix, and a prepared statement keeps that plan as the table grows.)
    """
    table = PatrolFix._meta.db_table
    sql = (
        f"WITH stored AS (SELECT coalesce(array_agg(seq), '{{}}') AS seqs FROM {table} "  # noqa: S608 - names from the model
        "WHERE patrol_id = %(patrol)b::uuid AND seq = ANY(%(seq)b::int4[])) "
        f"INSERT INTO {table} ({', '.join(FIX_COLUMNS)}) "
        "SELECT %(patrol)b::uuid, u.* FROM unnest(%(seq)b::int4[], %(t)b::timestamptz[], %(lon)b::float8[], "
        "%(lat)b::float8[], %(accuracy)b::float4[], %(speed)b::float4[], %(provider)b::int2[], %(mock)b::bool[]) "
        "AS u(seq, t, lon, lat, accuracy_m, speed_mps, provider, mock), stored WHERE u.seq <> ALL (stored.seqs)"
    )
    params = {
        "patrol": patrol_id, "seq": packed(fixes.seq, "int4"), "t": packed(fixes.t, "timestamptz"),
        "lon": packed(fixes.lon, "float8"), "lat": packed(fixes.lat, "float8"),
        "accuracy": packed(fixes.accuracy_m, "float4"), "speed": packed(fixes.speed_mps, "float4"),
        "provider": packed(fixes.provider, "int2"), "mock": packed(fixes.mock, "bool"),
    }  # fmt: skip
    with bound_cursor() as cursor:
        accept_packed(cursor)
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def checkins_record(*, patrol: Patrol, principal: Any, checkins: list[dict[str, Any]]) -> int:
    """Store check-ins (once each: point, worker, time) and decide in SQL whether each counts: the method is
    one the point accepts, and a GPS fix lies within the radius with an accuracy no worse than it."""
    if not checkins:
        return 0
    seen, hidden = visible_many(PatrolPoint, principal, [c["point_id"] for c in checkins])
    if hidden:
        raise ValidationError({"data": {"checkins": [_("Unknown patrol points: %(ids)s") % {
            "ids": ", ".join(str(i) for i in hidden)}]}})  # fmt: skip
    refused = attachments_not_referable(
        user=principal, hashes=[c["photo"] for c in checkins if c.get("photo")]
    )
    if refused:
        raise ValidationError({"data": {"checkins": [_("No such photo among those you may see: %(hashes)s") % {
            "hashes": ", ".join(refused)}]}})  # fmt: skip
    rows = [
        (seen[c["point_id"]], c["t"], c["lon"], c["lat"], c["accuracy_m"], c["method"], c["photo"])
        for c in checkins
    ]
    sql = """
        INSERT INTO operations_checkin (id, created_at, updated_at, point_id, patrol_id, worker_id, t, location,
                                        accuracy_m, method, photo, distance_m, counted, reason)
        SELECT gen_random_uuid(), now(), now(), c.point_id, %(patrol)s, %(worker)s, c.t, c.location, c.accuracy,
               c.method, c.photo, c.distance,
               c.method = ANY(p.methods) AND (c.method <> 'gps' OR (c.distance <= p.radius_m
                   AND coalesce(c.accuracy, 0) <= p.radius_m)),
               CASE WHEN NOT c.method = ANY(p.methods) THEN 'method_not_allowed'
                    WHEN c.method = 'gps' AND c.distance > p.radius_m THEN 'too_far'
                    WHEN c.method = 'gps' AND coalesce(c.accuracy, 0) > p.radius_m THEN 'inaccurate'
                    ELSE '' END
        FROM (
            SELECT u.point_id, u.t, u.accuracy, u.method, u.photo, g.location,
                   ST_Distance(g.location::geography, p.location::geography) AS distance
            FROM unnest(%(points)s::uuid[], %(times)s::timestamptz[], %(lons)s::float8[], %(lats)s::float8[],
                        %(accuracies)s::float8[], %(methods)s::text[], %(photos)s::text[])
                 AS u(point_id, t, lon, lat, accuracy, method, photo)
            JOIN operations_patrolpoint p ON p.id = u.point_id
            CROSS JOIN LATERAL (SELECT CASE WHEN u.lon IS NULL THEN NULL
                                ELSE ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) END AS location) g
        ) c JOIN operations_patrolpoint p ON p.id = c.point_id
        ON CONFLICT (point_id, worker_id, t) DO NOTHING
    """
    columns = list(zip(*rows, strict=True))
    params = {"patrol": patrol.pk, "worker": principal.pk, "points": list(columns[0]), "times": list(columns[1]),
              "lons": list(columns[2]), "lats": list(columns[3]), "accuracies": list(columns[4]),
              "methods": list(columns[5]), "photos": list(columns[6])}  # fmt: skip
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def patrol_fixes(patrol_id: uuid.UUID) -> QuerySet[PatrolFix]:
    """The raw fixes of a patrol in track order."""
    return PatrolFix.objects.filter(patrol_id=patrol_id).order_by("seq")

"""What the device pull sends of operations records: per type, what a principal may pull (``scope``) and the
envelopes of a set of ids (``envelopes``), in the shape of the sync's building and person readers.

The change engine (journal sources registered by each app) takes these: ``PULL_SOURCES[type].scope(principal)``
is the queryset of records a snapshot sends, and ``PULL_SOURCES[type].envelopes(ids, grid_codes)`` reads the
current state of the records ``ids`` (text) in one query — an id missing from the answer is gone (a
``deleted`` tombstone); one present whose grid left the scope is for the engine to tombstone ``out_of_scope``.
Every change of these records is journalled with ``record_type`` = the type and ``grid_id`` = its grid.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import F, FloatField, Func, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from apps.core.principals import Principal

from .models import Patrol, PatrolPoint, Task, Visit
from .selectors import patrol_points_for, patrols_for, tasks_for, visits_for


def _text(name: str) -> Cast:
    return Cast(name, TextField())


def _instant(name: str) -> Func:
    """A timestamp as ISO 8601 text in UTC, formatted by PostgreSQL (null stays null)."""
    utc = Func(Value("UTC"), F(name), function="timezone")
    return Func(
        utc, Value('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), function="to_char", output_field=TextField()
    )


def _ids(ids: list[str]) -> RawSQL:
    return RawSQL("SELECT unnest(%s::text[]::uuid[])", [ids])


def _geometry(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def _envelope(kind: str, record_id: str, version: int, updated: str, geometry: Any, data: dict[str, Any],
              grid: str | None) -> dict[str, Any]:  # fmt: skip
    return {"type": kind, "id": record_id, "version": version, "updated_at": updated, "deleted": False,
            "geometry": geometry, "data": data, "grid_id": grid}  # fmt: skip


# The track's M values in vertex order (constant SQL: no parameters).
TRACK_TIMES = "SELECT array_agg(ST_M(d.geom) ORDER BY d.path) FROM ST_DumpPoints(operations_patrol.track) d"


def _track_times() -> RawSQL:
    return RawSQL(TRACK_TIMES, [], output_field=TextField())  # noqa: S611 - constant SQL, no parameters


def patrol_envelopes(ids: list[str], grid_codes: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Patrols: the simplified track (2D GeoJSON) with its vertices' times, figures and flags."""
    rows = Patrol.objects.filter(pk__in=_ids(ids)).values_list(
        _text("id"), "version", _instant("updated_at"), AsGeoJSON("path", precision=7),
        _track_times(), "kind", _instant("started_at"), _instant("ended_at"),
        "note", "fix_count", "distance_m", "moving_s", "idle_s", "inside_s", "effective_s", "flags",
        "checkin_count", "buildings_passed",
    )  # fmt: skip
    grids: dict[str, list[str]] = {}
    for patrol_id, grid_id, code in Patrol.grids.through.objects.filter(patrol_id__in=_ids(ids)).values_list(
        _text("patrol_id"), _text("territorynode_id"), "territorynode__code"
    ):
        grids.setdefault(patrol_id, []).append(code)
        grid_codes.setdefault(grid_id, code)
    answer = {}
    for (pid, version, updated, path, times, kind, started, ended, note, fixes, distance, moving, idle, inside,
         effective, flags, checkins, passed) in rows:  # fmt: skip
        data = {"kind": kind, "started_at": started, "ended_at": ended, "grid_codes": sorted(grids.get(pid, [])),
                "note": note, "track_times": list(times or []), "fix_count": fixes, "distance_m": round(distance, 1),
                "moving_s": moving, "idle_s": idle, "inside_s": inside, "effective_s": effective, "flags": flags,
                "checkin_count": checkins, "buildings_passed": passed}  # fmt: skip
        answer[pid] = _envelope("patrol", pid, version, updated, _geometry(path), data, None)
    return answer


def visit_envelopes(ids: list[str], grid_codes: dict[str, str]) -> dict[str, dict[str, Any]]:
    rows = Visit.objects.filter(pk__in=_ids(ids)).values_list(
        _text("id"), "version", _instant("updated_at"), AsGeoJSON("location", precision=7), _text("grid_id"), "kind",
        _text("building_id"), "room", _text("organisation_id"), "person_ids", _instant("started_at"),
        _instant("ended_at"), "outcome", "notes", "photos", _text("task_id"), "event_ids", _text("worker_id"),
    )  # fmt: skip
    answer = {}
    for (vid, version, updated, location, grid, kind, building, room, organisation, people, started, ended, outcome,
         notes, photos, task, events, worker) in rows:  # fmt: skip
        data = {"kind": kind, "building_id": building, "room": room, "organisation_id": organisation,
                "person_ids": [str(p) for p in people], "started_at": started, "ended_at": ended, "outcome": outcome,
                "notes": notes, "photos": photos, "task_id": task, "event_ids": [str(e) for e in events],
                "worker_id": worker, "grid": grid_codes.get(grid or "")}  # fmt: skip
        answer[vid] = _envelope("visit", vid, version, updated, _geometry(location), data, grid)
    return answer


def task_envelopes(ids: list[str], grid_codes: dict[str, str]) -> dict[str, dict[str, Any]]:
    rows = Task.objects.filter(pk__in=_ids(ids)).values_list(
        _text("id"), "version", _instant("updated_at"), _text("grid_id"), "kind", "title", Cast("due", TextField()),
        "subject_type", _text("subject_id"), "status", "note", "source", "overdue", _text("alert_id"),
    )  # fmt: skip
    answer = {}
    for (
        tid,
        version,
        updated,
        grid,
        kind,
        title,
        due,
        subject_type,
        subject_id,
        status,
        note,
        source,
        overdue,
        alert,
    ) in rows:
        data = {"kind": kind, "title": title, "due": due, "subject": {"type": subject_type, "id": subject_id},
                "grid": grid_codes.get(grid), "status": status, "note": note, "source": source, "overdue": overdue,
                "alert_id": alert}  # fmt: skip
        answer[tid] = _envelope("task", tid, version, updated, None, data, grid)
    return answer


def patrol_point_envelopes(ids: list[str], grid_codes: dict[str, str]) -> dict[str, dict[str, Any]]:
    rows = PatrolPoint.objects.filter(pk__in=_ids(ids), active=True).values_list(
        _text("id"), "version", _instant("updated_at"), _text("grid_id"), "name",
        Func(F("location"), function="ST_X", output_field=FloatField()),
        Func(F("location"), function="ST_Y", output_field=FloatField()), "radius_m", "methods", "schedule",
    )  # fmt: skip
    answer = {}
    for pid, version, updated, grid, name, lon, lat, radius, methods, schedule in rows:
        geometry = {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}
        data = {"name": name, "location": geometry, "radius_m": radius, "methods": methods, "schedule": schedule,
                "grid": grid_codes.get(grid)}  # fmt: skip
        answer[pid] = _envelope("patrol_point", pid, version, updated, geometry, data, grid)
    return answer


@dataclass(frozen=True)
class PullSource:
    """One record type of the pull: what a principal may pull, and the envelopes of ids."""

    scope: Callable[[Principal | Any], QuerySet[Any]]
    envelopes: Callable[[list[str], dict[str, str]], dict[str, dict[str, Any]]]


def _own_patrols(principal: Any) -> QuerySet[Patrol]:
    """A device pulls its user's own patrols (a dispatcher's console reads them over REST)."""
    return patrols_for(principal).filter(worker_id=principal.pk)


PULL_SOURCES: dict[str, PullSource] = {
    "patrol": PullSource(scope=_own_patrols, envelopes=patrol_envelopes),
    "visit": PullSource(scope=visits_for, envelopes=visit_envelopes),
    "task": PullSource(scope=tasks_for, envelopes=task_envelopes),
    "patrol_point": PullSource(
        scope=lambda p: patrol_points_for(p).filter(active=True), envelopes=patrol_point_envelopes
    ),
}

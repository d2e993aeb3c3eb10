"""Patrols, visits, tasks and patrol points as sources of the journal's change engine (device pulls).

A worker pulls their own patrols and visits (wherever they lie: the grid column is left empty and the worker
is the owner, so no grid brings a colleague's), the tasks of their grids and the active patrol points there.
Snapshot orders 40–70 follow the registry's (cursors given out hold the earlier ones).
"""

from collections.abc import Callable
from typing import Any

import orjson
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Q, TextField
from django.db.models.expressions import RawSQL

from apps.journal.changes import ChangeSource, change_source_register
from apps.journal.changes import columns as c

from .models import OPEN_TASK_STATUSES, Patrol, PatrolPoint, Task, Visit
from .pull import TRACK_TIMES

Unseal = Callable[[str], str]
# A patrol's grid codes, in code order (constant SQL: no parameters).
PATROL_GRID_CODES = (
    "SELECT coalesce(array_agg(n.code ORDER BY n.code), '{}') FROM operations_patrol_grids g "
    "JOIN territory_territorynode n ON n.id = g.territorynode_id WHERE g.patrol_id = operations_patrol.id"
)


def _raw(sql: str) -> RawSQL:
    return RawSQL(sql, [], output_field=TextField())  # noqa: S611 - constant SQL, no parameters


def _geometry(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def _patrol_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.NULL, c.text("worker_id"), "version", c.updated(),
            AsGeoJSON("path", precision=7), _raw(TRACK_TIMES), _raw(PATROL_GRID_CODES), "kind",
            c.updated("started_at"), c.updated("ended_at"), "note", "fix_count", "distance_m", "moving_s", "idle_s",
            "inside_s", "effective_s", "flags", "checkin_count", "buildings_passed"]  # fmt: skip


def _patrol(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    (_, _, _, _, _, _, path, times, codes, kind, started, ended, note, fixes, distance, moving, idle, inside,
     effective, flags, checkins, passed) = row  # fmt: skip
    data = {"kind": kind, "started_at": started, "ended_at": ended, "grid_codes": list(codes or []), "note": note,
            "track_times": list(times or []), "fix_count": fixes, "distance_m": round(distance, 1),
            "moving_s": moving, "idle_s": idle, "inside_s": inside, "effective_s": effective, "flags": flags,
            "checkin_count": checkins, "buildings_passed": passed}  # fmt: skip
    return c.envelope("patrol", row, data, _geometry(path))


def _visit_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.NULL, c.text("worker_id"), "version", c.updated(), *c.coordinates(),
            c.text("grid_id"), "kind", c.text("building_id"), "room", c.text("organisation_id"), "person_ids",
            c.updated("started_at"), c.updated("ended_at"), "outcome", "notes", "photos", c.text("task_id"),
            "event_ids"]  # fmt: skip


def _visit(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    (_, _, _, worker, _, _, lon, lat, grid, kind, building, room, organisation, people, started, ended, outcome,
     notes, photos, task, events) = row  # fmt: skip
    data = {"kind": kind, "building_id": building, "room": room, "organisation_id": organisation,
            "person_ids": [str(p) for p in people], "started_at": started, "ended_at": ended, "outcome": outcome,
            "notes": notes, "photos": photos, "task_id": task, "event_ids": [str(e) for e in events],
            "worker_id": worker, "grid": grid_codes.get(grid or "")}  # fmt: skip
    return c.envelope("visit", row, data, c.point(lon, lat))


def _task_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.text("grid_id"), c.NULL, "version", c.updated(), "kind", "title", c.day("due"),
            "subject_type", c.text("subject_id"), "status", "note", "source", "overdue"]  # fmt: skip


def _task(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    kind, title, due, subject_type, subject_id, status, note, source, overdue = row[6:]
    data = {"kind": kind, "title": title, "due": due, "subject": {"type": subject_type, "id": subject_id},
            "grid": grid_codes.get(row[c.GRID]), "status": status, "note": note, "source": source,
            "overdue": overdue}  # fmt: skip
    return c.envelope("task", row, data, None)


def _point_columns() -> list[Any]:
    return [c.text("id"), c.NULL, c.text("grid_id"), c.NULL, "version", c.updated(), *c.coordinates(), "name",
            "radius_m", "methods", "schedule", "active"]  # fmt: skip


def _point(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Unseal) -> dict[str, Any]:
    lon, lat, name, radius, methods, schedule, active = row[6:]
    geometry = c.point(lon, lat)
    data = {"name": name, "location": geometry, "radius_m": radius, "methods": methods, "schedule": schedule,
            "active": active, "grid": grid_codes.get(row[c.GRID])}  # fmt: skip
    return c.envelope("patrol_point", row, data, geometry)


def _visit_revealed(change: dict[str, Any]) -> tuple[str, ...]:
    return ("person_ids",) if change["data"].get("person_ids") else ()


def register_change_sources() -> None:
    """Called from the operations' ``AppConfig.ready``."""
    # ``grid_field="worker_id"``: no grid id is a user id, so grids bring none; the owner brings their own.
    change_source_register(ChangeSource(
        kind="patrol", model=Patrol, order=40, columns=_patrol_columns, envelope=_patrol, grid_field="worker_id",
        owner_field="worker_id",
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind="visit", model=Visit, order=50, columns=_visit_columns, envelope=_visit, grid_field="worker_id",
        owner_field="worker_id", revealed=_visit_revealed,
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind="task", model=Task, order=60, columns=_task_columns, envelope=_task,
        live=Q(status__in=OPEN_TASK_STATUSES),
    ))  # fmt: skip
    change_source_register(ChangeSource(
        kind="patrol_point", model=PatrolPoint, order=70, columns=_point_columns, envelope=_point,
        live=Q(active=True),
    ))  # fmt: skip

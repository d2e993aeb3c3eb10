"""Events as a source of the journal's change engine (pulls and feeds)."""

from collections.abc import Callable
from typing import Any

from apps.journal.changes import ChangeSource, change_source_register
from apps.journal.changes import columns as c

from .models import Event

EVENT = "event"


def _columns() -> list[Any]:
    return [c.text("id"), c.text("merged_into_id"), c.text("grid_id"), c.text("reporter_id"), "version",
            c.updated(), *c.coordinates(), "category_id", "title", "description", "status", "level",
            "department__code", c.text("building_id"), "person_ids", "photos", "priority", "report_count",
            "occurred_at", "reported_at", "sign_by", "handle_by", "overdue", "suspended_at", "self_resolved",
            "rating"]  # fmt: skip


def _event(row: tuple[Any, ...], grid_codes: dict[str, str], unseal: Callable[[str], str]) -> dict[str, Any]:
    (_, _, grid, reporter, _, _, lon, lat, category, title, description, status, level, department, building,
     person_ids, photos, priority, report_count, occurred_at, reported_at, sign_by, handle_by, overdue,
     suspended_at, self_resolved, rating) = row  # fmt: skip
    data = {
        "category": category, "title": title, "description": description, "status": status, "level": level,
        "department": department, "building_id": building, "person_ids": [str(p) for p in person_ids],
        "photos": photos, "priority": priority, "report_count": report_count,
        "occurred_at": c.instant(occurred_at), "reported_at": c.instant(reported_at), "reporter_id": reporter,
        "sign_by": c.instant(sign_by), "handle_by": c.instant(handle_by), "overdue": overdue,
        "suspended": suspended_at is not None, "self_resolved": self_resolved, "rating": rating,
        "grid": grid_codes.get(grid),
    }  # fmt: skip
    return c.envelope(EVENT, row, data, c.point(lon, lat))


def register_change_sources() -> None:
    """Called from the events' ``AppConfig.ready``: a reporter's events follow them wherever they lie."""
    change_source_register(
        ChangeSource(
            kind=EVENT, model=Event, order=3, columns=_columns, envelope=_event, owner_field="reporter_id"
        )
    )

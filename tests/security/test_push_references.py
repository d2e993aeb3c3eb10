"""Every push type, from B's device, with references to A's records: rejected, nothing written, nothing of
A's in the answer. Table-driven: a new record type (organisation, patrol, visit, task) adds its rows."""

from collections.abc import Callable
from typing import Any

import pytest

from apps.registry.models import RecordType
from tests.registry.conftest import HH
from tests.sync.conftest import mutation

from .conftest import World
from .outsider import leaked, snapshot
from .records import b_made, made

pytestmark = pytest.mark.django_db

Build = Callable[[World], dict[str, Any]]


def version(w: World, name: str) -> int:
    record = w.records[name]
    return int(type(record)._default_manager.get(pk=record.pk).version)  # type: ignore[attr-defined]


def _event(**extra: Any) -> dict[str, Any]:
    return {"category": "dispute_neighbour", "title": "乙事件", **extra}


def _sent(record_type: str, op: str = "create", *, record_id: Any = None, base: int | None = None,
          point: Any = None, **data: Any) -> dict[str, Any]:  # fmt: skip
    """A mutation whose data may hold a ``kind`` field."""
    sent = mutation(record_type, op, record_id=record_id, base=base, point=point)
    sent["data"] = data
    return sent


def _pushed(client: Any, sent: dict[str, Any]) -> str:
    response = client.post("/api/v1/sync/push/", {"device_id": "phone-a", "mutations": [sent]}, format="json")
    (result,) = response.json()["results"]
    assert result["status"] == "applied", result
    return str(result["id"])


def _a(w: World, name: str) -> str:
    """A's operations and organisation records, made (once) when an attack names them."""
    return made(w, name)


def _b(w: World, name: str) -> str:
    return b_made(w, name)


def _checkin(point: str, **extra: Any) -> dict[str, Any]:
    return {"point_id": point, "t": "2026-11-16T09:02:00+08:00", "lon": HH[0], "lat": HH[1], "accuracy_m": 5,
            "method": "gps", **extra}  # fmt: skip


PUSH_ATTACKS: dict[str, list[tuple[str, Build]]] = {
    RecordType.BUILDING: [
        ("create naming A's person as landlord", lambda w: mutation("building", point=HH, address="海虹社区乙巷5号", landlord_id=w.ids["person"])),
        ("create with A's photo", lambda w: mutation("building", point=HH, address="海虹社区乙巷6号", photos=[w.ids["photo"]])),
        ("create reusing A's building id", lambda w: mutation("building", point=HH, record_id=w.ids["building"], address="海虹社区乙巷7号")),
        ("update of A's building", lambda w: mutation("building", "update", record_id=w.ids["building"], base=version(w, "building"), point=None, name="乙改")),
        ("update of B's building naming A's landlord", lambda w: mutation("building", "update", record_id=w.b_ids["building"], base=1, point=None, landlord_id=w.ids["person"])),
        ("update of B's building with A's photo", lambda w: mutation("building", "update", record_id=w.b_ids["building"], base=1, point=None, photos=[w.ids["photo"]])),
        ("delete of A's building", lambda w: mutation("building", "delete", record_id=w.ids["building"], point=None)),
    ],
    RecordType.PERSON: [
        ("create living in A's building", lambda w: mutation("person", point=HH, name="乙新", residence={"building_id": w.ids["building"], "relation": "tenant"})),
        ("create reusing A's person id", lambda w: mutation("person", point=HH, record_id=w.ids["person"], name="乙新")),
        ("update of A's person", lambda w: mutation("person", "update", record_id=w.ids["person"], base=version(w, "person"), point=None, name="乙改")),
        ("delete of A's person", lambda w: mutation("person", "delete", record_id=w.ids["person"], point=None)),
    ],
    RecordType.RESIDENCE: [
        ("B's person in A's building", lambda w: mutation("residence", point=None, person_id=w.b_ids["person"], building_id=w.ids["building"], relation="tenant")),
        ("A's person in B's building", lambda w: mutation("residence", point=None, person_id=w.ids["person"], building_id=w.b_ids["building"], relation="tenant")),
        ("update of A's residence", lambda w: mutation("residence", "update", record_id=w.ids["residence"], base=version(w, "residence"), point=None, room="999")),
        ("delete of A's residence", lambda w: mutation("residence", "delete", record_id=w.ids["residence"], point=None)),
    ],
    "event": [
        ("report with A's photo", lambda w: mutation("event", point=HH, **_event(photos=[w.ids["photo"]]))),
        ("report about A's building", lambda w: mutation("event", point=HH, **_event(building_id=w.ids["building"]))),
        ("report about A's person", lambda w: mutation("event", point=HH, **_event(person_ids=[w.ids["person"]]))),
        ("report reusing A's event id", lambda w: mutation("event", point=HH, record_id=w.ids["event"], **_event())),
    ],
    RecordType.ORGANISATION: [
        ("create in A's building", lambda w: _sent("organisation", point=HH, name="乙店", kind="individual", building_id=w.ids["building"])),
        ("create reusing A's organisation id", lambda w: _sent("organisation", point=HH, record_id=_a(w, "organisation"), name="乙店", kind="individual")),
        ("update of A's organisation", lambda w: _sent("organisation", "update", record_id=_a(w, "organisation"), base=version(w, "organisation"), name="乙改")),
        ("update of B's organisation into A's building", lambda w: _sent("organisation", "update", record_id=_b(w, "organisation"), base=1, building_id=w.ids["building"])),
        ("create with A's photo", lambda w: _sent("organisation", point=HH, name="乙店", kind="individual", photos=[w.ids["photo"]])),
        ("update of B's organisation with A's photo", lambda w: _sent("organisation", "update", record_id=_b(w, "organisation"), base=1, photos=[w.ids["photo"]])),
        ("delete of A's organisation", lambda w: _sent("organisation", "delete", record_id=_a(w, "organisation"), base=1)),
    ],
    RecordType.EMPLOYMENT: [
        ("B's person at A's organisation", lambda w: _sent("employment", person_id=w.b_ids["person"], organisation_id=_a(w, "organisation"))),
        ("A's person at B's organisation", lambda w: _sent("employment", person_id=w.ids["person"], organisation_id=_b(w, "organisation"))),
        ("B's person at B's organisation reusing A's employment id", lambda w: _sent("employment", record_id=_a(w, "employment"), person_id=w.b_ids["person"], organisation_id=_b(w, "organisation"))),
        ("update of A's employment", lambda w: _sent("employment", "update", record_id=_a(w, "employment"), base=1, role="乙改")),
        ("delete of A's employment", lambda w: _sent("employment", "delete", record_id=_a(w, "employment"), base=1)),
    ],
    "patrol": [
        ("chunk appended to A's patrol", lambda w: _sent("patrol", "update", record_id=_a(w, "patrol"), note="乙")),
        ("create reusing A's patrol id", lambda w: _sent("patrol", record_id=_a(w, "patrol"), kind="routine", started_at="2026-11-16T10:00:00+08:00")),
        ("create naming A's grid", lambda w: _sent("patrol", kind="routine", started_at="2026-11-16T10:00:00+08:00", grid_codes=[w.ids["grid"]])),
        ("create checking in at A's point", lambda w: _sent("patrol", kind="routine", started_at="2026-11-16T10:00:00+08:00", checkins=[_checkin(_a(w, "patrol_point"))])),
        ("chunk of B's patrol checking in at A's point", lambda w: _sent("patrol", "update", record_id=_b(w, "patrol"), checkins=[_checkin(_a(w, "patrol_point"))])),
        ("chunk of B's patrol with A's photo as a check-in", lambda w: _sent("patrol", "update", record_id=_b(w, "patrol"), checkins=[_checkin(_b(w, "patrol_point"), method="photo", photo=w.ids["photo"])])),
    ],
    "visit": [
        ("visit to A's building", lambda w: _sent("visit", started_at="2026-11-16T10:00:00+08:00", outcome="done", building_id=w.ids["building"])),
        ("visit meeting A's person", lambda w: _sent("visit", started_at="2026-11-16T10:00:00+08:00", outcome="done", person_ids=[w.ids["person"]])),
        ("visit at A's organisation", lambda w: _sent("visit", started_at="2026-11-16T10:00:00+08:00", outcome="done", organisation_id=_a(w, "organisation"))),
        ("visit completing A's task", lambda w: _sent("visit", started_at="2026-11-16T10:00:00+08:00", outcome="done", task_id=_a(w, "task"))),
        ("visit naming A's event", lambda w: _sent("visit", started_at="2026-11-16T10:00:00+08:00", outcome="done", event_ids=[w.ids["event"]])),
        ("visit with A's photo", lambda w: _sent("visit", started_at="2026-11-16T10:00:00+08:00", outcome="done", photos=[w.ids["photo"]])),
        ("create reusing A's visit id", lambda w: _sent("visit", record_id=_a(w, "visit"), started_at="2026-11-16T10:00:00+08:00", outcome="done")),
        ("update of A's visit", lambda w: _sent("visit", "update", record_id=_a(w, "visit"), notes="乙改")),
    ],
    "task": [
        ("update of A's task", lambda w: _sent("task", "update", record_id=_a(w, "task"), status="done", note="乙")),
        ("acceptance of A's task", lambda w: _sent("task", "update", record_id=_a(w, "task"), status="accepted")),
        ("create reusing A's task id", lambda w: _sent("task", record_id=_a(w, "task"), status="accepted")),
    ],
}  # fmt: skip

CASES = [(kind, label, build) for kind, rows in PUSH_ATTACKS.items() for label, build in rows]
# The push's own bookkeeping of a mutation it answered (idempotency) is the one write a rejection makes.
BOOKKEEPING = {"sync.AppliedMutation", "sync.ReplayableResponse"}


def test_every_push_type_has_attacks() -> None:
    pushed = {*RecordType.values, "event", "patrol", "visit", "task"}
    assert pushed <= set(PUSH_ATTACKS), "add the new push type's references to PUSH_ATTACKS"


@pytest.mark.parametrize(("kind", "label", "build"), CASES, ids=[f"{k}: {label}" for k, label, _b in CASES])
def test_a_push_with_the_other_partys_references_is_rejected(
    kind: str, label: str, build: Build, world: World
) -> None:
    sent = build(world)
    before = snapshot(world)
    response = world.clients["worker_b"].post(
        "/api/v1/sync/push/", {"device_id": "phone-b", "mutations": [sent]}, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    (result,) = response.json()["results"]
    after = snapshot(world)
    written = [
        k for k in before["counts"] if k not in BOOKKEEPING and before["counts"][k] != after["counts"][k]
    ]
    written += [k for k in before["rows"] if before["rows"][k] != after["rows"][k]]
    assert (result["status"], written) == ("rejected", []), result
    assert leaked(world, response, str(sent)) == []
    # Nor did a reference to A's photo make it readable.
    assert world.clients["worker_b"].get(f"/api/v1/attachments/{world.ids['photo']}/").status_code == 404


@pytest.mark.parametrize(
    ("kind", "data"),
    [("patrol", {"note": "乙"}), ("visit", {"notes": "乙"})],
)
def test_another_partys_id_is_answered_like_an_unknown_one(
    kind: str, data: dict[str, Any], world: World
) -> None:
    """An update naming A's patrol or visit tells B nothing more than one naming an id nobody used."""
    answers = []
    for record_id in (_a(world, kind), "01900000-0000-7000-8000-0000000000ff"):
        sent = _sent(kind, "update", record_id=record_id, **data)
        response = world.clients["worker_b"].post(
            "/api/v1/sync/push/", {"device_id": "phone-b", "mutations": [sent]}, format="json"
        )
        (result,) = response.json()["results"]
        answers.append((result["status"], result["errors"]))
    assert answers[0] == answers[1] and answers[0][0] == "rejected", answers

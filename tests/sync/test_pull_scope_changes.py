"""What a pull sends when the scope changes shape: a type named twice, a building moving to another grid.
Pulls read committed journal entries: these tests commit (transactional database)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.registry.services import residence_collect
from tests.registry.conftest import geo
from tests.sync.conftest import collect_building, collect_person, pull_all, settle

__all__ = ["collect_building", "collect_person"]

pytestmark = pytest.mark.django_db(transaction=True)


XA_02 = (118.0300, 24.4850)  # 新垵村 grid 02 (HC-XY-XA-02), next to grid 01


def test_pull_sends_each_changed_record_once_even_if_a_type_is_named_twice(
    device: APIClient, collect_person: Any
) -> None:
    _, cursor = pull_all(device)
    person = collect_person(name="赵六").record
    settle()
    response = device.get("/api/v1/sync/pull/", {"cursor": cursor, "types": "person,person"})
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        ids = [c["id"] for c in response.json()["changes"]]
        assert ids.count(str(person.pk)) == 1, ids


def test_residences_follow_their_building_when_it_moves_to_another_grid(
    device: APIClient, api_client: Any, worker_of: Any, dispatcher_of: Any, collect_building: Any,
    collect_person: Any,
) -> None:  # fmt: skip
    building = collect_building().record
    person = collect_person(name="李四").record
    residence, _ = residence_collect(person=person, building=building, room="302", relation="tenant")
    neighbour = api_client(worker_of("HC-XY-XA-02"))
    changes, cursor_a = pull_all(device)
    assert any(c["id"] == str(residence.pk) and not c["deleted"] for c in changes)
    _, cursor_b = pull_all(neighbour)
    moved = api_client(dispatcher_of("HC-XY")).patch(
        f"/api/v1/buildings/{building.pk}/", {"location": geo(XA_02)}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert moved.status_code == 200, moved.content[:300]
    assert moved.json()["properties"]["grid"] == "HC-XY-XA-02"

    settle()
    after_a, _ = pull_all(device, cursor_a)
    assert {"type": "building", "id": str(building.pk), "deleted": True, "reason": "out_of_scope"} in after_a
    # The residence (with its room, a sensitive field) now lies in grid 02: grid 01's device must drop it …
    assert any(c["id"] == str(residence.pk) and c["deleted"] for c in after_a), after_a
    # … and grid 02's device must receive it.
    after_b, _ = pull_all(neighbour, cursor_b)
    assert any(c["id"] == str(residence.pk) and not c["deleted"] for c in after_b), after_b

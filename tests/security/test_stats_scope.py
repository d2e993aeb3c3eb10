"""Statistics name territory nodes and departments by code: B naming A's counts nothing of A's."""

import pytest

from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("caller", ["dispatcher_b", "key_b"])
def test_the_registry_of_a_node_of_as_counts_none_of_as_people_for_b(world: World, caller: str) -> None:
    query = {"period": "month", "node": world.ids["grid"]}
    own = world.clients["dispatcher_a"].get("/api/v1/stats/registry/", query)
    assert (
        own.status_code == 200 and own.json()["rows"][0]["population"]["total"] >= 1
    )  # A's person is counted
    response = world.clients[caller].get("/api/v1/stats/registry/", query)
    assert response.status_code in {200, 400}, response.content[:300]
    if response.status_code == 200:
        rows = response.json()["rows"]
        assert {(row["population"]["total"], row["housing"]["total"]) for row in rows} == {(0, 0)}

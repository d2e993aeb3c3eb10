"""Geometry and time sanity: coordinates on the earth, footprints near their point, observation times within
a window around now — field errors on REST and the push alike, nothing stored."""

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.registry.models import Building, Observation, Person
from tests.registry.conftest import XA, geo, shifted
from tests.sync.conftest import mutation, push

pytestmark = pytest.mark.django_db


def square(centre: tuple[float, float], half_m: float = 10) -> dict[str, Any]:
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = [list(shifted(centre, east_m=e * half_m, north_m=n * half_m)) for e, n in corners]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize(
    "footprint",
    [
        {"type": "Polygon", "coordinates": [[[1e308, 0], [1e308, 1], [0, 1], [1e308, 0]]]},
        {"type": "Polygon", "coordinates": [[[118.0, 24.4], [200.0, 24.4], [118.0, 95.0], [118.0, 24.4]]]},
        square(shifted(XA, east_m=13_000_000 / 1000)),  # 13 km away: on the earth, far from its point
    ],
)
def test_footprints_off_the_earth_or_far_from_their_point_are_refused(
    client: APIClient, footprint: dict[str, Any]
) -> None:
    body = {"address": "新垵村529号", "location": geo(XA), "footprint": footprint}
    response = client.post("/api/v1/buildings/", body, format="json")
    assert response.status_code == 400 and "footprint" in response.json()["errors"]
    for data in ({"photos": ["0" * 64]}, {}):  # one by one and in a run of new buildings
        (result,) = push(client, mutation("building", address="新垵村529号", footprint=footprint, **data))
        assert result["status"] == "rejected" and "footprint" in str(result["errors"])
    assert not Building.objects.exists()


def test_a_footprint_around_its_point_is_kept_and_the_distance_is_a_setting(client: APIClient) -> None:
    body = {"address": "新垵村529号", "location": geo(XA), "footprint": square(XA, half_m=100)}
    assert client.post("/api/v1/buildings/", body, format="json").status_code == 201
    with override_settings(GRIDAPI_FOOTPRINT_MAX_DISTANCE_M=50):
        body = {"address": "新垵村1号", "location": geo(shifted(XA, north_m=500)),
                "footprint": square(shifted(XA, north_m=500), half_m=100)}  # fmt: skip
        assert client.post("/api/v1/buildings/", body, format="json").status_code == 400


@pytest.mark.parametrize("when", ["9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z", "ahead"])
def test_collection_times_outside_the_window_are_refused(client: APIClient, when: str) -> None:
    if when == "ahead":
        when = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = client.post(
        "/api/v1/people/", {"name": "陈伟", "location": geo(XA), "collected_at": when}, format="json"
    )
    assert response.status_code == 400 and "collected_at" in response.json()["errors"]
    people = mutation("person", name="陈伟")
    buildings = [
        mutation("building", address="新垵村529号", **extra) for extra in ({}, {"photos": ["0" * 64]})
    ]
    for one in (people, *buildings):
        one["collected_at"] = when
        (result,) = push(client, one)
        assert result["status"] == "rejected" and "collected_at" in str(result["errors"]), result
    assert not Person.objects.exists() and not Building.objects.exists() and not Observation.objects.exists()


def test_residence_dates_are_bounded(client: APIClient) -> None:
    residence = {"building_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12, "since": "0001-01-01"}
    response = client.post("/api/v1/people/", {"name": "陈伟", "location": geo(XA), "residence": residence},
                           format="json")  # fmt: skip
    assert response.status_code == 400 and "since" in response.json()["errors"]["residence"]

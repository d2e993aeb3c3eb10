"""REST: patrols (GeoJSON, detail, track as GeoJSON and GPX), points and missed checks, visits, tasks."""

import datetime as dt
import uuid
from typing import Any

import gpxpy
import pytest
import time_machine

from apps.journal.models import AccessLogEntry
from apps.operations.models import CheckIn, Patrol
from tests.operations.conftest import ORIGIN, START, offset, walk

pytestmark = pytest.mark.django_db


def start_patrol(client: Any, points: list[dict[str, Any]], **data: Any) -> str:
    patrol_id = str(uuid.uuid4())
    response = client.post("/api/v1/patrols/", {"id": patrol_id, "started_at": START.isoformat(), "points": points,
                                                 **data}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    return patrol_id


def test_a_patrol_over_rest_start_chunks_detail_and_list(api_client: Any, worker: Any) -> None:
    client = api_client(worker)
    points = walk(300)
    patrol_id = start_patrol(client, points[:100])
    again = client.post(f"/api/v1/patrols/{patrol_id}/chunks/", {"points": points[:100]}, format="json")
    assert again.status_code == 200
    last = client.post(f"/api/v1/patrols/{patrol_id}/chunks/", {"points": points[100:], "ended_at": points[-1]["t"]},
                       format="json")  # fmt: skip
    assert last.json()["version"] == 2
    detail = client.get(f"/api/v1/patrols/{patrol_id}/").json()
    assert (detail["fix_count"], detail["flags"], detail["stale"], detail["grids"]) == (
        300,
        [],
        False,
        ["HC-XY-XA-01"],
    )
    assert detail["distance_m"] > 1500
    page = client.get("/api/v1/patrols/", {"grid": "HC-XY-XA-01", "flagged": "false"}).json()
    assert page["type"] == "FeatureCollection"
    assert [f["id"] for f in page["features"]] == [patrol_id]
    assert page["features"][0]["geometry"]["type"] == "LineString"
    assert client.get("/api/v1/patrols/", {"flagged": "true"}).json()["features"] == []


def test_a_bad_chunk_is_a_problem_document_with_field_errors(api_client: Any, worker: Any) -> None:
    client = api_client(worker)
    points = walk(3)
    points[1]["t"] = "yesterday"
    response = client.post("/api/v1/patrols/", {"id": str(uuid.uuid4()), "started_at": START.isoformat(),
                                                "points": points}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert "t" in response.json()["errors"]["points"]["1"]


def test_the_track_as_geojson_and_as_gpx(api_client: Any, worker: Any) -> None:
    client = api_client(worker)
    points = walk(200)
    patrol_id = start_patrol(client, points, ended_at=points[-1]["t"])
    feature = client.get(f"/api/v1/patrols/{patrol_id}/track/").json()
    vertices = feature["geometry"]["coordinates"]
    assert 2 < len(vertices) < 200 and feature["properties"]["max_deviation_m"] == 5.0
    assert feature["properties"]["times"][0] == START.astimezone(dt.UTC).isoformat()
    for response in (client.get(f"/api/v1/patrols/{patrol_id}/track/", {"format": "gpx"}),
                     client.get(f"/api/v1/patrols/{patrol_id}/track/", HTTP_ACCEPT="application/gpx+xml")):  # fmt: skip
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/gpx+xml")
        gpx = gpxpy.parse(response.content.decode())
        track_points = gpx.tracks[0].segments[0].points
        assert len(track_points) == len(vertices)
        assert track_points[0].time == START
        assert gpx.version == "1.1"
    raw = gpxpy.parse(client.get(f"/api/v1/patrols/{patrol_id}/track/", {"format": "gpx", "source": "raw"})
                      .content.decode())  # fmt: skip
    assert len(raw.tracks[0].segments[0].points) == 200


def test_patrols_are_hidden_from_other_workers_and_other_territories(
    api_client: Any, worker: Any, worker_of: Any, dispatcher_of: Any
) -> None:
    patrol_id = start_patrol(api_client(worker), walk(5))
    assert api_client(worker_of("HC-XY-XA-01")).get(f"/api/v1/patrols/{patrol_id}/").status_code == 404
    assert api_client(dispatcher_of("HC-SY")).get(f"/api/v1/patrols/{patrol_id}/track/").status_code == 404
    assert api_client(dispatcher_of("HC-XY")).get(f"/api/v1/patrols/{patrol_id}/").status_code == 200


def test_checkins_count_within_the_radius_and_missed_windows_are_listed(
    api_client: Any, worker: Any, dispatcher_of: Any
) -> None:
    dispatcher = dispatcher_of("HC-XY")
    with time_machine.travel(START - dt.timedelta(days=3), tick=False):
        created = api_client(dispatcher).post("/api/v1/patrol-points/", {
            "grid": "HC-XY-XA-01", "name": "新垵祠堂", "location": {"type": "Point", "coordinates": list(ORIGIN)},
            "radius_m": 30, "methods": ["gps", "qr"], "schedule": "daily"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    point_id = created.json()["id"]
    near, far = offset(*ORIGIN, 10, 0), offset(*ORIGIN, 80, 0)
    checkins = [
        {"point_id": point_id, "t": START.isoformat(), "lon": near[0], "lat": near[1], "accuracy_m": 8, "method": "gps"},
        {"point_id": point_id, "t": (START + dt.timedelta(days=-1)).isoformat(), "lon": far[0], "lat": far[1],
         "accuracy_m": 8, "method": "gps"},
        {"point_id": point_id, "t": (START + dt.timedelta(days=-2)).isoformat(), "method": "nfc"},
    ]  # fmt: skip
    start_patrol(api_client(worker), walk(5), checkins=checkins)
    by_reason = {c.reason: c.counted for c in CheckIn.objects.all()}
    assert by_reason == {"": True, "too_far": False, "method_not_allowed": False}
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        missed = api_client(dispatcher).get("/api/v1/patrol-points/missed/", {
            "since": (START - dt.timedelta(days=3)).date().isoformat(), "until": START.date().isoformat()}).json()  # fmt: skip
    days = [m["window_start"][:10] for m in missed]
    assert days == ["2026-11-13", "2026-11-14", "2026-11-15"]  # the 16th was checked in


def test_a_worker_cannot_define_patrol_points(api_client: Any, worker: Any) -> None:
    response = api_client(worker).post("/api/v1/patrol-points/", {
        "grid": "HC-XY-XA-01", "name": "x", "location": {"type": "Point", "coordinates": list(ORIGIN)}}, format="json")  # fmt: skip
    assert response.status_code == 403


def test_a_visit_of_a_person_with_special_tags_is_access_logged_when_read(
    api_client: Any, worker: Any, person_in: Any, dispatcher_of: Any
) -> None:
    tagged, plain = person_in(tags=["elderly_alone"]), person_in(name="张三")
    client = api_client(worker)
    ids = []
    for person in (tagged, plain):
        response = client.post("/api/v1/visits/", {"kind": "care", "person_ids": [str(person.pk)],
                                                   "started_at": START.isoformat(), "outcome": "done"}, format="json")  # fmt: skip
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    reader = dispatcher_of("HC-XY")
    assert api_client(reader).get(f"/api/v1/visits/{ids[1]}/").status_code == 200
    assert not AccessLogEntry.objects.exists()
    assert api_client(reader).get(f"/api/v1/visits/{ids[0]}/").status_code == 200
    logged = {
        (e.record_type, tuple(map(str, e.record_ids)))
        for e in AccessLogEntry.objects.filter(user_id=reader.pk)
    }
    assert logged == {("visit", (ids[0],)), ("person", (str(tagged.pk),))}
    api_client(reader).get("/api/v1/visits/")
    assert AccessLogEntry.objects.filter(user_id=reader.pk).count() == 4


def test_a_visit_sent_again_with_changes_answers_200_with_its_new_version(
    api_client: Any, worker: Any, person_in: Any
) -> None:
    client = api_client(worker)
    body = {"id": str(uuid.uuid4()), "kind": "care", "person_ids": [str(person_in().pk)],
            "started_at": START.isoformat(), "outcome": "done"}  # fmt: skip
    first = client.post("/api/v1/visits/", body, format="json")
    assert (first.status_code, first.json()["version"]) == (201, 1)
    again = client.post("/api/v1/visits/", body, format="json")
    assert (again.status_code, again.json()["id"], again.json()["version"]) == (
        201,
        body["id"],
        1,
    )  # a replay
    changed = client.post("/api/v1/visits/", {**body, "notes": "门已修好"}, format="json")
    assert (changed.status_code, changed.json()["version"]) == (200, 2)


def test_a_visit_naming_a_record_the_worker_cannot_see_is_refused(
    api_client: Any, worker: Any, person_in: Any
) -> None:
    elsewhere = person_in(code="HC-SY-HH-01")
    response = api_client(worker).post("/api/v1/visits/", {"person_ids": [str(elsewhere.pk)], "outcome": "done",
                                                           "started_at": START.isoformat()}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert "person_ids" in response.json()["errors"]


def test_dispatchers_create_tasks_workers_of_the_grid_see_and_close_them(
    api_client: Any, worker: Any, worker_of: Any, person_in: Any, dispatcher_of: Any
) -> None:
    person = person_in()
    created = api_client(dispatcher_of("HC-XY")).post("/api/v1/tasks/", {
        "title": "核查居住情况", "due": "2026-11-20", "kind": "verify", "subject": {"type": "person", "id": str(person.pk)}},
        format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    task_id = created.json()["id"]
    assert created.json()["grid"] == "HC-XY-XA-01"
    assert [t["id"] for t in api_client(worker).get("/api/v1/tasks/").json()["results"]] == [task_id]
    assert api_client(worker_of("HC-SY-HH-01")).get(f"/api/v1/tasks/{task_id}/").status_code == 404
    assert api_client(worker).post("/api/v1/tasks/", {}, format="json").status_code == 403
    done = api_client(worker).post(f"/api/v1/tasks/{task_id}/status/", {"status": "done"}, format="json")
    assert (done.status_code, done.json()["version"]) == (200, 2)


def test_the_patrol_list_is_a_bounded_number_of_queries(
    api_client: Any, worker: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client(worker)
    for _ in range(5):
        start_patrol(client, walk(20))
    with django_assert_max_num_queries(12):
        page = client.get("/api/v1/patrols/").json()
    assert len(page["features"]) == 5
    assert Patrol.objects.count() == 5


def test_the_track_of_a_patrol_one_may_not_see_is_a_problem_document_even_as_gpx(
    api_client: Any, worker: Any, worker_of: Any
) -> None:
    patrol_id = start_patrol(api_client(worker), walk(5))
    response = api_client(worker_of("HC-XY-XA-01")).get(
        f"/api/v1/patrols/{patrol_id}/track/", {"format": "gpx"}
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_a_chunk_with_a_check_in_missing_its_point_is_a_field_error(api_client: Any, worker: Any) -> None:
    client = api_client(worker)
    patrol_id = start_patrol(client, walk(5))
    response = client.post(
        f"/api/v1/patrols/{patrol_id}/chunks/", {"checkins": [{"method": "qr"}]}, format="json"
    )
    assert response.status_code == 400
    assert "point_id" in response.json()["errors"]["checkins"]["0"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00"])
def test_patrol_visit_and_check_in_times_must_be_plausible(
    api_client: Any, worker: Any, person_in: Any, when: str
) -> None:
    # Such a time was stored and then failed every read showing it (a patrol's detail, its GPX, the pull).
    client = api_client(worker)
    response = client.post("/api/v1/patrols/", {"id": str(uuid.uuid4()), "started_at": when, "points": walk(5)},
                           format="json")  # fmt: skip
    assert response.status_code == 400 and "started_at" in response.json()["errors"]
    patrol_id = start_patrol(client, walk(5))
    response = client.post(f"/api/v1/patrols/{patrol_id}/chunks/", {"ended_at": when}, format="json")
    assert response.status_code == 400 and "ended_at" in response.json()["errors"]
    checkin = {"point_id": str(uuid.uuid4()), "t": when, "method": "qr"}
    response = client.post(f"/api/v1/patrols/{patrol_id}/chunks/", {"checkins": [checkin]}, format="json")
    assert response.status_code == 400 and "t" in response.json()["errors"]["checkins"]["0"]
    person = person_in()
    response = client.post("/api/v1/visits/", {"person_ids": [str(person.pk)], "started_at": when,
                                               "outcome": "done"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "started_at" in response.json()["errors"]
    assert client.get(f"/api/v1/patrols/{patrol_id}/").json()["ended_at"] is None

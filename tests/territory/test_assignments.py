"""Worker ↔ grid assignments: many workers per grid, many grids per worker, dated."""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.territory.models import GridAssignment, TerritoryNode
from apps.territory.selectors import today, worker_grids
from apps.territory.services import grid_assignment_create, grid_assignment_end

pytestmark = pytest.mark.django_db


def test_one_grid_many_workers_and_one_worker_many_grids(
    territory: dict[str, TerritoryNode], worker_of: Callable[..., User]
) -> None:
    a = worker_of("HC-XY-XA-01", "HC-XY-XA-02")
    b = worker_of("HC-XY-XA-02")
    assert sorted(worker_grids(worker=a).values_list("code", flat=True)) == ["HC-XY-XA-01", "HC-XY-XA-02"]
    assert list(worker_grids(worker=b).values_list("code", flat=True)) == ["HC-XY-XA-02"]


def test_assignment_dates_bound_the_scope(
    territory: dict[str, TerritoryNode], make_user: Callable[..., User]
) -> None:
    worker = make_user(Role.GRID_WORKER)
    grid_assignment_create(
        worker=worker,
        grid=territory["HC-XY-XA-01"],
        valid_from=dt.date(2026, 3, 1),
        valid_to=dt.date(2026, 3, 31),
    )
    assert not worker_grids(worker=worker, on=dt.date(2026, 2, 28)).exists()
    assert worker_grids(worker=worker, on=dt.date(2026, 3, 31)).exists()
    assert not worker_grids(worker=worker, on=dt.date(2026, 4, 1)).exists()


def test_overlapping_assignment_of_same_pair_is_refused(
    territory: dict[str, TerritoryNode], make_user: Callable[..., User]
) -> None:
    worker = make_user(Role.GRID_WORKER)
    grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=dt.date(2026, 6, 1))
    assert "valid_from" in excinfo.value.detail  # type: ignore[operator]


def test_only_grid_workers_on_grids(
    territory: dict[str, TerritoryNode], make_user: Callable[..., User]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        grid_assignment_create(
            worker=make_user(Role.DISPATCHER), grid=territory["HC-XY-XA"], valid_from=today()
        )
    assert set(excinfo.value.detail) == {"worker", "grid"}  # type: ignore[arg-type]


def test_ending_an_assignment_removes_the_grid_from_tomorrow(
    territory: dict[str, TerritoryNode], worker_of: Callable[..., User]
) -> None:
    worker = worker_of("HC-XY-XA-01")
    assignment = worker.grid_assignments.get()
    day = assignment.valid_from  # the worker was assigned today: ended the same day
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(noon):
        grid_assignment_end(assignment=assignment, valid_to=day)
        assert worker_grids(worker=worker).exists()
    with time_machine.travel(noon + dt.timedelta(days=1)):
        assert not worker_grids(worker=worker).exists()


def test_dispatcher_assigns_within_territory_only(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    dispatcher_of: Callable[[str], User],
    make_user: Callable[..., User],
) -> None:
    client = api_client(dispatcher_of("HC-XY"))
    worker = make_user(Role.GRID_WORKER)
    ok = client.post(
        "/api/v1/territory/assignments/",
        {"worker": str(worker.pk), "grid": "HC-XY-XA-03", "valid_from": "2026-11-01"},
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["grid"] == "HC-XY-XA-03"
    outside = client.post(
        "/api/v1/territory/assignments/",
        {"worker": str(worker.pk), "grid": "HC-SY-HH-01", "valid_from": "2026-11-01"},
    )
    assert outside.status_code == 400
    assert "grid" in outside.json()["errors"]
    ended = client.post(f"/api/v1/territory/assignments/{ok.json()['id']}/end/", {"valid_to": "2026-11-30"})
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2026-11-30"
    backwards = client.post(
        f"/api/v1/territory/assignments/{ok.json()['id']}/end/", {"valid_to": "2020-01-01"}
    )
    assert backwards.status_code == 400


def test_workers_cannot_create_assignments(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    worker_of: Callable[..., User],
) -> None:
    worker = worker_of("HC-XY-XA-01")
    response = api_client(worker).post(
        "/api/v1/territory/assignments/",
        {"worker": str(worker.pk), "grid": "HC-XY-XA-02", "valid_from": "2026-11-01"},
    )
    assert response.status_code == 403


def test_worker_lists_only_own_assignments(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    worker_of: Callable[..., User],
) -> None:
    mine = worker_of("HC-XY-XA-01")
    worker_of("HC-XY-XA-01", "HC-SY-HH-01")
    body = api_client(mine).get("/api/v1/territory/assignments/").json()
    assert [row["worker"] for row in body["results"]] == [str(mine.pk)]


def test_dispatcher_cannot_probe_which_user_ids_exist(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    dispatcher_of: Callable[[str], User],
    worker_of: Callable[..., User],
    make_user: Callable[..., User],
) -> None:
    client = api_client(dispatcher_of("HC-XY"))
    elsewhere = worker_of("HC-SY-HH-01")  # serves only another subdistrict's grid
    other_dispatcher = dispatcher_of("HC-SY")
    admin = make_user(Role.ADMIN)

    def worker_error(worker_id: str) -> Any:
        response = client.post(
            "/api/v1/territory/assignments/",
            {"worker": worker_id, "grid": "HC-XY-XA-03", "valid_from": "2026-11-01"},
        )
        assert response.status_code == 400, response.json()
        return [message.replace(worker_id, "<id>") for message in response.json()["errors"]["worker"]]

    unknown = worker_error(str(uuid.uuid4()))
    assert worker_error(str(elsewhere.pk)) == unknown
    assert worker_error(str(other_dispatcher.pk)) == unknown
    assert worker_error(str(admin.pk)) == unknown
    assert (
        not GridAssignment.objects.filter(worker__in=[elsewhere, other_dispatcher, admin])
        .filter(grid__code="HC-XY-XA-03")
        .exists()
    )


def test_dispatcher_assigns_workers_of_own_territory(
    territory: dict[str, TerritoryNode],
    api_client: Callable[[Any], APIClient],
    dispatcher_of: Callable[[str], User],
    worker_of: Callable[..., User],
) -> None:
    mine = worker_of("HC-XY-XA-01")
    response = api_client(dispatcher_of("HC-XY")).post(
        "/api/v1/territory/assignments/",
        {"worker": str(mine.pk), "grid": "HC-XY-XA-03", "valid_from": "2026-11-01"},
    )
    assert response.status_code == 201, response.json()

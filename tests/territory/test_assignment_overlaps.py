"""Ending an assignment later, into the next assignment of the same worker and grid, is a field error."""

import datetime as dt
from typing import Any

import pytest

from apps.accounts.models import Role
from apps.territory.models import GridAssignment
from apps.territory.services import grid_assignment_create

pytestmark = pytest.mark.django_db


def test_ending_an_assignment_later_so_that_it_overlaps_the_next_one_is_a_400(
    territory: Any, make_user: Any, api_client: Any
) -> None:
    worker = make_user(Role.GRID_WORKER)
    grid = territory["HC-XY-XA-01"]
    first = grid_assignment_create(
        worker=worker, grid=grid, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 1, 31)
    )
    grid_assignment_create(worker=worker, grid=grid, valid_from=dt.date(2026, 3, 1))
    client = api_client(make_user(Role.ADMIN))
    client.raise_request_exception = False
    response = client.post(
        f"/api/v1/territory/assignments/{first.pk}/end/", {"valid_to": "2026-04-30"}, format="json"
    )
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert GridAssignment.objects.get(pk=first.pk).valid_to == dt.date(2026, 1, 31)
